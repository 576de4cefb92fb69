"""Account-email fixtures: a real SMTP server process, and services that mail through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jwtgate.auth import AuthService, build_auth

from ..auth.authkit import FakeClock, fast_settings
from ..store.dbkit import BACKENDS, fresh_database
from .mailkit import SmtpServer, smtp_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    """A plain SMTP server on a free port of 127.0.0.1."""
    with smtp_server(tmp_path) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make_auth(
    database_url: str, clock: FakeClock, smtp: SmtpServer
) -> Iterator[Callable[..., AuthService]]:
    """Services on the test database that mail through ``smtp`` (keywords: settings)."""
    built: list[AuthService] = []

    def make(**overrides: Any) -> AuthService:
        values: dict[str, Any] = {
            "smtp_url": smtp.url,
            "public_url": "https://auth.test",
            "mail_from": "jwtgate <noreply@auth.test>",
            "product_name": "Acme Login",
        }
        values.update(overrides)
        service = build_auth(fast_settings(database_url, **values), clock=clock)
        built.append(service)
        return service

    yield make
    for service in built:
        service.close()


@pytest.fixture
def auth(make_auth: Callable[..., AuthService]) -> AuthService:
    return make_auth()
