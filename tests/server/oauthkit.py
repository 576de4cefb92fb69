"""Helpers for authorization code flow tests: PKCE pairs, registered clients, a browser-like
httpx client on the app (cookies kept, redirects not followed), sign-in and consent."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fastapi import FastAPI

from jwtgate.auth import AuthService
from jwtgate.auth.oauth import ClientMetadata

from .serverkit import CLIENT_ADDRESS, PASSWORD, check_response

BROWSER_BASE = "http://127.0.0.1:8000"
REDIRECT = "https://app.example/callback"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def register(
    auth: AuthService,
    *,
    public: bool = True,
    redirect_uris: Sequence[str] = (REDIRECT,),
    scopes: Sequence[str] = ("openid", "profile", "orders:read"),
    first_party: bool = False,
    audiences: Sequence[str] = (),
    grant_types: Sequence[str] | None = None,
    name: str = "Shop",
) -> tuple[str, str | None]:
    """A client for the code flow: its id and (confidential) secret."""
    client, secret = auth.create_client(
        name,
        public=public,
        meta=ClientMetadata(
            redirect_uris=redirect_uris,
            scopes=scopes,
            first_party=first_party,
            audiences=audiences,
            grant_types=grant_types,
        ),
    )
    return client.client_id, secret


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A browser-like client on the app: loopback http (plain cookie names), no redirects
    followed, every answer checked for 5xx."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=CLIENT_ADDRESS),
        base_url=BROWSER_BASE,
        follow_redirects=False,
        event_hooks={"response": [_no_5xx]},
    )


async def _no_5xx(response: httpx.Response) -> None:
    """The pages answer HTML errors; the JSON API is checked as everywhere."""
    if response.request.url.path == "/auth/authorize":
        await response.aread()
        assert response.status_code < 500, response.text[:300]
        assert "Traceback" not in response.text
        return
    await check_response(response)


def csrf_of(page: httpx.Response) -> str:
    match = _CSRF.search(page.text)
    assert match, f"no CSRF field on the page: {page.text[:300]}"
    return match.group(1)


ORIGIN = {"origin": BROWSER_BASE}


async def sign_in(
    b: httpx.AsyncClient, username: str = "alice", password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    """Sign in on the server's page (as a person would): GET the form, POST it."""
    page = await b.get("/web/login", params={"next": next} if next else None)
    form = {"username": username, "password": password, "csrf_token": csrf_of(page)}
    if next:
        form["next"] = next
    response = await b.post("/web/login", data=form, headers=ORIGIN)
    assert response.status_code == 303, response.text[:500]
    return response


def authorize_params(client_id: str, challenge: str, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid orders:read",
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v != ""}


def query_of(location: str) -> dict[str, str]:
    """The query of a redirect Location, one value per name."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def consent(b: httpx.AsyncClient, page: httpx.Response, decision: str) -> httpx.Response:
    """Answer a consent page as its form would."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: _unescape(v) for k, v in fields.items()}
    fields["decision"] = decision
    return await b.post("/auth/authorize", data=fields, headers=ORIGIN)


def _unescape(text: str) -> str:
    return (
        text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&quot;", '"')
    )


async def code_for(
    b: httpx.AsyncClient, client_id: str, challenge: str, **extra: str
) -> tuple[str, dict[str, str]]:
    """Run /auth/authorize for a signed-in browser (consenting if asked); the code and the
    whole redirect query."""
    params = authorize_params(client_id, challenge, **extra)
    response = await b.get("/auth/authorize", params=params)
    if response.status_code == 200 and 'name="decision"' in response.text:
        response = await consent(b, response, "allow")
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith(REDIRECT), location
    query = query_of(location)
    assert query.get("state") == params["state"], query
    return query["code"], query


async def exchange(
    client: httpx.AsyncClient,
    client_id: str,
    code: str,
    verifier: str | None,
    *,
    secret: str | None = None,
    **extra: str,
) -> httpx.Response:
    """POST /auth/token grant_type=authorization_code (public: client_id; else Basic)."""
    data: dict[str, Any] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    data = {k: v for k, v in data.items() if v != ""}
    if secret is None:
        data.setdefault("client_id", client_id)
        return await client.post("/auth/token", data=data)
    return await client.post("/auth/token", data=data, auth=(client_id, secret))


def authorize_url(params: dict[str, str]) -> str:
    return "/auth/authorize?" + urlencode(params)
