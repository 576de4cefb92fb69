"""Store fixtures: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jwtgate.store import SqlStore, upgrade

from .dbkit import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend in turn."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    """A migrated store."""
    upgrade(database_url)
    store = SqlStore.from_url(database_url)
    yield store
    store.dispose()
