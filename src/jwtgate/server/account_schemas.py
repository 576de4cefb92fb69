"""Request models of the account-email API (``/auth/password/*``, ``/auth/email/*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schemas import NoNul, Request

__all__ = ["EmailChange", "ForgotRequest", "ResetRequest", "VerifyRequest", "VerifySend"]

Login = Annotated[str, Field(min_length=1, max_length=320), NoNul]
Password = Annotated[str, Field(min_length=1, max_length=4096)]
LinkToken = Annotated[str, Field(min_length=1, max_length=128)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


class ForgotRequest(Request):
    """``POST /auth/password/forgot``: a username or an email address."""

    login: Login


class ResetRequest(Request):
    """``POST /auth/password/reset``: the link's ``token``, or the mailed ``code`` with the
    ``login`` it was sent for; and the new password."""

    token: LinkToken | None = None
    code: Code | None = None
    login: Login | None = None
    new_password: Password


class VerifySend(Request):
    """``POST /auth/email/verify/request``: with a bearer, no body; without one, ``login``."""

    login: Login | None = None


class VerifyRequest(Request):
    """``POST /auth/email/verify``: ``token`` alone, or ``code`` with a bearer."""

    token: LinkToken | None = None
    code: Code | None = None


class EmailChange(Request):
    """``POST /auth/email``: the new address and the current password."""

    email: Annotated[str, Field(min_length=3, max_length=320), NoNul]
    current_password: Password
