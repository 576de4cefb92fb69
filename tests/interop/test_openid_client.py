"""Clients nobody here wrote (issue 13): npm ``openid-client`` 6.9.1 (a certified relying
party, from tests/node's committed lock file) runs the whole authorization code flow with
PKCE against a real ``jwtgate serve``, for a public and a confidential client; Authlib's
OAuth 2.0 client does the same from Python."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from ..nodekit import require_node_modules, run_node
from ..server.live import ADMIN_PASSWORD, Live, free_port, serve

REDIRECT = "http://127.0.0.1:9/callback"  # loopback: any port matches (RFC 8252 7.3)
API = "https://orders.example"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve(tmp_path_factory.mktemp("interop"), port=port, JWTGATE_ISSUER=url) as server:
        yield server


def admin_headers(live: Live) -> dict[str, str]:
    token = httpx.post(
        live.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    return {"authorization": f"Bearer {token}"}


def register(live: Live, **fields: object) -> dict[str, str]:
    body = {
        "name": "interop",
        "redirect_uris": [REDIRECT],
        "scopes": ["orders:read"],
        "audiences": [API],
        **fields,
    }
    response = httpx.post(live.url + "/admin/clients", headers=admin_headers(live), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def flow(live: Live, client: dict[str, str], *extra: str) -> dict[str, object]:
    require_node_modules("openid-client")
    out = run_node(
        Path("scripts/code_flow.mjs"),
        live.url,
        client["client_id"],
        client.get("client_secret") or "-",
        REDIRECT,
        "admin",
        ADMIN_PASSWORD,
        *extra,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out)
    return result


def test_openid_client_public_client_with_pkce(live: Live) -> None:
    client = register(live, type="public")
    result = flow(live, client)
    assert "error" not in result, result
    assert result["token_type"] == "bearer" or result["token_type"] == "Bearer"
    assert result["callback_params"]["iss"] == live.url  # type: ignore[index]
    assert result["has_refresh_token"] and result["refreshed"] and result["rotated"]
    claims = httpx.post(
        live.url + "/auth/introspect",
        data={"token": str(result["access_token"])},
        headers=admin_headers(live),
    ).json()
    assert claims["active"] and claims["aud"] == API and claims["client_id"] == client["client_id"]


def test_openid_client_confidential_client_with_pkce(live: Live) -> None:
    client = register(live, type="confidential", token_endpoint_auth_method="client_secret_post")
    result = flow(live, client)
    assert "error" not in result, result
    assert result["has_refresh_token"] and result["refreshed"]


def test_openid_client_sees_invalid_target_for_a_resource_not_registered(live: Live) -> None:
    client = register(live, type="public")
    result = flow(live, client, "orders:read", "https://other.example")
    assert result["callback_params"]["error"] == "invalid_target"  # type: ignore[index]


def test_authlib_oauth2_client_runs_the_same_flow(live: Live) -> None:
    client = register(live, type="confidential")
    session = OAuth2Client(
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uri=REDIRECT,
        scope="orders:read",
        code_challenge_method="S256",
    )
    verifier = "v" * 20 + "-authlib-verifier-0123456789abcdefghij"
    url, state = session.create_authorization_url(
        live.url + "/auth/authorize", code_verifier=verifier
    )
    callback = _browser_sign_in(live, url)
    token = session.fetch_token(
        live.url + "/auth/token",
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
    )
    assert token["access_token"] and token["refresh_token"]
    refreshed = session.refresh_token(live.url + "/auth/token")
    assert refreshed["access_token"] != token["access_token"]


def _browser_sign_in(live: Live, url: str) -> str:
    """Follow an authorization URL like a browser: sign in, consent; the callback URL."""
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        response = browser.get(url)
        for _ in range(10):
            location = response.headers.get("location", "")
            if location.startswith(REDIRECT.rsplit(":", 1)[0]):
                return location
            if response.status_code in (302, 303):
                response = browser.get(httpx.URL(live.url).join(location))
                continue
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
            assert csrf, response.text[:300]
            if 'name="password"' in response.text:
                next_value = re.search(r'name="next" value="([^"]*)"', response.text)
                assert next_value
                response = browser.post(
                    live.url + "/web/login",
                    data={
                        "username": "admin",
                        "password": ADMIN_PASSWORD,
                        "csrf_token": csrf.group(1),
                        "next": next_value.group(1).replace("&amp;", "&"),
                    },
                    headers={"origin": live.url},
                )
            else:
                fields = dict(
                    re.findall(
                        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text
                    )
                )
                fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
                response = browser.post(
                    live.url + "/auth/authorize",
                    data={**fields, "decision": "allow"},
                    headers={"origin": live.url},
                )
    raise AssertionError("no callback")
