"""PostgreSQL going away under a running server: what needs the database answers 503
``temporarily_unavailable`` with ``Retry-After`` (never a 500, never a hang), what does not
(verifying access tokens) keeps working, nothing half-done is left behind, and the server
recovers by itself when the database is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from jwtgate.auth import AuthService, build_auth
from jwtgate.server import create_app

from ..server.serverkit import CLIENT_ADDRESS, PASSWORD, bearer, fast_settings, seed
from .proxy import TcpProxy, proxy_to

pytestmark = pytest.mark.postgres


@dataclass
class Outage:
    client: httpx.AsyncClient
    proxy: TcpProxy
    auth: AuthService


@pytest.fixture
async def outage(postgres_url: str) -> AsyncIterator[Outage]:
    """A server whose only way to PostgreSQL is a proxy the test can cut."""
    assert "@127.0.0.1:5432/" in postgres_url, postgres_url
    with proxy_to("127.0.0.1", 5432) as proxy:
        url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        settings = fast_settings(url, db_pool_timeout=2.0)
        auth = build_auth(settings)
        try:
            seed(auth)
            app = create_app(settings, auth=auth)
            transport = httpx.ASGITransport(app=app, client=CLIENT_ADDRESS)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield Outage(client, proxy, auth)
        finally:
            auth.close()


async def _login(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert "database" in body["error_description"]
    assert "Traceback" not in response.text and "5432" not in response.text


async def test_database_down_is_503_and_verification_goes_on(outage: Outage) -> None:
    client = outage.client
    tokens = (await _login(client)).json()
    admin = (
        await client.post("/auth/login", json={"username": "root", "password": PASSWORD})
    ).json()

    outage.proxy.stop()
    _assert_unavailable(await _login(client))
    _assert_unavailable(
        await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    )
    _assert_unavailable(await client.get("/admin/users", headers=bearer(admin["access_token"])))
    # Access tokens are verified from memory: protected calls do not need the database.
    me = await client.get("/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    assert (await client.get("/.well-known/jwks.json")).status_code == 200

    outage.proxy.start()
    # Dead pooled connections are replaced (pre-ping): the next request works...
    assert (await _login(client)).status_code == 200
    # ...and the refresh that failed took nothing: its token was not used up.
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    # Nor was it taken as reuse: the rotated token works, the family is alive.
    again = await client.post(
        "/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert again.status_code == 200, again.text


async def test_the_outage_is_logged_without_secrets(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    outage.proxy.stop()
    with caplog.at_level("ERROR", logger="jwtgate.server"):
        _assert_unavailable(await _login(outage.client))
    events = [r for r in caplog.records if getattr(r, "event", None) == "database_unavailable"]
    assert len(events) == 1
    record = events[0]
    assert record.route == "/auth/login"  # type: ignore[attr-defined]
    assert record.exception == "OperationalError"  # type: ignore[attr-defined]
    assert PASSWORD not in caplog.text
