"""Discovery: the JWKS (RFC 7517) and the server metadata (RFC 8414, OIDC Discovery)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from ...auth.oidc.provider import ACR
from ...auth.oidc.userinfo import supported_claims
from ..context import ServerContext, json_response
from ..schemas import Discovery, Jwks
from .oauth import GRANT_TYPES

__all__ = ["wellknown_router"]

JWKS_PATH = "/.well-known/jwks.json"
REVOCATION_FEED_PATH = "/auth/revocations"
CACHE = {"cache-control": "public, max-age=60"}


CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
"""How a confidential client authenticates (RFC 6749 2.3.1); "none" is a public client."""


def metadata(issuer: str, scopes: list[str], *, password_grant: bool = True) -> dict[str, Any]:
    """The server metadata (RFC 8414 2). Each member names something that works: a test walks
    the document and exercises every endpoint, grant type and authentication method. The
    password grant is listed only where someone may use it (``password_grant``)."""
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": base + JWKS_PATH,
        "authorization_endpoint": base + "/auth/authorize",
        "token_endpoint": base + "/auth/token",
        "revocation_endpoint": base + "/auth/revoke",
        "introspection_endpoint": base + "/auth/introspect",
        # Not a registered RFC 8414 name: jwtgate's Guard reads it to find the feed.
        "revocation_feed_endpoint": base + REVOCATION_FEED_PATH,
        "grant_types_supported": [g for g in GRANT_TYPES if g != "password" or password_grant],
        # The authorization code flow (issue 13): code only, query only, PKCE S256 only, and
        # iss on every authorization response (RFC 9207).
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "prompt_values_supported": ["none", "login", "consent"],
        "token_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "none"],
        "revocation_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "none"],
        "introspection_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "bearer"],
        "scopes_supported": scopes,
        "subject_types_supported": ["public"],
    }


def wellknown_router(ctx: ServerContext) -> APIRouter:
    """``/.well-known/jwks.json`` and ``/.well-known/openid-configuration``."""
    router = APIRouter(prefix="/.well-known", tags=["discovery"])
    auth = ctx.auth

    @router.get("/jwks.json", response_model=Jwks, summary="The public signing keys")
    def jwks() -> Response:
        """The active key and every retired key still valid for tokens in flight. Cached for
        a minute: a Guard that meets an unknown kid refetches."""
        return json_response(auth.jwks(), headers=CACHE)

    @router.get("/openid-configuration", response_model=Discovery, summary="Server metadata")
    def discovery() -> Response:
        """Issuer, endpoints, grant types, client authentication methods, public scopes, the
        authorization code flow, OpenID Connect, DPoP. Only what is implemented is advertised."""
        # RFC 9700 2.4: the password grant is advertised only while it is switched on for
        # requests without a client, or some client lists it.
        password = ctx.settings.allow_password_grant or any(
            "password" in c.grant_types for c in auth.list_clients()
        )
        meta = metadata(auth.issuer, auth.scopes_supported, password_grant=password)
        base = auth.issuer.rstrip("/")
        # OpenID Connect (issue 14): only what is implemented. No request objects, no claims
        # parameter (request_uri_parameter_supported defaults to true in OIDC Discovery 3, so
        # it is said false), no JWT client authentication.
        meta.update(
            userinfo_endpoint=base + "/auth/userinfo",
            end_session_endpoint=base + "/auth/end-session",
            id_token_signing_alg_values_supported=auth.id_token_algorithms,
            claims_supported=supported_claims(),
            acr_values_supported=[ACR],
            claims_parameter_supported=False,
            request_parameter_supported=False,
            request_uri_parameter_supported=False,
            backchannel_logout_supported=True,
            backchannel_logout_session_supported=True,
        )
        # RFC 9449 5.1: DPoP proofs at the token endpoint and the protected routes.
        meta["dpop_signing_alg_values_supported"] = sorted(auth.dpop.algorithms)
        return json_response(meta, headers=CACHE)

    return router
