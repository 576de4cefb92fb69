"""The userinfo endpoint (OpenID Connect Core 5.3): GET or POST, the access token as a bearer
header, or on POST as ``access_token`` in a form body (RFC 6750 2.1, 2.2; OIDC Core 5.3.1).

Errors follow RFC 6750 3.1 through the one error handler: no token 401 with a bare
``WWW-Authenticate: Bearer``, a bad one 401 ``invalid_token``, a token without ``openid``
403 ``insufficient_scope``, two tokens at once 400 ``invalid_request``.
"""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...auth.errors import InvalidRequest
from ...jose.errors import MissingToken
from ..context import NO_STORE, ServerContext, bearer_scheme, json_response
from ..schemas import UserInfo
from . import errors

__all__ = ["userinfo_router"]

FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FORM_TOKEN = 16 * 1024


def userinfo_router(ctx: ServerContext) -> APIRouter:
    """``GET/POST /auth/userinfo``."""
    router = APIRouter(prefix="/auth", tags=["oidc"])
    auth = ctx.auth
    Header = Annotated[str | None, Depends(bearer_scheme)]

    def answer(token: str | None) -> Response:
        if not token or not token.strip():
            raise MissingToken()
        claims = auth.authenticate(token.strip())
        return json_response(auth.userinfo(claims), headers=NO_STORE)

    responses = errors(400, 401, 403, s403="insufficient_scope: the token was not granted openid")

    @router.get(
        "/userinfo",
        response_model=UserInfo,
        summary="Claims about the signed-in user",
        responses=responses,
    )
    def userinfo_get(token: Header) -> Response:
        """``sub`` and the claims of the token's scopes (``profile``: preferred_username,
        name, updated_at; ``email``: email, email_verified). Needs scope ``openid``."""
        return answer(token)

    @router.post(
        "/userinfo",
        response_model=UserInfo,
        summary="Claims about the signed-in user (POST)",
        responses=responses,
    )
    async def userinfo_post(request: Request, token: Header) -> Response:
        """As GET; the token may instead be ``access_token`` in a form body (RFC 6750 2.2)."""
        body_token: str | None = None
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media == FORM_TYPE:
            form = await request.form(max_files=0, max_fields=32)
            value = form.get("access_token")
            if value is not None:
                if not isinstance(value, str) or len(value) > _MAX_FORM_TOKEN:
                    raise InvalidRequest("access_token must be a token")
                body_token = value
        if token and body_token is not None:
            # RFC 6750 2: a client must not use more than one method to send the token.
            raise InvalidRequest("send the access token once: header or body, not both")
        return await run_in_threadpool(answer, token or body_token)

    return router
