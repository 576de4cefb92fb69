"""The one place where errors become HTTP: status, JSON body and ``WWW-Authenticate``.

Every error answer is ``{"error": CODE, "error_description": TEXT}`` (RFC 6749 5.2,
RFC 6750 3). Domain errors (:mod:`jwtgate.auth.errors`, :class:`jwtgate.InvalidToken`) are
mapped here and nowhere else; request validation, unknown routes and wrong methods get the same
body. Descriptions never echo what the client sent (it may be a password or a token).

::

    JWTGateError
     ├── InvalidToken ........ 401, WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 3.1)
     │    ├── MissingToken ... 401, bare WWW-Authenticate: Bearer realm="jwtgate" (RFC 6750 3)
     │    └── InvalidDPoPProof 401, WWW-Authenticate: DPoP error="invalid_dpop_proof", algs=..
     │         └── UseDPoPNonce .. and DPoP-Nonce (RFC 9449 7.1, 9)
     └── AuthError
          ├── InvalidGrant ... 401 on /auth/login and /auth/refresh, 400 elsewhere (RFC 6749 5.2)
          ├── InvalidClient .. 401, WWW-Authenticate: Basic realm="jwtgate" (RFC 6749 5.2)
          ├── InsufficientScope 403, WWW-Authenticate: Bearer error="insufficient_scope"
          ├── DPoPProofRefused 400 invalid_dpop_proof at /auth/token (RFC 9449 5)
          │    └── DPoPNonceRequired 400 use_dpop_nonce and DPoP-Nonce (RFC 9449 8)
          ├── Throttled ...... 429, Retry-After (RFC 6585 4)
          ├── Conflict ....... 409
          ├── EmailNotVerified 403 (sign-in waits for a verified address; 400 invalid_grant
          │                    at /auth/token, RFC 6749 5.2)
          ├── NotFound ....... 404 (RegistrationDisabled too)
          └── the rest ....... 400 (InvalidRequest, InvalidScope, UnsupportedGrantType,
                                    WeakPassword with "reasons")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..auth.dpop import DPOP_ALGORITHMS, DPoPNonceRequired
from ..auth.errors import (
    Conflict,
    EmailNotVerified,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    NotFound,
    Throttled,
    WeakPassword,
)
from ..jose.errors import InvalidDPoPProof, InvalidToken, JWTGateError, MissingToken, UseDPoPNonce

__all__ = [
    "REALM",
    "MissingToken",
    "UnsupportedMediaType",
    "bearer_challenge",
    "domain_error_response",
    "error_response",
    "install_error_handlers",
    "validation_description",
]

log = logging.getLogger("jwtgate.server")

REALM = "jwtgate"
USER_CREDENTIAL_PATHS = frozenset({"/auth/login", "/auth/refresh"})
"""Where a bad password or refresh token is 401; at /auth/token it is 400 (RFC 6749 5.2)."""

_HTTP_CODES = {
    400: "invalid_request",
    401: "invalid_token",
    403: "access_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "invalid_request",
}


class UnsupportedMediaType(StarletteHTTPException):
    """The body's content type is not the one the route reads (415)."""

    def __init__(self, expected: str) -> None:
        super().__init__(415, f"the body must be {expected}")


