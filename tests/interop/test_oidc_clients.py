"""OpenID Connect clients nobody here wrote, against a real ``jwtgate serve`` (issue 14):

- npm ``openid-client`` 6.9.1 (a certified relying party): discovery, the code flow with PKCE,
  state and nonce, ID token validation (it checks signature, iss, aud, azp, exp, iat, nonce
  and at_hash itself), userinfo, refresh with its ID token, the end-session URL and the
  logout it leads to (then ``prompt=none`` answers ``login_required``), and a back-channel
  logout token it validates;
- Authlib's Starlette OpenID Connect integration, configured with only the discovery URL,
  client id and secret, signs a user in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ..nodekit import require_node_modules, run_node
from ..receiver import Receiver
from ..server.live import ADMIN_PASSWORD, Live, free_port, serve

REDIRECT = "http://127.0.0.1:9/callback"  # loopback: any port matches (RFC 8252 7.3)
POST_LOGOUT = "http://127.0.0.1:9/signed-out"
PASSWORD = "interop user password 42"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve(tmp_path_factory.mktemp("oidc"), port=port, JWTGATE_ISSUER=url) as server:
        headers = admin_headers(server)
        created = httpx.post(
            server.url + "/admin/users",
            headers=headers,
            json={"username": "carol", "password": PASSWORD, "email": "carol@example.com"},
        )
        assert created.status_code == 201, created.text
        yield server


def admin_headers(live: Live) -> dict[str, str]:
    token = httpx.post(
        live.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    return {"authorization": f"Bearer {token}"}


def register(live: Live, **fields: object) -> dict[str, Any]:
    body = {
        "name": "oidc-interop",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [POST_LOGOUT],
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": ["openid", "profile", "email", "offline_access"],
        **fields,
    }
    response = httpx.post(live.url + "/admin/clients", headers=admin_headers(live), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def openid_client(live: Live, client: dict[str, Any], **extra: Any) -> dict[str, Any]:
    require_node_modules("openid-client")
    config = {
        "issuer": live.url,
        "client_id": client["client_id"],
        "client_secret": client.get("client_secret"),
        "redirect_uri": REDIRECT,
        "post_logout_redirect_uri": POST_LOGOUT,
        "username": "carol",
        "password": PASSWORD,
        **extra,
    }
    out = run_node(Path("scripts/oidc_rp.mjs"), json.dumps(config), timeout=120)
    result: dict[str, Any] = json.loads(out)
    return result


def test_openid_client_discovers_signs_in_and_validates_the_id_token(live: Live) -> None:
    client = register(live, first_party=True)
    result = openid_client(live, client)
    meta = result["metadata"]
    assert meta["issuer"] == live.url and "RS256" in meta["id_token_signing_alg_values_supported"]
    claims = result["claims"]  # validated by openid-client (signature, iss, aud, nonce, ...)
    assert claims["aud"] == client["client_id"] and claims["iss"] == live.url
    assert claims["at_hash"] and claims["auth_time"] and claims["sid"]
    userinfo = result["userinfo"]  # openid-client checks sub equals the ID token's
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["preferred_username"] == "carol" and userinfo["email"] == "carol@example.com"
    assert userinfo["email_verified"] is False
    refreshed = result["refreshed"]  # OIDC Core 12.2, validated by openid-client again
    assert refreshed["claims"]["sub"] == claims["sub"]
    assert refreshed["claims"]["auth_time"] == claims["auth_time"]
    end = urlsplit(result["end_session_url"])
    assert end.path == "/auth/end-session"
    assert parse_qs(end.query)["post_logout_redirect_uri"] == [POST_LOGOUT]


def test_openid_client_public_client_logs_out_at_the_end_session_url(live: Live) -> None:
    receiver = Receiver()
    try:
        client = register(
            live, type="public", first_party=True, backchannel_logout_uri=receiver.uri
        )
        result = openid_client(live, client, end_session=True, scope="openid profile")
        assert result["logout_confirmation_page"] is False  # a valid hint: at once
        out = urlsplit(result["logged_out_to"])
        assert f"http://{out.netloc}{out.path}" == POST_LOGOUT
        assert parse_qs(out.query)["state"][0].startswith("bye-")
        assert parse_qs(urlsplit(result["prompt_none_after_logout"]).query)["error"] == [
            "login_required"
        ]
        assert receiver.arrived.wait(20)  # the server's worker delivered the logout token
        logout = validate_logout_token(live, receiver.tokens()[0], client["client_id"])
        assert logout["sid"] == result["claims"]["sid"]
    finally:
        receiver.close()


def validate_logout_token(live: Live, token: str, client_id: str) -> dict[str, Any]:
    """A logout token validated by npm jose against the live JWKS (typ logout+jwt)."""
    script = (
        "import * as jose from 'jose';"
        "const [token, jwks, iss, aud] = process.argv.slice(1);"
        "const keys = jose.createRemoteJWKSet(new URL(jwks));"
        "const { payload } = await jose.jwtVerify(token, keys, { issuer: iss, audience: aud,"
        " typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti', 'events'] });"
        "if (payload.nonce !== undefined) throw new Error('nonce in a logout token');"
        "console.log(JSON.stringify(payload));"
    )
    node, cwd = require_node_modules("jose")
    import subprocess

    done = subprocess.run(
        [node, "--input-type=module", "-e", script, token, live.url + "/.well-known/jwks.json",
         live.url, client_id],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    claims: dict[str, Any] = json.loads(done.stdout)
    return claims


def test_authlib_starlette_signs_in_with_the_discovery_url_only(live: Live) -> None:
    from authlib.integrations.starlette_client import OAuth
    from starlette.applications import Starlette
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    rp_base = "http://127.0.0.1:9"
    client = register(live, first_party=True, redirect_uris=[rp_base + "/auth"])
    oauth = OAuth()
    oauth.register(
        "jwtgate",
        server_metadata_url=live.url + "/.well-known/openid-configuration",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )

    async def login(request: Request) -> Response:
        redirect: Response = await oauth.jwtgate.authorize_redirect(request, rp_base + "/auth")
        return redirect

    async def callback(request: Request) -> Response:
        token = await oauth.jwtgate.authorize_access_token(request)  # checks the ID token
        info = await oauth.jwtgate.userinfo(token=token)  # from the discovered endpoint
        return JSONResponse({"id_token": dict(token["userinfo"]), "userinfo": dict(info)})

    app = Starlette(routes=[Route("/login", login), Route("/auth", callback)])
    app.add_middleware(SessionMiddleware, secret_key="authlib-starlette-test-secret")
    import asyncio

    async def run() -> dict[str, Any]:
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=rp_base
            ) as app_client,
            httpx.AsyncClient(follow_redirects=False, timeout=30) as browser,
        ):
            start = await app_client.get("/login")
            assert start.status_code == 302, start.text
            callback_url = await sign_in_at(browser, live, start.headers["location"], rp_base)
            back = await app_client.get(callback_url.removeprefix(rp_base))
            assert back.status_code == 200, back.text
            result: dict[str, Any] = back.json()
            return result

    result = asyncio.run(run())
    assert result["id_token"]["aud"] == client["client_id"]  # validated by Authlib
    assert result["id_token"]["iss"] == live.url and result["id_token"]["nonce"]
    assert result["userinfo"]["preferred_username"] == "carol"
    assert result["userinfo"]["email"] == "carol@example.com"
    assert result["userinfo"]["sub"] == result["id_token"]["sub"]


async def sign_in_at(browser: httpx.AsyncClient, live: Live, url: str, stop: str) -> str:
    """Follow an authorization URL as a browser, signing in as carol; the callback URL."""
    response = await browser.get(url)
    for _ in range(10):
        location = response.headers.get("location", "")
        if location.startswith(stop):
            return location
        if response.status_code in (302, 303):
            response = await browser.get(httpx.URL(live.url).join(location))
            continue
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        next_value = re.search(r'name="next" value="([^"]*)"', response.text)
        assert csrf and next_value, response.text[:300]
        response = await browser.post(
            live.url + "/web/login",
            data={
                "username": "carol",
                "password": PASSWORD,
                "csrf_token": csrf.group(1),
                "next": next_value.group(1).replace("&amp;", "&"),
            },
            headers={"origin": live.url},
        )
    raise AssertionError("the flow did not come back to the app")
