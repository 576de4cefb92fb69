"""The real services the backend tests use, and what a test does when one is missing.

PostgreSQL (127.0.0.1:5432, database ``test``; ``JWTGATE_TEST_PG`` overrides) is handled by
:mod:`tests.store.dbkit`; Redis (127.0.0.1:6379; ``JWTGATE_TEST_REDIS`` overrides) here. A test
that needs a service that is unreachable is skipped with the reason, except under ``CI=true``,
where it fails: CI must exercise every backend.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
import redis

REDIS_URL = os.environ.get("JWTGATE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def unreachable(reason: str) -> NoReturn:
    """Skip the test with ``reason``; fail it under CI=true."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: these cases must run)", pytrace=False)
    pytest.skip(reason)


def require_redis() -> str:
    """The test Redis URL, once Redis answers PING."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        unreachable(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}: {exc}"[:300])
    finally:
        client.close()
    return REDIS_URL


@contextmanager
def redis_namespace(url: str) -> Iterator[str]:
    """A key and channel prefix of one's own; its keys are deleted afterwards."""
    prefix = f"jwtgate-test-{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
