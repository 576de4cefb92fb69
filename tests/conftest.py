"""Backend fixtures shared by every test area: a throw-away PostgreSQL schema and a private
Redis namespace (see :mod:`tests.backends` for the services and when a test skips)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .backends import redis_namespace, require_redis
from .store.dbkit import fresh_database


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis URL, once Redis answers PING (skipped or failed as tests.backends says)."""
    return require_redis()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key and channel prefix of this test's own; its keys are deleted afterwards."""
    with redis_namespace(redis_url) as prefix:
        yield prefix


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3) of an empty PostgreSQL schema, dropped afterwards."""
    with fresh_database("postgresql", tmp_path) as url:
        yield url
