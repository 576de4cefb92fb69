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
from fastapi.security import OAuth2AuthorizationCodeBearer
from starlette.responses import Response

from ..auth.assurance import require_authentication
from ..auth.errors import InsufficientScope, InvalidClient, InvalidRequest
from ..auth.service import AuthService
from ..auth.values import ClientAuth
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
    "client_auth",
    "client_credentials",
    "client_ip",
    "form_client",
    "form_values",
    "json_response",
    "request_urls",
    "require_form",
    "require_json",
    "require_role",
    "user_agent",
]

ADMIN_ROLE = "admin"
FORM_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
"""Headers of every answer that carries a token or secret (RFC 6749 5.1)."""

ClaimsDependency = Callable[..., Awaitable[dict[str, Any]]]

_SCHEME: dict[str, Any] = {
    "authorizationUrl": "/auth/authorize",
    "tokenUrl": "/auth/token",
    "auto_error": False,
    "scheme_name": "OAuth2",
    "description": "Sign in with the authorization code flow and PKCE (the built-in client "
    "jwtgate-docs); Swagger UI then sends the access token as Authorization: Bearer.",
}
bearer_scheme = OAuth2AuthorizationCodeBearer(**_SCHEME)


class _BearerClaims(OAuth2AuthorizationCodeBearer):
    """The verified claims of the bearer (or DPoP) token, as one dependency: the same OAuth2
    scheme in the OpenAPI document as :data:`bearer_scheme`, and the check in the same call
    (FastAPI then solves one dependency per request where a dependency on ``bearer_scheme``
    made two). Raises MissingToken, InvalidToken, or the DPoP errors.
    """

    def __init__(self, auth: AuthService, *, exact: bool) -> None:
        super().__init__(**_SCHEME)
        self._auth = auth
        self._exact = exact

    async def __call__(self, request: Request) -> dict[str, Any]:  # type: ignore[override]
        auth = self._auth
        token = await super().__call__(request)
        scheme = "bearer"
        if token is None:  # not Bearer: DPoP (RFC 9449 7.1), or nothing
            authorization = request.headers.get("authorization") or ""
            if authorization[:5].lower() != "dpop ":
                raise MissingToken()
            scheme, token = "dpop", authorization[5:]
        token = token.strip()
        found = bearer_claims(auth, token)
        auth.dpop.resource_request(
            scheme,
            token,
            found,
            request.headers.getlist("dpop"),
            htm=request.method,
            htu=request_urls(request, auth.issuer, exact=self._exact),
        )
        return found


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


def client_auth(request: Request, form: Mapping[str, Any] | None) -> ClientAuth | None:
    """How the request names its client (RFC 6749 2.3), or None when it names none.

    ``form`` is the raw form (from ``await request.form()``), read as sent: an empty
    ``client_secret=`` is a (wrong) secret, not an absent one, so it never falls back to a
    public client. HTTP Basic: ``id:secret`` is client_secret_basic; an empty id with a
    secret is refused; ``:`` (both empty, as Swagger UI sends) names no client. Form:
    ``client_id`` with ``client_secret`` is client_secret_post, ``client_id`` alone a public
    client (method none).

    Raises InvalidClient for malformed or half credentials, InvalidRequest when two methods
    are used at once (RFC 6749 2.3).
    """
    form = form or {}
    form_id, form_secret = _field(form, "client_id"), _field(form, "client_secret")
    basic = _basic_credentials(request.headers.get("authorization", ""))
    auth: ClientAuth | None = None
    if basic is not None:
        if form_secret is not None or (form_id is not None and form_id != basic[0]):
            raise InvalidRequest("use one client authentication method, not both")
        basic_id, basic_secret = basic
        if not basic_id and basic_secret:
            raise InvalidClient("HTTP Basic credentials without a client id")
        if basic_id:
            auth = ClientAuth(basic_id, basic_secret, "client_secret_basic")
    elif form_secret is not None:
        if not form_id:
            raise InvalidClient("client_secret without client_id")
        auth = ClientAuth(form_id, form_secret, "client_secret_post")
    elif form_id:
        auth = ClientAuth(form_id)
    if auth is not None and "\x00" in auth.client_id:
        # No client id holds a NUL, and PostgreSQL cannot even compare one: the same answer as
        # any unknown client.
        raise InvalidClient()
    return auth


def client_credentials(
    request: Request, form_id: str | None, form_secret: str | None
) -> ClientAuth | None:
    """:func:`client_auth` for routes that hold the two fields already (``None``: absent)."""
    form = {
        k: v for k, v in (("client_id", form_id), ("client_secret", form_secret)) if v is not None
    }
    return client_auth(request, form)


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value[:1024] if isinstance(value, str) else None


async def form_client(request: Request) -> ClientAuth | None:
    """A dependency: the client a form-encoded request names (see :func:`client_auth`)."""
    form = await request.form() if _media_type(request) == FORM_TYPE else None
    return client_auth(request, form)


async def form_values(request: Request) -> list[tuple[str, str]]:
    """A dependency: every text field of a form-encoded body, repeated ones included."""
    if _media_type(request) != FORM_TYPE:
        return []
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


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
        return _BearerClaims(self.auth, exact=bool(self.settings.issuer))

    def admin(self) -> ClaimsDependency:
        """A dependency giving the claims of a bearer with role ``admin``.

        Raises MissingToken, InvalidToken, InsufficientScope (403), or, when ``admin`` is in
        ``JWTGATE_MFA_REQUIRED_ROLES``, InsufficientUserAuthentication for a user's token
        without a second factor (401 with the RFC 9470 challenge).
        """
        bearer = self.bearer()
        # A role that must enrol a factor must use it here too (RFC 9470 step-up otherwise).
        step_up = ADMIN_ROLE in self.settings.mfa_required_roles
        clock = self.auth.clock

        async def admin_claims(
            claims: Annotated[dict[str, Any], Depends(bearer)],
        ) -> dict[str, Any]:
            require_role(claims, ADMIN_ROLE)
            if step_up and "sid" in claims:
                require_authentication(claims, acr="mfa", max_age=None, now=clock())
            return claims

        return admin_claims


def request_urls(request: Request, issuer: str, *, exact: bool) -> tuple[str, ...]:
    """The URLs a request may have been sent to, for a DPoP proof's ``htu`` (RFC 9449 4.3):
    the issuer's base (the public URL, behind any proxy) with the request's path; unless
    ``exact`` (JWTGATE_ISSUER set: the public URL is known), also the URL as received
    (``Host`` and scheme, as uvicorn's proxy headers give them)."""
    path = request.url.path
    public = issuer.rstrip("/") + path
    if exact:
        return (public,)
    received = str(request.url.replace(query="", fragment=""))
    return (public,) if public == received else (public, received)


def require_role(claims: Mapping[str, Any], role: str) -> None:
    """Raise InsufficientScope unless ``claims`` has ``role`` (RFC 6750 3.1)."""
    roles = claims.get("roles")
    if not isinstance(roles, list) or role not in roles:
        raise InsufficientScope(f"this needs the role {role}")
