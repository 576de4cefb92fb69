"""A pub/sub channel between the instances of one deployment: JSON messages, a publisher that
never blocks for long, and a subscriber thread that survives Redis going away.

The subscriber calls ``on_connect`` after each (re)subscription is confirmed by Redis, so the
caller can re-read from the database whatever was published while it was not listening: a
message is either delivered or older than that re-read, never lost. A silent connection (no
message for ``ping_every`` seconds) is probed with PING; no answer within ``ping_timeout``
counts as a lost connection. Messages that are not JSON objects, or larger than
``max_message`` bytes, are dropped with a warning that does not quote them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from .link import CONNECTION_ERRORS, Backoff, RedisLink, RedisUnavailable

__all__ = ["EventChannel", "Subscriber"]

log = logging.getLogger("jwtgate.redis")

MAX_MESSAGE = 256 * 1024


class EventChannel:
    """Publishing JSON messages on ``<prefix>:<name>``."""

    def __init__(self, link: RedisLink, name: str = "events") -> None:
        self.link = link
        self.name = link.key(name)

    def publish(self, message: Mapping[str, Any]) -> bool:
        """Send ``message`` to every subscriber; False (logged once per outage by the link)
        when Redis is unavailable."""
        data = orjson.dumps(message)
        try:
            self.link.call(lambda client: client.publish(self.name, data))
        except RedisUnavailable:
            return False
        return True


class Subscriber:
    """A daemon thread that listens on a channel and hands every message to ``on_message``."""

    def __init__(
        self,
        channel: EventChannel,
        *,
        on_message: Callable[[dict[str, Any]], None],
        on_connect: Callable[[], None],
        backoff: Backoff | None = None,
        ping_every: float = 5.0,
        ping_timeout: float = 3.0,
        max_message: int = MAX_MESSAGE,
    ) -> None:
        self._channel = channel
        self._on_message = on_message
        self._on_connect = on_connect
        self._backoff = backoff or Backoff()
        self._ping_every = ping_every
        self._ping_timeout = ping_timeout
        self._max_message = max_message
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self.connections = 0
        """How many times a subscription was confirmed (1 + reconnections)."""

    @property
    def connected(self) -> bool:
        """True while subscribed."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """Block until subscribed (and ``on_connect`` has run); False after ``timeout``."""
        return self._connected.wait(timeout)

    def start(self) -> None:
        """Start listening in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"redis-subscriber {self._channel.name}", daemon=True
            )
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening and wait (at most ``timeout`` seconds) for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        link = self._channel.link
        while not self._stop.is_set():
            pubsub = link.client.pubsub()
            try:
                self._listen(pubsub)
            except CONNECTION_ERRORS as exc:
                was_connected = self._connected.is_set()
                self._connected.clear()
                delay = self._backoff.next()
                log.warning(
                    "lost the Redis subscription; retrying"
                    if was_connected
                    else "cannot subscribe to Redis; retrying",
                    extra={
                        "event": "redis_subscription_lost",
                        "redis": link.url,
                        "exception": type(exc).__qualname__,
                        "retry_in": round(delay, 2),
                    },
                )
                self._stop.wait(delay)
            finally:
                self._connected.clear()
                with contextlib.suppress(*CONNECTION_ERRORS):
                    pubsub.close()

    def _listen(self, pubsub: Any) -> None:
        pubsub.subscribe(self._channel.name)
        deadline = time.monotonic() + self._channel.link.timeout + self._ping_timeout
        while True:  # the confirmation: from here on, nothing published is missed
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message.get("type") == "subscribe":
                break
            if self._stop.is_set():
                return
            if time.monotonic() > deadline:
                raise TimeoutError("no subscription confirmation")
        self.connections += 1
        if self.connections > 1:
            log.info(
                "Redis subscription restored",
                extra={"event": "redis_subscribed", "redis": self._channel.link.url},
            )
        self._run_callback(self._on_connect, "on_connect")
        self._backoff.reset()
        self._connected.set()
        last_seen, ping_sent = time.monotonic(), 0.0
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=0.1)  # the stop check runs 10 times a second
            now = time.monotonic()
            if message is not None:
                last_seen, ping_sent = now, 0.0
                if message.get("type") == "message":
                    self._dispatch(message.get("data"))
            elif ping_sent and now - ping_sent > self._ping_timeout:
                raise TimeoutError("Redis did not answer PING")
            elif not ping_sent and now - last_seen > self._ping_every:
                pubsub.ping()
                ping_sent = now

    def _dispatch(self, data: Any) -> None:
        if not isinstance(data, bytes | str) or len(data) > self._max_message:
            log.warning("dropped an oversized Redis message", extra={"event": "redis_bad_message"})
            return
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            log.warning(
                "dropped a Redis message that is not a JSON object",
                extra={"event": "redis_bad_message"},
            )
            return
        self._run_callback(lambda: self._on_message(message), "on_message")

    def _run_callback(self, callback: Callable[[], None], name: str) -> None:
        # A failing callback (the database down during a reload, a bad message) must not end
        # the subscription: log it by type and keep listening.
        try:
            callback()
        except Exception as exc:
            log.warning(
                f"Redis subscriber {name} failed",
                extra={"event": "redis_callback_failed", "exception": type(exc).__qualname__},
            )
