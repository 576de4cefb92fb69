"""Bearer tokens over HTTP (RFC 6750), without any framework: read the ``Authorization``
header, and say what to answer when a request is turned away.

- no credentials: 401, ``WWW-Authenticate: Bearer realm="jwtgate"`` with no error code (3.1:
  the client may not have known authentication was needed);
- a bad token: 401, ``Bearer realm="jwtgate", error="invalid_token", error_description="..."``;
- a valid token without the role or scope: 403, ``... error="insufficient_scope" ...``.

The body is always JSON ``{"error", "error_description"}`` (``invalid_token`` also when the
token is missing), with ``Cache-Control: no-store``: the same answers as jwtgate's own server.
The scheme name is matched case-insensitively (RFC 7235 2.1). Integrations turn a
:class:`Denial` into their response.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..jose.errors import InvalidToken, JWTGateError, MalformedToken
from .policy import InsufficientScope, InsufficientUserAuthentication, Requirement
from .principal import Principal

if TYPE_CHECKING:
    from .core import Guard

__all__ = ["REALM", "Denial", "Denied", "aauthorize", "authorize", "bearer_token", "deny"]

REALM = "jwtgate"
MISSING = "authentication required: send Authorization: Bearer <access token>"
# RFC 6750 3: error_description and scope values use %x20-21 / %x23-5B / %x5D-7E only.
_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
_MAX_DESCRIPTION = 200


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 2.1).

    None when there is no header or another scheme (no Bearer credentials at all);
    MalformedToken for ``Bearer`` followed by nothing, or by more than one token.
    """
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = rest.strip()
    if not token or " " in token:
        raise MalformedToken("the Authorization header must be 'Bearer <token>'")
    return token


def _quoted(text: str) -> str:
    return _UNSAFE.sub("?", text)[:_MAX_DESCRIPTION]


@dataclass(frozen=True, slots=True)
class Denial:
    """How to turn a request away: status, ``WWW-Authenticate`` challenge and JSON body."""

    status: int
    challenge: str
    error: str
    description: str

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers: ``WWW-Authenticate``, and no caching of the answer."""
        return {"WWW-Authenticate": self.challenge, "Cache-Control": "no-store"}

    @property
    def body(self) -> dict[str, str]:
        """The JSON body ``{"error", "error_description"}``."""
        return {"error": self.error, "error_description": self.description}


class Denied(Exception):
    """A request was turned away; ``denial`` says how to answer."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.description)
        self.denial = denial


def deny(error: JWTGateError | None) -> Denial:
    """The answer for ``error``: None means no credentials (401 with a bare challenge), an
    InsufficientScope 403, anything else 401 ``invalid_token`` (RFC 6750 3.1)."""
    if error is None:
        return Denial(401, f'Bearer realm="{REALM}"', InvalidToken.code, MISSING)
    description = _quoted(str(error) or error.code)
    code = error.code if isinstance(error, InsufficientScope) else InvalidToken.code
    challenge = f'Bearer realm="{REALM}", error="{code}", error_description="{description}"'
    if isinstance(error, InsufficientUserAuthentication):
        # RFC 9470 3: a 401, naming what the next sign-in must achieve.
        return Denial(401, challenge + error.challenge_params(), error.code, description)
    if isinstance(error, InsufficientScope):
        if error.scopes:
            challenge += f', scope="{_quoted(" ".join(error.scopes))}"'
        return Denial(403, challenge, code, description)
    return Denial(401, challenge, code, description)


def authorize(guard: Guard, requirement: Requirement, authorization: str | None) -> Principal:
    """Verify the request's bearer token and apply ``requirement``. Raises Denied."""
    try:
        token = bearer_token(authorization)
        if token is None:
            raise Denied(deny(None))
        principal = guard.verify(token)
        requirement.check(principal, now=guard._clock())
    except (InvalidToken, InsufficientScope) as exc:
        raise Denied(deny(exc)) from None
    return principal


async def aauthorize(
    guard: Guard, requirement: Requirement, authorization: str | None
) -> Principal:
    """The async twin of :func:`authorize`."""
    try:
        token = bearer_token(authorization)
        if token is None:
            raise Denied(deny(None))
        principal = await guard.averify(token)
        requirement.check(principal, now=guard._clock())
    except (InvalidToken, InsufficientScope) as exc:
        raise Denied(deny(exc)) from None
    return principal
