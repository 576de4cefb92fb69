"""DPoP and discovery against a real ``jwtgate serve`` whose issuer is its own URL, with
clients nobody here wrote: PyPI requests-oauth2client (its OAuth2Client with DPoP, and
DPoPToken at the server's /auth/me and at a Guard-protected service) and npm openid-client's
DPoP handle; both follow the server's nonce (JWTGATE_DPOP_REQUIRE_NONCE=true)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from requests_oauth2client import DPoPToken, OAuth2Client

from jwtgate import Guard

from ..nodekit import require_node_modules, run_node
from ..server.live import ADMIN_PASSWORD, Live, free_port, jwtgate_command, serve
from .dpopkit import serve_asgi
from .test_dpop_clients import protected_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("live-dpop")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    with serve(
        workdir, port=port, JWTGATE_ISSUER=issuer, JWTGATE_DPOP_REQUIRE_NONCE="true"
    ) as live:
        out = subprocess.run(
            [*jwtgate_command(), "clients", "add", "dpop-client"],
            env=live.env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        yield {
            "live": live,
            "issuer": issuer,
            "client": (fields["client_id"].strip(), fields["client_secret"].strip()),
        }


def test_a_guard_finds_jwtgate_through_discovery(world: dict[str, Any]) -> None:
    live: Live = world["live"]
    login = httpx.post(
        live.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    token = login.json()["access_token"]
    with Guard(issuer=world["issuer"], audience="api") as guard:
        assert guard.verify(token).has_role("admin")
    metadata = httpx.get(live.url + "/.well-known/openid-configuration").json()
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]


def test_requests_oauth2client_gets_and_uses_a_dpop_token(world: dict[str, Any]) -> None:
    client_id, secret = world["client"]
    oauth = OAuth2Client(
        token_endpoint=world["issuer"] + "/auth/token",
        client_id=client_id,
        client_secret=secret,
        dpop_bound_access_tokens=True,
        testing=True,  # its check for https endpoints; the server is on loopback http
    )
    token = oauth.client_credentials()  # the nonce round trip is the library's
    assert isinstance(token, DPoPToken)
    me = requests.get(world["issuer"] + "/auth/me", auth=token, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["sub"] == client_id
    stolen = requests.get(
        world["issuer"] + "/auth/me",
        headers={"Authorization": f"Bearer {token.access_token}"},
        timeout=10,
    )
    assert stolen.status_code == 401
    guard = Guard(issuer=world["issuer"], audience="api")
    with serve_asgi(protected_app(guard)) as service:
        orders = requests.get(service + "/orders", auth=token, timeout=10)
        assert orders.status_code == 200, orders.text
        assert orders.json()["jkt"] == token.dpop_key.dpop_jkt


def test_openid_client_gets_and_uses_a_dpop_token(world: dict[str, Any]) -> None:
    require_node_modules("openid-client")
    client_id, secret = world["client"]
    out = run_node(
        "scripts/dpop_client.mjs",
        world["issuer"],
        client_id,
        secret,
        "",
        world["issuer"] + "/auth/me",
        "3",
    )
    result = json.loads(out)
    assert result["token_type"].lower() == "dpop"
    assert result["statuses"] == [200, 200, 200], result
