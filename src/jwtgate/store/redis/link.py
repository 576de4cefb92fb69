"""One Redis client per process, behind a circuit breaker.

Redis is an accelerator, never a dependency of login or verification: every call either answers
within ``timeout`` seconds or raises :class:`RedisUnavailable`, and after a failure the link
stays open-circuit (calls fail at once, with no network wait) until a retry time that backs off
from half a second to 30 s. The first failure of an outage is logged as a warning, the recovery
as info; the URL is logged without its password.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ..protocols import StoreError

__all__ = ["Backoff", "RedisLink", "RedisUnavailable", "safe_redis_url"]

log = logging.getLogger("jwtgate.redis")
T = TypeVar("T")

CONNECTION_ERRORS = (RedisError, OSError)
"""What a Redis call raises when the server is down, slow, or answers nonsense."""


class RedisUnavailable(StoreError):
    """Redis cannot be used now; the caller falls back (database polling, local counters)."""


def safe_redis_url(url: str) -> str:
    """The Redis URL without user and password, for logs and messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable Redis URL>"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"


class Backoff:
    """Retry delays doubling from ``start`` to ``cap`` seconds, each drawn in [d/2, d] so that
    instances that lost Redis together do not all come back in the same instant."""

    def __init__(self, start: float = 0.5, cap: float = 30.0) -> None:
        self.start = start
        self.cap = cap
        self._next = start

    def next(self) -> float:
        """The delay before the next attempt (and double the one after)."""
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return random.uniform(delay / 2, delay)  # jitter, not a secret

    def reset(self) -> None:
        """Back to the shortest delay (after a success)."""
        self._next = self.start


class RedisLink:
    """A Redis client, the deployment's key prefix, and the circuit breaker around calls."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "jwtgate",
        timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
    ) -> None:
        """Nothing connects yet. Raises ValueError for a URL redis-py cannot use."""
        self.url = safe_redis_url(url)
        self.prefix = prefix
        self.timeout = timeout
        # No retries inside redis-py: a failure must surface at once so the caller can fall
        # back; the circuit breaker and the subscriber decide when to try again.
        self.client: redis.Redis[bytes] = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._lock = threading.Lock()
        self._retry_at = float("-inf")
        self._down = False

    def key(self, *parts: str) -> str:
        """A Redis key or channel name under this deployment's prefix."""
        return ":".join((self.prefix, *parts))

    @property
    def available(self) -> bool:
        """False while the circuit is open (a recent call failed and the retry time is ahead)."""
        return self._clock() >= self._retry_at

    def call(self, operation: Callable[[redis.Redis[bytes]], T]) -> T:
        """Run ``operation`` on the client. Raises RedisUnavailable when the circuit is open
        or the call fails (then the circuit opens for the next back-off delay)."""
        if not self.available:
            raise RedisUnavailable(f"Redis at {self.url} is unavailable")
        try:
            result = operation(self.client)
        except CONNECTION_ERRORS as exc:
            self.failed(exc)
            raise RedisUnavailable(f"Redis at {self.url} is unavailable") from None
        if self._down:
            self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        """Open the circuit after a failed call; log the start of an outage once."""
        with self._lock:
            first = not self._down
            self._down = True
            now = self._clock()
            if now >= self._retry_at:  # concurrent failures of one attempt back off once
                self._retry_at = now + self._backoff.next()
        if first:
            log.warning(
                "Redis unavailable: falling back until it answers again",
                extra={"event": "redis_down", "redis": self.url, "exception": _name(exc)},
            )

    def succeeded(self) -> None:
        """Close the circuit after a call worked again; log the recovery."""
        with self._lock:
            was_down, self._down = self._down, False
            self._backoff.reset()
            self._retry_at = float("-inf")
        if was_down:
            log.info("Redis reachable again", extra={"event": "redis_up", "redis": self.url})

    def close(self) -> None:
        """Close every pooled connection."""
        self.client.close()


def _name(exc: BaseException) -> str:
    return type(exc).__qualname__
