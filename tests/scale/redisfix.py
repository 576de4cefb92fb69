"""Helpers of the Redis tests: waiting for a condition, links on a test's own prefix."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest


def eventually(check: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> float:
    """Poll ``check`` until it is true; return the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what} not reached within {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - start


def host_port(url: str) -> tuple[str, int]:
    """The host and port of a redis:// URL."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379
