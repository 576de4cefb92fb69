"""The JSON login API: login, refresh, logout, logout-all, me, password, register."""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from ..context import (
    NO_STORE,
    ServerContext,
    client_ip,
    json_response,
    require_json,
    user_agent,
)
from ..schemas import (
    LoginRequest,
    LogoutRequest,
    MeOut,
    PasswordChange,
    RefreshRequest,
    RegisterRequest,
    TokenOut,
    UserOut,
)
from . import errors

__all__ = ["auth_router"]


def auth_router(ctx: ServerContext) -> APIRouter:
    """The routes under ``/auth`` that speak JSON."""
    router = APIRouter(prefix="/auth", tags=["auth"])
    auth, metrics = ctx.auth, ctx.metrics
    Claims = Annotated[dict[str, Any], Depends(ctx.bearer())]
    json_only = [Depends(require_json)]

    @router.post(
        "/login",
        response_model=TokenOut,
        dependencies=json_only,
        summary="Log in with a username and password",
        responses=errors(
            400,
            401,
            415,
            429,
            s401="invalid_grant: unknown user, wrong "
            "password or disabled account (one answer for all three)",
        ),
    )
    def login(body: LoginRequest, request: Request) -> Response:
        """Check the credentials and start a session: an access token and a refresh token.

        Unknown user, wrong password and disabled account get the same 401 in the same time.
        """
        with metrics.counting(metrics.logins):
            pair = auth.login(
                body.username,
                body.password,
                client_ip=client_ip(request),
                user_agent=user_agent(request),
            )
        return json_response(pair.to_dict(), headers=NO_STORE)

    @router.post(
        "/refresh",
        response_model=TokenOut,
        dependencies=json_only,
        summary="Exchange a refresh token for a new pair",
        responses=errors(
            400,
            401,
            415,
            s401="invalid_grant: unknown, expired, revoked or "
            "reused refresh token (reuse revokes the whole session)",
        ),
    )
    def refresh(body: RefreshRequest, request: Request) -> Response:
        """Rotate: the old refresh token dies; presenting it again revokes the session."""
        with metrics.counting(metrics.refreshes):
            pair = auth.refresh(
                body.refresh_token, client_ip=client_ip(request), user_agent=user_agent(request)
            )
        return json_response(pair.to_dict(), headers=NO_STORE)

    @router.post(
        "/logout",
        status_code=204,
        dependencies=json_only,
        summary="Revoke the current session",
        responses=errors(400, 401, 415),
    )
    def logout(claims: Claims, body: Annotated[LogoutRequest | None, Body()] = None) -> Response:
        """Revoke the bearer's session (and the given refresh token's, if it is the same
        user's): its refresh token stops refreshing and its access tokens are rejected."""
        auth.logout(claims, body.refresh_token if body else None)
        return Response(status_code=204)

    @router.post(
        "/logout-all",
        status_code=204,
        summary="Revoke every session of the caller",
        responses=errors(401),
    )
    def logout_all(claims: Claims) -> Response:
        """Revoke every session of the user; all their access tokens die too."""
        auth.logout_all(claims)
        return Response(status_code=204)

    @router.get(
        "/me",
        response_model=MeOut,
        summary="Who the bearer is",
        responses=errors(401),
    )
    async def me(claims: Claims) -> Response:
        """The caller, from the verified access token; no database read."""
        return json_response(auth.me(claims))

    @router.post(
        "/password",
        status_code=204,
        dependencies=json_only,
        summary="Change the caller's password",
        responses=errors(
            400,
            401,
            404,
            415,
            429,
            s400="invalid_grant (wrong current "
            "password), weak_password (with reasons) or invalid_request",
        ),
    )
    def change_password(body: PasswordChange, claims: Claims) -> Response:
        """Change the password; the user's other sessions are revoked."""
        auth.change_password(claims, body.current_password, body.new_password)
        return Response(status_code=204)

    @router.post(
        "/register",
        status_code=201,
        response_model=UserOut,
        dependencies=json_only,
        summary="Create an account (when registration is enabled)",
        responses=errors(
            400,
            404,
            409,
            415,
            429,
            s400="invalid_request (a username that is not allowed, with why: characters, "
            "mixed scripts, a look-alike of a Latin name) or weak_password",
            s404="registration is disabled",
        ),
    )
    def register(body: RegisterRequest, request: Request) -> Response:
        """Self-registration (``JWTGATE_ALLOW_REGISTRATION=true``); the user gets no role.
        Throttled per client address like login."""
        user = auth.register(body.username, body.password, body.email, client_ip=client_ip(request))
        return json_response(user.to_dict(), 201)

    return router
