"""OAuth 2.0 endpoints: token (RFC 6749), revoke (RFC 7009), introspect (RFC 7662), and the
revocation feed for remote Guards. All take ``application/x-www-form-urlencoded``."""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from ...auth.errors import InvalidClient, InvalidRequest, UnsupportedGrantType
from ...auth.values import TokenPair
from ..context import (
    ADMIN_ROLE,
    NO_STORE,
    ServerContext,
    bearer_claims,
    bearer_scheme,
    client_credentials,
    client_ip,
    json_response,
    require_form,
    require_role,
    user_agent,
)
from ..schemas import Introspection, NoNul, RevocationFeed, TokenForm, TokenOut
from . import errors

__all__ = ["GRANT_TYPES", "oauth_router"]

GRANT_TYPES = ("password", "refresh_token", "client_credentials")
TokenField = Annotated[str, Form(min_length=1, max_length=16 * 1024)]
OptionalField = Annotated[str | None, Form(max_length=1024)]


FORM_TYPE = "application/x-www-form-urlencoded"


def _text(value: str | UploadFile | None) -> str | None:
    return value[:1024] if isinstance(value, str) else None


def _required(value: str | None, name: str) -> str:
    if not value:
        raise InvalidRequest(f"{name} is required")
    return value


def oauth_router(ctx: ServerContext) -> APIRouter:
    """``/auth/token``, ``/auth/revoke``, ``/auth/introspect``, ``/auth/revocations``."""
    router = APIRouter(prefix="/auth", tags=["oauth"])
    auth, metrics = ctx.auth, ctx.metrics
    form_only = [Depends(require_form)]

    def authenticated_client(
        request: Request, form_id: str | None, form_secret: str | None
    ) -> str | None:
        credentials = client_credentials(request, form_id, form_secret)
        if credentials is None:
            return None
        return auth.authenticate_client(*credentials).client_id

    @router.post(
        "/token",
        response_model=TokenOut,
        dependencies=form_only,
        summary="OAuth 2.0 token endpoint (RFC 6749)",
        responses=errors(
            400,
            401,
            415,
            429,
            s400="RFC 6749 5.2: invalid_request, invalid_grant, unsupported_grant_type, "
            "invalid_scope",
            s401="invalid_client: client authentication failed",
        ),
    )
    def token(form: Annotated[TokenForm, Form()], request: Request) -> Response:
        """Grants: ``password`` and ``refresh_token`` (public clients welcome; a client that
        sends credentials is authenticated), ``client_credentials`` (a confidential client by
        HTTP Basic or client_id + client_secret; no refresh token)."""
        grant = _required(form.grant_type, "grant_type")
        if grant not in GRANT_TYPES:
            raise UnsupportedGrantType(f"grant_type must be one of {', '.join(GRANT_TYPES)}")
        ip, agent = client_ip(request), user_agent(request)
        pair: TokenPair
        if grant == "client_credentials":
            credentials = client_credentials(request, form.client_id, form.client_secret)
            if credentials is None:
                raise InvalidClient("client_credentials needs client authentication")
            pair = auth.client_credentials(*credentials, form.scope)
        elif grant == "password":
            username = _required(form.username, "username")
            password = _required(form.password, "password")
            client_id = authenticated_client(request, form.client_id, form.client_secret)
            with metrics.counting(metrics.logins):
                pair = auth.password_grant(
                    username,
                    password,
                    form.scope,
                    client_id=client_id,
                    client_ip=ip,
                    user_agent=agent,
                )
        else:
            refresh_token = _required(form.refresh_token, "refresh_token")
            authenticated_client(request, form.client_id, form.client_secret)
            with metrics.counting(metrics.refreshes):
                pair = auth.refresh_grant(refresh_token, form.scope, client_ip=ip, user_agent=agent)
        return json_response(pair.to_dict(), headers=NO_STORE)

    @router.post(
        "/revoke",
        dependencies=form_only,
        response_class=Response,  # RFC 7009 2.2: 200 with an empty body, not JSON
        summary="Revoke a token (RFC 7009)",
        response_description="Revoked, or nothing to revoke (RFC 7009 2.2)",
        responses=errors(400, 401, 415),
    )
    def revoke(
        request: Request,
        token: TokenField,
        token_type_hint: OptionalField = None,
        client_id: OptionalField = None,
        client_secret: OptionalField = None,
    ) -> Response:
        """An access token is revoked by its jti, a refresh token with its whole session.
        Unknown or expired tokens answer 200 too. Client credentials, when sent, must be right.
        """
        authenticated_client(request, client_id, client_secret)
        auth.revoke(token, token_type_hint)
        return Response(status_code=200, headers=NO_STORE)

    @router.post(
        "/introspect",
        response_model=Introspection,
        dependencies=form_only,
        summary="Introspect a token (RFC 7662)",
        responses=errors(
            400,
            401,
            403,
            415,
            s401="no or wrong client credentials, or a bad bearer token",
            s403="a bearer without the role admin",
        ),
    )
    def introspect(
        request: Request,
        token: TokenField,
        bearer: Annotated[str | None, Depends(bearer_scheme)],
        token_type_hint: OptionalField = None,
        client_id: OptionalField = None,
        client_secret: OptionalField = None,
    ) -> Response:
        """``{"active": false}`` or the token's claims with ``active: true``. The caller is a
        confidential client (HTTP Basic or form) or a bearer with role admin."""
        if bearer is not None:
            require_role(bearer_claims(auth, bearer), ADMIN_ROLE)
        else:
            credentials = client_credentials(request, client_id, client_secret)
            if credentials is None:
                raise InvalidClient("introspection needs client credentials or an admin bearer")
            auth.authenticate_client(*credentials)
        return json_response(auth.introspect(token), headers=NO_STORE)

    @router.get(
        "/revocations",
        response_model=RevocationFeed,
        summary="The revocation feed for Guards",
        responses=errors(400, 401),
    )
    async def revocations(
        request: Request,
        since: Annotated[str | None, Query(max_length=64), NoNul] = None,
    ) -> Response:
        """Revoked session ids, token ids and per-user not-before times since the cursor (the
        whole live state without one). A confidential client authenticates by HTTP Basic, or
        by client_id and client_secret in a form-encoded body."""
        form_id = form_secret = None
        if request.headers.get("content-type", "").startswith(FORM_TYPE):
            form = await request.form()
            form_id, form_secret = _text(form.get("client_id")), _text(form.get("client_secret"))
        credentials = client_credentials(request, form_id, form_secret)
        if credentials is None:
            raise InvalidClient("the revocation feed needs client credentials (HTTP Basic)")
        await run_in_threadpool(auth.authenticate_client, *credentials)
        feed = await run_in_threadpool(auth.revocations_since, since)
        return json_response(feed, headers=NO_STORE)

    return router
