"""The authorization code flow at the service level, for the OpenID Connect tests: a browser
sign-in (SSO), an authorization request, the code exchange."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from jwtgate.auth import AuthService, TokenPair
from jwtgate.auth.oauth.clients import ClientMetadata
from jwtgate.auth.values import ClientAuth

from .authkit import PASSWORD

REDIRECT_URI = "https://rp.example/cb"


@dataclass
class App:
    """A registered confidential client."""

    client_id: str
    secret: str

    @property
    def auth(self) -> ClientAuth:
        return ClientAuth(self.client_id, self.secret, "client_secret_basic")


def add_app(auth: AuthService, **meta: Any) -> App:
    """A confidential code-flow client allowed the OpenID scopes (``meta`` overrides)."""
    fields: dict[str, Any] = {
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": ["openid", "profile", "email", "offline_access"],
        "first_party": True,
        **meta,
    }
    client, secret = auth.create_client(meta.get("name", "rp"), meta=ClientMetadata(**fields))
    assert secret is not None
    return App(client.client_id, secret)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_in(auth: AuthService, username: str = "alice") -> str:
    """A browser sign-in; the SSO token its cookie would hold."""
    return auth.browser_sign_in(username, PASSWORD).sso_token


def code_flow(
    auth: AuthService,
    app: App,
    *,
    scope: str = "openid profile",
    nonce: str | None = "n-0S6_WzA2Mj",
    sso_token: str | None = None,
    **extra: str,
) -> TokenPair:
    """Sign in (unless ``sso_token``), authorize, exchange the code: the token answer."""
    sso = auth.sso_session(sso_token or sign_in(auth))
    assert sso is not None
    verifier, challenge = pkce()
    params = [
        ("response_type", "code"),
        ("client_id", app.client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("state", "st"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        *((("nonce", nonce),) if nonce is not None else ()),
        *extra.items(),
    ]
    decision = auth.authorize(auth.authorization_request(params), sso)
    assert decision.kind == "code" and decision.code, decision
    return auth.code_grant(
        app.auth, code=decision.code, redirect_uri=REDIRECT_URI, code_verifier=verifier
    )