def error_response(
    status: int,
    code: str,
    description: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A JSON error answer ``{"error", "error_description", ...extra}`` with ``no-store``."""
    body = {"error": code, "error_description": description, **extra}
    all_headers = {"cache-control": "no-store", "pragma": "no-cache", **(headers or {})}
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=all_headers
    )


def _quoted(text: str) -> str:
    # RFC 6750 3: error_description is %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash.
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')


def bearer_challenge(error: str | None = None, description: str = "", scope: str = "") -> str:
    """A ``WWW-Authenticate: Bearer`` value (RFC 6750 3); bare realm when ``error`` is None."""
    if error is None:
        return f'Bearer realm="{REALM}"'
    value = f'Bearer realm="{REALM}", error="{error}", error_description="{_quoted(description)}"'
    if scope:
        value += f', scope="{_quoted(scope)}"'
    return value


def dpop_challenge(error: str, description: str) -> str:
    """``WWW-Authenticate: DPoP`` for a refused proof (RFC 9449 7.1), with the algorithms."""
    return (
        f'DPoP realm="{REALM}", error="{error}", error_description="{_quoted(description)}", '
        f'algs="{" ".join(DPOP_ALGORITHMS)}"'
    )


def _status_and_headers(exc: JWTGateError, request: Request) -> tuple[int, dict[str, str]]:
    if isinstance(exc, InvalidDPoPProof):  # at a protected route (RFC 9449 7.1, 9)
        headers = {"www-authenticate": dpop_challenge(exc.code, str(exc))}
        if isinstance(exc, UseDPoPNonce):
            headers["dpop-nonce"] = exc.nonce
        return 401, headers
    if isinstance(exc, DPoPNonceRequired):  # at the token endpoint (RFC 9449 8): 400
        return 400, {"dpop-nonce": exc.nonce}
    if isinstance(exc, MissingToken):
        return 401, {"www-authenticate": bearer_challenge()}
    if isinstance(exc, InvalidToken):
        return 401, {"www-authenticate": bearer_challenge("invalid_token", str(exc))}
    if isinstance(exc, InsufficientScope):
        challenge = bearer_challenge("insufficient_scope", str(exc))
        return 403, {"www-authenticate": challenge}
    if isinstance(exc, InvalidClient):
        return 401, {"www-authenticate": f'Basic realm="{REALM}"'}
    if isinstance(exc, InvalidGrant):
        if request.url.path in USER_CREDENTIAL_PATHS:
            return 401, {"www-authenticate": bearer_challenge()}
        return 400, {}
    if isinstance(exc, Throttled):
        return 429, {"retry-after": str(max(1, int(exc.retry_after)))}
    if isinstance(exc, Conflict):
        return 409, {}
    if isinstance(exc, EmailNotVerified):
        return 403, {}
    if isinstance(exc, NotFound):
        return 404, {}
    return 400, {}


def domain_error_response(exc: JWTGateError, request: Request) -> Response:
    """The answer to a domain error (see the module docstring for the mapping)."""
    status, headers = _status_and_headers(exc, request)
    code = getattr(exc, "code", None) or "invalid_request"
    if isinstance(exc, EmailNotVerified) and request.url.path == "/auth/token":
        status, code = 400, "invalid_grant"  # RFC 6749 5.2 has no code of its own for it
    extra: dict[str, Any] = {}
    if isinstance(exc, WeakPassword):
        extra["reasons"] = list(exc.reasons)
    if isinstance(exc, InvalidToken):
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None:
            metrics.token_error(exc)
    return error_response(status, code, str(exc) or code, headers, **extra)


def _location(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, rest = parts[0], parts[1:]
        if rest:
            return ".".join(rest) if where == "body" else f"{where} parameter {'.'.join(rest)}"
        return "the request body" if where == "body" else where
    return ".".join(parts) or "the request"


def validation_description(errors: Sequence[Any]) -> str:
    """One readable line from pydantic errors, never echoing the input (it may be a secret)."""
    lines = []
    for error in list(errors)[:5]:
        kind = error.get("type", "")
        loc = error.get("loc", ())
        if kind == "json_invalid":
            lines.append("the request body is not valid JSON")
        elif kind == "missing":
            lines.append(f"{_location(loc)}: required")
        elif kind == "extra_forbidden":
            lines.append(f"{_location(loc)}: unknown field")
        else:
            message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
            lines.append(f"{_location(loc)}: {message}")
    return "; ".join(dict.fromkeys(lines)) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers of domain errors, validation errors and HTTP errors on ``app``.

    Unexpected exceptions are answered by :class:`jwtgate.server.middleware.CatchAll`.
    """

    @app.exception_handler(JWTGateError)
    async def _domain(request: Request, exc: JWTGateError) -> Response:
        return domain_error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "invalid_request", validation_description(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        if status == 404 and exc.detail == "Not Found":
            description = f"no such resource: {request.method} {request.url.path}"
        elif status == 405:
            description = f"{request.method} is not allowed on {request.url.path}"
        else:
            description = str(exc.detail)
        code = _HTTP_CODES.get(status, "invalid_request" if status < 500 else "server_error")
        return error_response(status, code, description, exc.headers)
