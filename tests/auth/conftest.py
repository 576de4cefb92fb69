"""Auth fixtures: a controllable clock, cheap argon2, a fresh service per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jwtgate.auth import AuthService, build_auth
from jwtgate.config import Settings

from ..store.dbkit import BACKENDS, fresh_database
from .authkit import FakeClock, fast_settings


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when told to."""
    return FakeClock()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file in the test's directory."""
    return f"sqlite:///{tmp_path / 'jwtgate.db'}"


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    """Settings with cheap argon2 and the test database; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        return fast_settings(database_url, **overrides)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def make_auth(clock: FakeClock) -> Iterator[Callable[..., AuthService]]:
    """Build services (closed at the end of the test)."""
    built: list[AuthService] = []

    def make(settings: Settings, **kwargs: Any) -> AuthService:
        service = build_auth(settings, clock=kwargs.pop("clock", clock), **kwargs)
        built.append(service)
        return service

    yield make
    for service in built:
        service.close()


@pytest.fixture
def auth(make_auth: Callable[..., AuthService], settings: Settings) -> AuthService:
    """A service on a fresh SQLite database."""
    return make_auth(settings)


@pytest.fixture(params=BACKENDS)
def backend_auth(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthService]:
    """A service on SQLite and on PostgreSQL in turn, with the real clock (for races)."""
    with fresh_database(request.param, tmp_path) as url:
        service = build_auth(fast_settings(url, allow_registration=True))
        try:
            yield service
        finally:
            service.close()
