"""Helpers for the auth tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from jwtgate.auth import AuthService, TokenPair
from jwtgate.config import Settings
from jwtgate.store import SqlStore

START = 1_800_000_000.0
PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "violet tractor umbrella 42"


class FakeClock:
    """A callable clock for injection; ``advance`` moves it."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def fast_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: argon2 at minimal cost, the given database."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 64,
        "argon2_parallelism": 1,
        "issuer": "https://auth.test",
    }
    values.update(overrides)
    return Settings(**values)


def engine_of(service: AuthService) -> Engine:
    store = service.store
    assert isinstance(store, SqlStore)
    return store.engine


@contextmanager
def count_statements(service: AuthService) -> Iterator[list[str]]:
    """Collect every SQL statement the service's engine runs inside the block."""
    statements: list[str] = []
    engine = engine_of(service)

    def listener(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def login(service: AuthService, username: str = "alice", password: str = PASSWORD) -> TokenPair:
    return service.login(username, password, client_ip="192.0.2.1", user_agent="pytest")


def add_user(
    service: AuthService, username: str = "alice", roles: tuple[str, ...] = ("user",)
) -> str:
    return service.create_user(username, PASSWORD, roles=roles).id
