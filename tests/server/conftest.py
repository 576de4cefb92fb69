"""Server fixtures: a temp SQLite database, the real auth service at minimal argon2 cost
(seeded with ``root``/admin and ``alice``), the app from create_app, and an httpx client on it
that fails the test on any 5xx."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from jwtgate.auth import AuthService, build_auth
from jwtgate.config import Settings
from jwtgate.server import create_app

from ..store.dbkit import BACKENDS, fresh_database
from .serverkit import Server, fast_settings, make_client, seed


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The whole server suite runs twice: on a SQLite file and on a fresh PostgreSQL schema
    (skipped with the reason when PostgreSQL is unreachable, a failure under CI=true)."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make_server(database_url: str) -> Iterator[Callable[..., Server]]:
    """Build seeded servers on the test database; ``clock`` and settings overrides allowed."""
    built: list[AuthService] = []

    def make(*, clock: Callable[[], float] = time.time, **overrides: Any) -> Server:
        settings = fast_settings(database_url, **overrides)
        service = build_auth(settings, clock=clock)
        built.append(service)
        if service.list_users().items == ():
            seed(service)
        return Server(create_app(settings, auth=service), service, settings)

    yield make
    for service in built:
        service.close()


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@pytest.fixture
def auth(server: Server) -> AuthService:
    return server.auth


@pytest.fixture
def settings(server: Server) -> Settings:
    return server.settings


@pytest.fixture
def app(server: Server) -> FastAPI:
    return server.app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as c:
        yield c
