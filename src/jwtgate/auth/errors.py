"""The error tree of the auth layer.

::

    JWTGateError
     └── AuthError                    invalid_request
          ├── InvalidRequest          invalid_request (RFC 6749 5.2)
          ├── InvalidGrant            invalid_grant (RFC 6749 5.2): bad credentials, dead refresh
          ├── InvalidClient           invalid_client (RFC 6749 5.2): client authentication
          ├── UnsupportedGrantType    unsupported_grant_type (RFC 6749 5.2)
          ├── InvalidScope            invalid_scope (RFC 6749 5.2)
          ├── UnauthorizedClient      unauthorized_client (RFC 6749 5.2): grant not allowed
          ├── InvalidTarget           invalid_target (RFC 8707 2): resource not allowed
          ├── AuthorizationError      an error answered by redirect at /auth/authorize
          │    │                      (RFC 6749 4.1.2.1; ``code`` per case: access_denied,
          │    │                      login_required, consent_required, invalid_request...)
          │    └── BadRedirect        unknown client or redirect URI: an error page, never a
          │                           redirect (RFC 6749 4.1.2.1, RFC 9700 4.1)
          ├── InsufficientScope       insufficient_scope (RFC 6750 3.1): missing role or scope
          ├── Throttled               too_many_requests: too many failed logins, see retry_after
          ├── Conflict                conflict: the username is taken
          ├── WeakPassword            weak_password: the password policy refused the password
          ├── EmailNotVerified        email_not_verified: sign-in waits for a verified address
          ├── NotFound                not_found: no such user, session or client
          └── RegistrationDisabled    not_found: self-registration is switched off

Every class carries ``code``, the error code of the JSON error body. The service raises these
and never an HTTP exception; the server maps them to status codes in one handler. Messages
never contain a password, token or secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..jose.errors import JWTGateError

__all__ = [
    "AuthError",
    "AuthorizationError",
    "BadRedirect",
    "Conflict",
    "EmailNotVerified",
    "InsufficientScope",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "InvalidTarget",
    "NotFound",
    "RegistrationDisabled",
    "Throttled",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "WeakPassword",
]


class AuthError(JWTGateError):
    """Root of the errors of the auth layer."""

    code = "invalid_request"


class InvalidRequest(AuthError):
    """The request is missing a parameter or has one of the wrong shape (RFC 6749 5.2)."""

    code = "invalid_request"


class InvalidGrant(AuthError):
    """Bad credentials, or a refresh token that is unknown, expired, revoked or reused.

    One message for every cause, so the answer tells an attacker nothing (RFC 6749 5.2).
    """

    code = "invalid_grant"

    def __init__(self, message: str = "invalid username or password") -> None:
        super().__init__(message)


class InvalidClient(AuthError):
    """Client authentication failed: unknown client or wrong secret (RFC 6749 5.2)."""

    code = "invalid_client"

    def __init__(self, message: str = "client authentication failed") -> None:
        super().__init__(message)


class UnsupportedGrantType(AuthError):
    """The ``grant_type`` is not one this server supports (RFC 6749 5.2)."""

    code = "unsupported_grant_type"


class InvalidScope(AuthError):
    """The requested scope is unknown or exceeds what was granted (RFC 6749 5.2, 6)."""

    code = "invalid_scope"


class UnauthorizedClient(AuthError):
    """The client may not use this grant type (RFC 6749 5.2)."""

    code = "unauthorized_client"


class InvalidTarget(AuthError):
    """The ``resource`` is not an audience the client may have (RFC 8707 2)."""

    code = "invalid_target"


class AuthorizationError(AuthError):
    """An authorization request that fails after its client and redirect URI were verified:
    answered by redirecting there with ``error=code`` (RFC 6749 4.1.2.1)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.redirect_uri = redirect_uri
        self.state = state


class BadRedirect(AuthError):
    """The client is unknown or the redirect URI is not one of its own: shown as an error
    page, never redirected to (RFC 6749 4.1.2.1, RFC 9700 4.1)."""

    code = "invalid_request"


class InsufficientScope(AuthError):
    """The token is valid but lacks the role or scope the action needs (RFC 6750 3.1)."""

    code = "insufficient_scope"


class Throttled(AuthError):
    """Too many failed attempts; try again after ``retry_after`` seconds (RFC 6585 4)."""

    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after


class Conflict(AuthError):
    """The resource already exists, e.g. the username is taken (case-insensitively)."""

    code = "conflict"


class WeakPassword(AuthError):
    """The password policy refused the new password; ``reasons`` says why, for the user."""

    code = "weak_password"

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(_sentences(self.reasons) or "The password is too weak.")


def _sentences(parts: Sequence[str]) -> str:
    """Reasons as one sentence each: "Too short. Add a word." (capitalised, one full stop).

    The password policy's own reasons are fragments and zxcvbn's are sentences with their
    stop; joined with "; " they read "too easy to guess; This is common.; Add ...".
    """
    out = []
    for part in parts:
        text = part.strip().rstrip(".;")
        if text:
            out.append(text[0].upper() + text[1:] + ".")
    return " ".join(out)


class EmailNotVerified(AuthError):
    """The password was right, but ``JWTGATE_REQUIRE_VERIFIED_EMAIL`` wants the account's
    address verified first (the verification mail's link or code; a new one through
    ``POST /auth/email/verify/request {"login"}``)."""

    code = "email_not_verified"

    def __init__(
        self,
        message: str = "verify your email address first: follow the link or enter the code "
        'from the mail we sent; POST /auth/email/verify/request with {"login"} (or the '
        "sign-in page) sends a new one",
    ) -> None:
        super().__init__(message)


class NotFound(AuthError):
    """No such user, session, client or key."""

    code = "not_found"


class RegistrationDisabled(NotFound):
    """Self-registration is switched off (``JWTGATE_ALLOW_REGISTRATION=false``)."""

    def __init__(self, message: str = "registration is disabled") -> None:
        super().__init__(message)
