"""Request and answer models of the multi-factor API (``/auth/mfa/*``, ``/auth/login/mfa``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from .schemas import Request, TokenOut

__all__ = [
    "MfaLogin",
    "MfaStatus",
    "MfaTokenBody",
    "RecoveryCodes",
    "TotpConfirm",
    "TotpEnrolmentOut",
]

MfaToken = Annotated[str, Field(min_length=1, max_length=128)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


class MfaLogin(Request):
    """``POST /auth/login/mfa``: the ``mfa_token`` of the password step, a method and its code."""

    mfa_token: MfaToken
    method: Annotated[str, Field(min_length=1, max_length=32)]
    code: Code


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
