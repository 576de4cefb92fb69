"""Starlette: an ``AuthenticationBackend`` for ``AuthenticationMiddleware``, and a ``require``
decorator for endpoints.

``middleware(guard)`` is the one-liner: requests without a bearer token pass through
unauthenticated (``request.user.is_authenticated`` is False); a bad token is answered 401 by
the middleware, RFC 6750 style. ``request.auth.scopes`` holds ``authenticated`` and the token's
scopes, so Starlette's own ``requires`` works too; ``require(roles=..., scopes=...)`` here
answers 401/403 with the RFC 6750 challenge and JSON body instead of a bare 403.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError
from starlette.authentication import BaseUser as _BaseUser
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from ..jose.errors import InvalidToken
from .bearer import Denial, Denied, credentials, deny
from .core import Guard
from .middleware import authenticate
from .policy import InsufficientScope, Requirement
from .principal import Principal

__all__ = [
    "GuardBackend",
    "GuardUser",
    "InvalidBearer",
    "denial_response",
    "middleware",
    "on_auth_error",
    "require",
]

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
# Not GuardMiddleware's "jwtgate.guard": that one promises a verdict in scope["jwtgate"].
BACKEND_GUARD = "jwtgate.backend"


class GuardUser(_BaseUser):
    """``request.user`` for a verified token; ``principal`` holds its roles and scopes."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.username or self.principal.sub

    @property
    def identity(self) -> str:
        return self.principal.sub


class InvalidBearer(AuthenticationError):
    """A bad bearer token; ``denial`` holds the RFC 6750 answer."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.description)
        self.denial = denial


class GuardBackend(AuthenticationBackend):
    """Authenticates ``Authorization: Bearer`` requests with a Guard."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, GuardUser] | None:
        """None without Bearer or DPoP credentials; raises InvalidBearer for bad ones."""
        guard = self.guard
        conn.scope[BACKEND_GUARD] = guard  # for require()'s challenges
        try:
            if credentials(conn.headers.get("authorization")) is None:
                return None
            principal = await authenticate(guard, conn.scope)
        except InvalidToken as exc:  # a malformed Authorization header
            raise InvalidBearer(deny(exc, "bearer", guard.dpop)) from None
        except Denied as exc:
            raise InvalidBearer(exc.denial) from None
        return AuthCredentials(["authenticated", *principal.scopes]), GuardUser(principal)


def denial_response(denial: Denial) -> Response:
    """The JSON response for ``denial``."""
    return JSONResponse(denial.body, status_code=denial.status, headers=dict(denial.headers))


def on_auth_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """``on_error`` for AuthenticationMiddleware: 401 ``invalid_token`` (RFC 6750 3.1)."""
    denial = exc.denial if isinstance(exc, InvalidBearer) else deny(InvalidToken(str(exc)))
    return denial_response(denial)


def middleware(guard: Guard) -> Middleware:
    """``Starlette(middleware=[middleware(guard)])``."""
    return Middleware(AuthenticationMiddleware, backend=GuardBackend(guard), on_error=on_auth_error)


def require(
    *,
    roles: str | Iterable[str] = (),
    scopes: str | Iterable[str] = (),
    any_role: str | Iterable[str] = (),
) -> Callable[[Endpoint], Endpoint]:
    """Decorate an endpoint ``f(request)`` (sync or async) behind :func:`middleware`: 401
    without a verified token, 403 ``insufficient_scope`` without the roles or scopes."""
    requirement = Requirement.of(roles, scopes, any_role)

    def check(request: Request) -> Response | None:
        user = request.scope.get("user")
        guard = request.scope.get(BACKEND_GUARD)
        policy = guard.dpop if isinstance(guard, Guard) else None
        if not isinstance(user, GuardUser):
            return denial_response(deny(None, "bearer", policy))
        try:
            requirement.check(user.principal)
        except InsufficientScope as exc:
            return denial_response(deny(exc, "dpop" if user.principal.jkt else "bearer", policy))
        return None

    def decorator(endpoint: Endpoint) -> Endpoint:
        if inspect.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def async_wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
                denied = check(request)
                if denied is not None:
                    return denied
                return await endpoint(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(endpoint)
        async def sync_wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
            denied = check(request)
            if denied is not None:
                return denied
            return await run_in_threadpool(endpoint, request, *args, **kwargs)

        return sync_wrapper  # type: ignore[return-value]

    return decorator
