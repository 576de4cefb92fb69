"""Request and answer models of the multi-factor API (``/auth/mfa/*``, ``/auth/login/mfa``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from .schemas import Request, TokenOut

__all__ = [
    "MfaLogin",
    "MfaStatus",
    "MfaTokenBody",
    "PasskeyLogin",
    "PasskeyRegistration",
    "RecoveryCodes",
    "TotpConfirm",
    "TotpEnrolmentOut",
]

MfaToken = Annotated[str, Field(min_length=1, max_length=128)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


Credential = Annotated[dict[str, Any], Field(description="a PublicKeyCredential as JSON")]


class MfaLogin(Request):
    """``POST /auth/login/mfa``: the ``mfa_token`` of the password step, a method and its
    ``code`` (``totp``, ``recovery_code``) or ``credential`` (``webauthn``: the assertion)."""

    mfa_token: MfaToken
    method: Annotated[str, Field(min_length=1, max_length=32)]
    code: Code | None = None
    credential: Credential | None = None


class PasskeyRegistration(Request):
    """``POST /auth/mfa/webauthn/register/verify``: the new credential and a name for it."""

    credential: Credential
    name: Annotated[str, Field(max_length=64)] = "Passkey"


class PasskeyLogin(Request):
    """``POST /auth/login/webauthn``: an assertion of a discoverable passkey."""

    credential: Credential


class MfaTokenBody(Request):
    """``POST /auth/mfa/totp`` without a bearer: the enrolment ``mfa_token`` of a sign-in."""

    mfa_token: MfaToken | None = None


class TotpConfirm(Request):
    """``POST /auth/mfa/totp/confirm``: the first code (and, at sign-in, the ``mfa_token``)."""

    code: Code
    mfa_token: MfaToken | None = None


class TotpEnrolmentOut(BaseModel):
    """A TOTP secret to add to an authenticator app: as text, as a URI and as a QR code."""

    secret: str = Field(examples=["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"])
    otpauth_uri: str
    qr_svg: str


class RecoveryCodes(BaseModel):
    """Ten single-use recovery codes, shown this once."""

    recovery_codes: list[str] = Field(examples=[["ABCD-EFGH"]])


class EnrolledOut(TokenOut):
    """Enrolment at sign-in: the recovery codes and the session's tokens."""

    recovery_codes: list[str]


class MfaStatus(BaseModel):
    """``GET /auth/mfa``: the caller's factors (never a secret)."""

    totp: dict[str, object] | None
    webauthn: list[dict[str, object]]
    recovery_codes_left: int
    required: bool
