"""OAuth 2.0 endpoints: token (RFC 6749), revoke (RFC 7009), introspect (RFC 7662), and the
revocation feed for remote Guards. All take ``application/x-www-form-urlencoded``."""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...auth.errors import InvalidClient, InvalidRequest, UnsupportedGrantType
from ...auth.values import ClientAuth, TokenPair
from ..context import (
    ADMIN_ROLE,
    NO_STORE,
    ServerContext,
    bearer_claims,
    bearer_scheme,
    client_ip,
    form_client,
    form_values,
    json_response,
    request_urls,
    require_form,
    require_role,
    user_agent,
)
from ..schemas import Introspection, NoNul, RevocationFeed, TokenForm, TokenOut
from . import errors

__all__ = ["GRANT_TYPES", "oauth_router"]

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", "password")
TokenField = Annotated[str, Form(min_length=1, max_length=16 * 1024)]
OptionalField = Annotated[str | None, Form(max_length=1024)]


def _required(value: str | None, name: str) -> str:
    if not value:
        raise InvalidRequest(f"{name} is required")
    return value


def _resources(fields: list[tuple[str, str]]) -> list[str]:
    """Every ``resource`` parameter (RFC 8707 2: it may repeat)."""
    return [value for name, value in fields if name == "resource"]


def oauth_router(ctx: ServerContext) -> APIRouter:
    """``/auth/token``, ``/auth/revoke``, ``/auth/introspect``, ``/auth/revocations``."""
    router = APIRouter(prefix="/auth", tags=["oauth"])
    auth, metrics = ctx.auth, ctx.metrics
    form_only = [Depends(require_form)]
    Client = Annotated[ClientAuth | None, Depends(form_client)]
    Fields = Annotated[list[tuple[str, str]], Depends(form_values)]

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
    def token(
        form: Annotated[TokenForm, Form()], request: Request, client: Client, fields: Fields
    ) -> Response:
        """Grants: ``authorization_code`` (with PKCE, RFC 7636), ``refresh_token`` (for the
        client it was issued to), ``client_credentials`` (a confidential client; no refresh
        token) and ``password`` (only for clients that list it, RFC 9700 2.4). A public
        client sends ``client_id``; a confidential one authenticates by HTTP Basic or
        ``client_id`` + ``client_secret``. ``resource`` (RFC 8707) picks the audience."""
        grant = _required(form.grant_type, "grant_type")
        if grant not in GRANT_TYPES:
            raise UnsupportedGrantType(f"grant_type must be one of {', '.join(GRANT_TYPES)}")
        # RFC 9449 5: a DPoP proof binds what this grant issues to the client's key. htu is
        # the advertised token endpoint, or the URL this request reached.
        proofs = request.headers.getlist("dpop")
        jkt = auth.dpop.token_request(
            proofs, htu=request_urls(request, auth.issuer, exact=bool(ctx.settings.issuer))
        )
        ip, agent = client_ip(request), user_agent(request)
        resources = _resources(fields)
        pair: TokenPair
        if grant == "client_credentials":
            if client is None or client.secret is None:
                raise InvalidClient("client_credentials needs client authentication")
            pair = auth.client_credentials(
                client, scope=form.scope, resources=resources, dpop_jkt=jkt
            )
        elif grant == "authorization_code":
            if client is None:
                raise InvalidClient("the authorization_code grant needs client_id or credentials")
            pair = auth.code_grant(
                client,
                code=_required(form.code, "code"),
                redirect_uri=form.redirect_uri,
                code_verifier=form.code_verifier,
                resources=resources,
                client_ip=ip,
                user_agent=agent,
                dpop_jkt=jkt,
            )
        elif grant == "password":
            username = _required(form.username, "username")
            password = _required(form.password, "password")
            with metrics.counting(metrics.logins):
                pair = auth.token_password_grant(
                    username,
                    password,
                    form.scope,
                    client=client,
                    resources=resources,
                    client_ip=ip,
                    user_agent=agent,
                    dpop_jkt=jkt,
                )
        else:
            refresh_token = _required(form.refresh_token, "refresh_token")
            with metrics.counting(metrics.refreshes):
                pair = auth.refresh_grant(
                    refresh_token,
                    form.scope,
                    client=client,
                    resources=resources,
                    client_ip=ip,
                    user_agent=agent,
                    dpop_jkt=jkt,
                )
        headers = NO_STORE
        if proofs and auth.dpop.require_nonce:  # RFC 9449 8.2: the nonce for the next proof
            headers = {**NO_STORE, "DPoP-Nonce": auth.dpop.nonces.current()}
        return json_response(pair.to_dict(), headers=headers)

    @router.post(
        "/revoke",
        dependencies=form_only,
        response_class=Response,  # RFC 7009 2.2: 200 with an empty body, not JSON
        summary="Revoke a token (RFC 7009)",
        response_description="Revoked, or nothing to revoke (RFC 7009 2.2)",
        responses=errors(400, 401, 415),
    )
    def revoke(
        token: TokenField,
        client: Client,
        token_type_hint: OptionalField = None,
        client_id: OptionalField = None,
        client_secret: OptionalField = None,
    ) -> Response:
        """An access token is revoked by its jti, a refresh token with its whole session, if
        it was issued to the requesting client (RFC 7009 2.1: a public client sends
        ``client_id``; tokens of the first-party login are revoked without a client).
        Unknown or expired tokens, and tokens of other clients, answer 200 too. Client
        credentials, when sent, must be right."""
        auth.revoke(token, token_type_hint, client=client)
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
        token: TokenField,
        client: Client,
        bearer: Annotated[str | None, Depends(bearer_scheme)],
        token_type_hint: OptionalField = None,
        client_id: OptionalField = None,
        client_secret: OptionalField = None,
    ) -> Response:
        """``{"active": false}`` or the token's claims with ``active: true``. The caller is a
        confidential client (HTTP Basic or form) or a bearer with role admin."""
        if bearer is not None:
            claims = bearer_claims(auth, bearer)
            # A DPoP-bound admin token is no bearer token (RFC 9449 7.2).
            auth.dpop.resource_request("bearer", bearer.strip(), claims, (), htm="", htu=())
            require_role(claims, ADMIN_ROLE)
        else:
            if client is None or client.secret is None:
                raise InvalidClient("introspection needs client credentials or an admin bearer")
            auth.authenticate_client(client)
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
        credentials = await form_client(request)
        if credentials is None or credentials.secret is None:
            raise InvalidClient("the revocation feed needs client credentials (HTTP Basic)")
        await run_in_threadpool(auth.authenticate_client, credentials)
        feed = await run_in_threadpool(auth.revocations_since, since)
        return json_response(feed, headers=NO_STORE)

    return router
