"""Helpers of the OpenID Connect tests over HTTP: a relying party registered for the code
flow, the whole flow through the pages (sign-in, authorize, code exchange), ID tokens
validated with PyJWT against the published JWKS as a relying party would (OIDC Core
3.1.3.7), and logout receivers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt as pyjwt
from fastapi import FastAPI

from jwtgate import unverified_header
from jwtgate.auth import AuthService
from jwtgate.auth.oauth import ClientMetadata

from .oauthkit import (
    BROWSER_BASE,
    REDIRECT,
    authorize_params,
    consent,
    csrf_of,
    exchange,
    pkce,
    query_of,
    sign_in,
)
from .serverkit import CLIENT_ADDRESS, ISSUER, PASSWORD, check_response

POST_LOGOUT = "https://app.example/signed-out"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")


@dataclass
class RP:
    """A registered relying party (confidential unless ``secret`` is None)."""

    client_id: str
    secret: str | None


def register_rp(
    auth: AuthService,
    *,
    public: bool = False,
    name: str = "Wiki",
    scopes: Sequence[str] = OIDC_SCOPES,
    first_party: bool = True,
    **meta: Any,
) -> RP:
    """A code-flow client with the OpenID scopes, a post-logout redirect URI and refresh."""
    fields: dict[str, Any] = {
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [POST_LOGOUT],
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": list(scopes),
        "first_party": first_party,
        **meta,
    }
    client, secret = auth.create_client(name, public=public, meta=ClientMetadata(**fields))
    return RP(client.client_id, secret)


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A browser-like client (cookies kept, redirects not followed); pages may answer 4xx in
    HTML, the JSON API is checked as everywhere, nothing may answer 5xx."""

    async def no_5xx(response: httpx.Response) -> None:
        path = response.request.url.path
        if path in ("/auth/authorize", "/auth/end-session"):
            await response.aread()
            assert response.status_code < 500, response.text[:300]
            assert "Traceback" not in response.text
            return
        await check_response(response)

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=CLIENT_ADDRESS),
        base_url=BROWSER_BASE,
        follow_redirects=False,
        event_hooks={"response": [no_5xx]},
    )


@dataclass
class Flow:
    """What one authorization and code exchange produced."""

    query: dict[str, str]
    tokens: dict[str, Any]
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def id_token(self) -> str:
        token: str = self.tokens["id_token"]
        return token


def id_claims(auth: AuthService, token: str, rp: RP, **options: Any) -> dict[str, Any]:
    """Validate an ID token as a relying party: typ, signature by a JWKS key of the header's
    kid and alg, iss, aud, exp, iat (PyJWT)."""
    header = unverified_header(token)
    assert header["typ"] == "JWT" and header.get("kid")
    jwks = pyjwt.PyJWKSet.from_dict(auth.jwks())
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = pyjwt.decode(
        token,
        key.key,
        algorithms=[header["alg"]],
        audience=rp.client_id,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss", "aud"], **options},
        leeway=120,  # tests move an injected clock ahead of PyJWT's
    )
    return claims


async def authorize(
    b: httpx.AsyncClient, rp: RP, challenge: str, *, method: str = "GET", **extra: str
) -> httpx.Response:
    """One authorization request (consent answered 'allow' if asked)."""
    extra.setdefault("scope", "openid profile email")
    params = authorize_params(rp.client_id, challenge, **extra)
    if method == "POST":
        response = await b.post("/auth/authorize", data=params, headers={"origin": BROWSER_BASE})
    else:
        response = await b.get("/auth/authorize", params=params)
    if response.status_code == 200 and 'name="decision"' in response.text:
        response = await consent(b, response, "allow")
    return response


async def code_flow(
    auth: AuthService,
    b: httpx.AsyncClient,
    api: httpx.AsyncClient,
    rp: RP,
    *,
    signed_in: bool = False,
    username: str = "alice",
    method: str = "GET",
    verify: bool = True,
    **extra: str,
) -> Flow:
    """The whole code flow for a browser: sign in unless ``signed_in``, authorize, exchange
    the code (PKCE); the ID token validated when ``verify``."""
    if not signed_in:
        await sign_in(b, username)
    verifier, challenge = pkce()
    extra.setdefault("nonce", "n-" + str(time.monotonic_ns()))
    response = await authorize(b, rp, challenge, method=method, **extra)
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith(REDIRECT), location
    query = query_of(location)
    assert query.get("iss") == ISSUER and "code" in query, query
    token = await exchange(api, rp.client_id, query["code"], verifier, secret=rp.secret)
    assert token.status_code == 200, token.text
    flow = Flow(query, token.json())
    if verify and "id_token" in flow.tokens:
        flow.claims = id_claims(auth, flow.id_token, rp)
        assert flow.claims["nonce"] == extra["nonce"] if extra["nonce"] else True
    return flow


async def resume_sign_in(
    b: httpx.AsyncClient, login_location: str, username: str = "alice"
) -> httpx.Response:
    """Where ``/auth/authorize`` sent the browser to sign in (``/web/login?next=...``, with
    ``fresh=1`` for prompt=login or max_age): fill the form there, then follow ``next`` back
    to the authorization endpoint; its answer."""
    page = await b.get(login_location)
    assert page.status_code == 200, page.text[:300]
    form = {
        "username": username,
        "password": PASSWORD,
        "csrf_token": csrf_of(page),
        "next": query_of(login_location)["next"],
    }
    posted = await b.post("/web/login", data=form, headers={"origin": BROWSER_BASE})
    assert posted.status_code == 303, posted.text[:300]
    return await b.get(posted.headers["location"])
