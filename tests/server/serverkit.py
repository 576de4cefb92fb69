"""Helpers of the server tests: cheap settings, a client that refuses any 5xx and checks the
JSON error body of every 4xx, and small request shortcuts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from jwtgate.auth import AuthService
from jwtgate.config import Settings

ISSUER = "https://auth.test"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "violet tractor umbrella 42"
ADMIN = "root"
CLIENT_ADDRESS = ("192.0.2.7", 50000)
LOOPBACK_ADDRESS = ("127.0.0.1", 50001)


def fast_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: argon2 at its minimal cost, a fixed issuer, the given database."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 8,
        "argon2_parallelism": 1,
        "issuer": ISSUER,
        "revocation_poll_interval": 0.05,
    }
    values.update(overrides)
    return Settings(**values)


async def check_response(response: httpx.Response) -> None:
    """Every answer of the API: never a 5xx; every error is the JSON error body."""
    await response.aread()
    request = response.request
    assert response.status_code < 500, (
        f"{request.method} {request.url.path} -> {response.status_code}: {response.text[:300]}"
    )
    if response.status_code >= 400 and not request.url.path.startswith("/web"):
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        assert isinstance(body.get("error"), str) and body["error"], body
        assert isinstance(body.get("error_description"), str), body
        assert "Traceback" not in response.text


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    """The Authorization header for an access token."""
    return {"authorization": f"{scheme} {token}"}


async def login(
    client: httpx.AsyncClient, username: str = "alice", password: str = PASSWORD
) -> dict[str, Any]:
    """Log in through the API and return the token response (asserts 200)."""
    response = await client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: httpx.Response) -> str:
    """The ``error`` code of an error answer."""
    code: str = response.json()["error"]
    return code


def make_client(app: FastAPI, address: tuple[str, int] = CLIENT_ADDRESS) -> httpx.AsyncClient:
    """An httpx client on the app (no network) that checks every answer; its requests come
    from ``address`` (a documentation address, not loopback, unless told)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=address),
        base_url="http://testserver",
        event_hooks={"response": [check_response]},
    )


def seed(auth: AuthService) -> None:
    """An admin (``root``) and a user (``alice``), both with PASSWORD."""
    auth.create_user(ADMIN, PASSWORD, roles=["admin"])
    auth.create_user("alice", PASSWORD, roles=["user"])


@dataclass
class Server:
    """An app and the auth service behind it."""

    app: FastAPI
    auth: AuthService
    settings: Settings
