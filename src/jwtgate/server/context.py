"""What the API routes share: the auth service, settings and metrics (one
:class:`ServerContext` per app), and the request helpers every area uses: who the caller is
(bearer token or client credentials), which content type the body has, how a token answer is
sent.
"""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote_plus

import orjson
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.responses import Response

from ..auth.errors import InsufficientScope, InvalidClient, InvalidRequest
from ..auth.service import AuthService
from ..config import Settings
from ..jose.errors import MalformedToken, MissingToken
from .errors import UnsupportedMediaType
from .metrics import Metrics

__all__ = [
    "ADMIN_ROLE",
    "NO_STORE",
    "ClaimsDependency",
    "ServerContext",
    "bearer_claims",
    "client_credentials",
    "client_ip",
    "json_response",
    "require_form",
    "require_json",
    "require_role",
    "user_agent",
]

ADMIN_ROLE = "admin"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
"""Headers of every answer that carries a token or secret (RFC 6749 5.1)."""

ClaimsDependency = Callable[..., Awaitable[dict[str, Any]]]

_SCHEME: dict[str, Any] = {
    "tokenUrl": "/auth/token",
    "auto_error": False,
    "scheme_name": "OAuth2",
    "description": "Log in with a username and password (the password grant of /auth/token); "
    "Swagger UI then sends the access token as Authorization: Bearer.",
}
bearer_scheme = OAuth2PasswordBearer(**_SCHEME)


class _BearerClaims(OAuth2PasswordBearer):
    """The verified claims of the bearer token, as one dependency: the same OAuth2 scheme in
    the OpenAPI document as :data:`bearer_scheme`, and the check in the same call (FastAPI
    then solves one dependency per request where a dependency on ``bearer_scheme`` made two).
    """

    def __init__(self, auth: AuthService) -> None:
        super().__init__(**_SCHEME)
        self._auth = auth

    async def __call__(self, request: Request) -> dict[str, Any]:  # type: ignore[override]
        token = await super().__call__(request)
        if token is None:
            raise MissingToken()
        return bearer_claims(self._auth, token)


def json_response(
    body: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer serialised with orjson."""
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers=dict(headers) if headers else None,
    )


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def require_json(request: Request) -> None:
    """Refuse (415) a body sent with a content type other than JSON; no body is fine."""
    media = _media_type(request)
    if media and media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType("application/json")


async def require_form(request: Request) -> None:
    """Refuse (415) anything but ``application/x-www-form-urlencoded`` (RFC 6749 3.2)."""
    if _media_type(request) != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("application/x-www-form-urlencoded (RFC 6749)")


def client_ip(request: Request) -> str | None:
    """The peer address (uvicorn resolves X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    """The User-Agent, cut to 256 characters."""
    value = request.headers.get("user-agent")
    return value[:256] if value else None


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, param = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(param.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidClient("malformed HTTP Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("malformed HTTP Basic credentials")
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def client_credentials(
    request: Request, form_id: str | None, form_secret: str | None
) -> tuple[str, str] | None:
    """The client's id and secret from HTTP Basic or the form (RFC 6749 2.3.1), or None.

    Raises InvalidClient for malformed Basic credentials or a form id without a secret, and
    InvalidRequest when both methods are used at once (RFC 6749 2.3).
    """
    basic = _basic_credentials(request.headers.get("authorization", ""))
    if basic is not None and (form_id or form_secret):
        raise InvalidRequest("use one client authentication method, not both")
    credentials: tuple[str, str] | None = None
    if basic is not None:
        credentials = basic if basic[0] else None
    elif form_secret and not form_id:
        raise InvalidClient("client_secret without client_id")
    elif form_id and form_secret:
        credentials = form_id, form_secret
    if credentials is not None and "\x00" in credentials[0]:
        # No client id holds a NUL, and PostgreSQL cannot even compare one: the same answer as
        # any unknown client.
        raise InvalidClient()
    return credentials


EMPTY_BEARER = "the token is missing: the Authorization header must be 'Bearer <token>'"


def bearer_claims(auth: AuthService, token: str) -> dict[str, Any]:
    """The verified claims of a bearer token as the scheme gave it (surrounding space ignored).

    Raises MalformedToken when ``Bearer`` is followed by nothing (an unset shell variable in
    ``-H "authorization: Bearer $TOKEN"``): the same words as the Guard, not a JWS parse error.
    """
    token = token.strip()
    if not token:
        raise MalformedToken(EMPTY_BEARER)
    return auth.authenticate(token)


@dataclass(frozen=True)
class ServerContext:
    """The collaborators of the API routes; one per app."""

    auth: AuthService
    settings: Settings
    metrics: Metrics

    def bearer(self) -> ClaimsDependency:
        """A dependency giving the verified claims of the bearer token (zero SQL).

        Raises MissingToken (401, bare challenge) or InvalidToken (401 invalid_token).
        """
        return _BearerClaims(self.auth)

    def admin(self) -> ClaimsDependency:
        """A dependency giving the claims of a bearer with role ``admin``.

        Raises MissingToken, InvalidToken, or InsufficientScope (403).
        """
        bearer = self.bearer()

        async def admin_claims(
            claims: Annotated[dict[str, Any], Depends(bearer)],
        ) -> dict[str, Any]:
            require_role(claims, ADMIN_ROLE)
            return claims

        return admin_claims


def require_role(claims: Mapping[str, Any], role: str) -> None:
    """Raise InsufficientScope unless ``claims`` has ``role`` (RFC 6750 3.1)."""
    roles = claims.get("roles")
    if not isinstance(roles, list) or role not in roles:
        raise InsufficientScope(f"this needs the role {role}")
