"""Backend fixtures shared by every test area: a throw-away PostgreSQL schema and a private
Redis namespace.

PostgreSQL (127.0.0.1:5432, database ``test``; ``JWTGATE_TEST_PG`` overrides) and Redis
(127.0.0.1:6379; ``JWTGATE_TEST_REDIS`` overrides) are real services. A test that needs one
that is unreachable is skipped with the reason, except under ``CI=true``, where it fails: CI
must exercise every backend. Everything a test creates is removed afterwards, so runs can
repeat on the same servers and parallel runs do not meet.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from .store.dbkit import fresh_database

REDIS_URL = os.environ.get("JWTGATE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _unreachable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: these cases must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The test Redis URL, once Redis answers PING."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        _unreachable(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}: {exc}"[:300])
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key and channel prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"jwtgate-test-{secrets.token_hex(6)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3) of an empty PostgreSQL schema, dropped afterwards."""
    with fresh_database("postgresql", tmp_path) as url:
        yield url
