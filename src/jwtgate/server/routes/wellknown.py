"""Discovery: the JWKS (RFC 7517) and the server metadata (RFC 8414, OIDC Discovery)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..context import ServerContext, json_response
from ..schemas import Discovery, Jwks
from .oauth import GRANT_TYPES

__all__ = ["wellknown_router"]

JWKS_PATH = "/.well-known/jwks.json"
CACHE = {"cache-control": "public, max-age=60"}


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
        """Issuer, endpoints, grant types, client authentication methods, scopes, algorithms."""
        base = auth.issuer.rstrip("/")
        return json_response(
            {
                "issuer": auth.issuer,
                "jwks_uri": base + JWKS_PATH,
                "authorization_endpoint": base + "/auth/authorize",
                "token_endpoint": base + "/auth/token",
                "revocation_endpoint": base + "/auth/revoke",
                "introspection_endpoint": base + "/auth/introspect",
                "grant_types_supported": list(GRANT_TYPES),
                # The authorization code flow (issue 13): code only, query only, PKCE S256
                # only, and iss on every authorization response (RFC 9207).
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "code_challenge_methods_supported": ["S256"],
                "authorization_response_iss_parameter_supported": True,
                "prompt_values_supported": ["none", "login", "consent"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "revocation_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "introspection_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "bearer",
                ],
                "scopes_supported": auth.scopes_supported,
                "token_endpoint_auth_signing_alg_values_supported": auth.algorithms,
                "id_token_signing_alg_values_supported": auth.algorithms,
                "subject_types_supported": ["public"],
            },
            headers=CACHE,
        )

    return router
