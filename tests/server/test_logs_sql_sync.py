"""What the server does around the routes: JSON-line logs that never hold a secret, the
catch-all 500, zero SQL on a protected request, and the revocation poll of the lifespan."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from jwtgate.server.logging import JsonFormatter
from jwtgate.store import SqlStore

from .serverkit import CLIENT_ADDRESS, NEW_PASSWORD, PASSWORD, Server, bearer, login, make_client


async def full_flow(client: httpx.AsyncClient) -> list[str]:
    """Every secret-bearing request of the API; returns the secrets it used."""
    secrets = [PASSWORD, NEW_PASSWORD, "wrong-password-xyz"]
    await client.post("/auth/login", json={"username": "alice", "password": secrets[2]})
    tokens = await login(client)
    root = await login(client, "root")
    admin = bearer(root["access_token"])
    created = (
        await client.post("/admin/clients", headers=admin, json={"name": "svc", "scopes": []})
    ).json()
    basic = (created["client_id"], created["client_secret"])
    refreshed = (
        await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    await client.post("/auth/refresh", json={"refresh_token": refreshed["refresh_token"]})
    await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})  # reuse
    await client.post("/auth/token", data={"grant_type": "client_credentials"}, auth=basic)
    await client.post("/auth/introspect", data={"token": refreshed["access_token"]}, auth=basic)
    await client.post("/auth/revoke", data={"token": refreshed["refresh_token"]})
    again = await login(client)
    await client.post(
        "/auth/password",
        headers=bearer(again["access_token"]),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    await client.post(
        "/admin/users", headers=admin, json={"username": "newbie", "password": NEW_PASSWORD}
    )
    await client.get("/auth/me", headers=bearer(again["access_token"] + "tampered"))
    await client.post("/auth/logout", headers=bearer(again["access_token"]))
    return [
        *secrets,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        again["access_token"],
        again["refresh_token"],
        root["access_token"],
        created["client_secret"],
    ]


async def test_logs_are_json_lines_without_secrets(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = await full_flow(client)
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any('"route":"/auth/login"' in line for line in lines)
    log_text = "\n".join(lines)
    for secret in secrets:
        assert secret not in log_text
        # Nor any recognisable piece of a token (its signature part, say).
        assert secret[-20:] not in log_text
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)
    access = [json.loads(line) for line in lines if '"event":"request"' in line]
    assert access and all(
        {"method", "route", "status", "duration_ms", "client"} <= set(a) for a in access
    )
    assert access[0]["client"] == CLIENT_ADDRESS[0]


async def test_an_unexpected_error_is_a_json_500_logged_without_its_message(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("secret-in-the-message")

    server.app.add_api_route("/explode", explode)
    caplog.set_level(logging.DEBUG)
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as raw:
        response = await raw.get("/explode")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert "secret-in-the-message" not in response.text and "Traceback" not in response.text
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert any('"exception":"RuntimeError"' in line for line in lines)
    assert all("secret-in-the-message" not in line for line in lines)
    assert any('"status":500' in line for line in lines)


async def test_a_protected_request_runs_no_sql(server: Server, client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    root = await login(client, "root")
    store = server.auth.store
    assert isinstance(store, SqlStore)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            me = await client.get("/auth/me", headers=bearer(tokens["access_token"]))
            assert me.status_code == 200
        rejected = await client.get("/auth/me", headers=bearer(tokens["access_token"][:-4]))
        assert rejected.status_code == 401
        forbidden = await client.get("/admin/users", headers=bearer(tokens["access_token"]))
        assert forbidden.status_code == 403
        assert statements == []
        await client.get("/admin/users", headers=bearer(root["access_token"]))
        assert statements, "the listener counts statements of this engine"
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


async def test_the_lifespan_polls_other_processes_revocations(
    make_server: Callable[..., Server],
) -> None:
    """Two servers on one database (as two workers): a logout on one is enforced by the
    other after its next poll, with no request to the database per token check."""
    first, second = make_server(), make_server(revocation_poll_interval=0.05)
    async with make_client(first.app) as a, make_client(second.app) as b:
        tokens = await login(a)
        headers = bearer(tokens["access_token"])
        assert (await b.get("/auth/me", headers=headers)).status_code == 200
        async with second.app.router.lifespan_context(second.app):
            assert (await a.post("/auth/logout", headers=headers)).status_code == 204
            for _ in range(100):
                if (await b.get("/auth/me", headers=headers)).status_code == 401:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the second server never learned of the logout")
