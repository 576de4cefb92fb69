"""The Redis layer against a real Redis: the circuit breaker, the atomic failure counters,
and the pub/sub channel with its reconnecting subscriber."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
import redis

from jwtgate.store.redis import (
    Backoff,
    EventChannel,
    FailureCounters,
    RedisLink,
    RedisUnavailable,
    Subscriber,
    safe_redis_url,
)

from .proxy import TcpProxy, free_port, proxy_to
from .redisfix import eventually, host_port

pytestmark = pytest.mark.redis


class Ticker:
    """A monotonic clock for the circuit breaker that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_safe_redis_url_hides_user_and_password() -> None:
    assert safe_redis_url("redis://user:s3cret@cache.internal:6380/2") == (
        "redis://cache.internal:6380/2"
    )
    assert safe_redis_url("rediss://:s3cret@[::1]/0") == "rediss://[::1]/0"
    assert "s3cret" not in safe_redis_url("redis://:s3cret@host:notaport/0")


def test_backoff_doubles_up_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(start=1.0, cap=8.0)
    delays = [backoff.next() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert 0.5 <= backoff.next() <= 1.0


def test_a_bad_redis_url_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        RedisLink("http://127.0.0.1:6379/0")


def test_an_unreachable_redis_fails_fast_and_opens_the_circuit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticker = Ticker()
    link = RedisLink(
        f"redis://:pw-in-url@127.0.0.1:{free_port()}/0",
        prefix="p",
        clock=ticker,
        backoff=Backoff(1.0, 4.0),
    )
    calls = 0

    def ping(client: Any) -> Any:
        nonlocal calls
        calls += 1
        return client.ping()

    caplog.set_level(logging.INFO, "jwtgate.redis")
    start = time.monotonic()
    with pytest.raises(RedisUnavailable):
        link.call(ping)
    assert time.monotonic() - start < 2  # a refused connection, no retries inside redis-py
    assert not link.available
    for _ in range(3):  # open circuit: no network attempt at all
        with pytest.raises(RedisUnavailable):
            link.call(ping)
    assert calls == 1
    ticker.now += 1.01  # past the first back-off (at most 1 s)
    with pytest.raises(RedisUnavailable):
        link.call(ping)
    assert calls == 2
    downs = [r for r in caplog.records if getattr(r, "event", None) == "redis_down"]
    assert len(downs) == 1, "one warning per outage"
    assert "pw-in-url" not in caplog.text
    link.close()


def test_the_circuit_closes_when_redis_answers_again(
    redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    ticker = Ticker()
    link = RedisLink(redis_url, prefix=redis_prefix, clock=ticker, backoff=Backoff(1.0, 4.0))
    caplog.set_level(logging.INFO, "jwtgate.redis")
    failing = True

    def op(client: Any) -> Any:
        if failing:
            raise redis.ConnectionError("simulated")
        return client.ping()

    with pytest.raises(RedisUnavailable):
        link.call(op)
    failing = False
    with pytest.raises(RedisUnavailable):
        link.call(op)  # still open
    ticker.now += 1.01
    assert link.call(op) is True
    assert link.available
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("redis_down") == 1 and events.count("redis_up") == 1
    assert link.key("a", "b") == f"{redis_prefix}:a:b"
    link.close()


def test_failure_counters_count_within_the_window_and_keep_a_bounded_history(
    redis_url: str, redis_prefix: str
) -> None:
    link = RedisLink(redis_url, prefix=redis_prefix)
    counters = FailureCounters(link)
    now = 5000.0
    assert counters.read(["u:alice", "a:192.0.2.1"], now=now, window=60) == [(0, None), (0, None)]
    for i in range(4):
        counters.add(["u:alice", "a:192.0.2.1"], now=now + i, window=60, keep=10)
    counters.add(["a:192.0.2.1"], now=now + 10, window=60, keep=10)
    assert counters.read(["u:alice", "a:192.0.2.1"], now=now + 10, window=60) == [
        (4, now + 3),
        (5, now + 10),
    ]
    # Failures age out of the window one by one; those older than it are dropped on write.
    assert counters.read(["u:alice"], now=now + 61.5, window=60) == [(2, now + 3)]
    counters.add(["u:alice"], now=now + 100, window=60, keep=10)
    assert counters.read(["u:alice"], now=now + 100, window=60) == [(1, now + 100)]
    for i in range(30):
        counters.add(["u:bob"], now=now + i, window=600, keep=10)
    client = link.client
    keys = list(client.scan_iter(match=f"{redis_prefix}:*"))
    assert keys and all(b"alice" not in k and b"192.0.2" not in k for k in keys)
    assert max(client.zcard(k) for k in keys) == 10  # history bounded per key
    assert all(0 < client.pttl(k) <= 600_000 for k in keys)  # and it expires
    counters.clear("u:alice")
    assert counters.read(["u:alice"], now=now + 100, window=60) == [(0, None)]
    link.close()


def test_concurrent_failures_from_many_clients_are_all_counted(
    redis_url: str, redis_prefix: str
) -> None:
    links = [RedisLink(redis_url, prefix=redis_prefix) for _ in range(4)]
    counters = [FailureCounters(link) for link in links]
    barrier = threading.Barrier(32)
    now = 7000.0

    def fail(i: int) -> None:
        barrier.wait()
        counters[i % 4].add(["u:target"], now=now, window=900, keep=100)

    threads = [threading.Thread(target=fail, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters[0].read(["u:target"], now=now, window=900) == [(32, now)]
    for link in links:
        link.close()


def test_counters_raise_redis_unavailable_when_redis_is_down() -> None:
    counters = FailureCounters(RedisLink(f"redis://127.0.0.1:{free_port()}/0"))
    for call in (
        lambda: counters.add(["u:x"], now=1.0, window=60, keep=5),
        lambda: counters.read(["u:x"], now=1.0, window=60),
        lambda: counters.clear("u:x"),
    ):
        with pytest.raises(RedisUnavailable):
            call()


class Recorder:
    """on_message / on_connect callbacks that remember what they saw."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.connects = 0

    def message(self, message: dict[str, Any]) -> None:
        if message.get("boom"):
            raise RuntimeError("callback failure")
        self.messages.append(message)

    def connect(self) -> None:
        self.connects += 1


def subscriber(link: RedisLink, recorder: Recorder, **kwargs: Any) -> Subscriber:
    return Subscriber(
        EventChannel(link),
        on_message=recorder.message,
        on_connect=recorder.connect,
        backoff=Backoff(0.05, 0.2),
        **kwargs,
    )


def test_published_messages_reach_every_subscriber_and_bad_ones_are_dropped(
    redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "jwtgate.redis")
    link = RedisLink(redis_url, prefix=redis_prefix)
    recorders = [Recorder(), Recorder()]
    subs = [subscriber(link, r, max_message=1024) for r in recorders]
    for sub in subs:
        sub.start()
        assert sub.wait_connected(5)
    assert [r.connects for r in recorders] == [1, 1]
    channel = EventChannel(link)
    raw = link.client
    raw.publish(channel.name, b"not json")
    raw.publish(channel.name, b"[1, 2]")
    raw.publish(channel.name, b'{"pad": "' + b"x" * 2000 + b'"}')
    assert channel.publish({"boom": True})
    assert channel.publish({"n": 1})
    eventually(lambda: all(r.messages == [{"n": 1}] for r in recorders), what="delivery")
    bad = [r for r in caplog.records if getattr(r, "event", None) == "redis_bad_message"]
    assert len(bad) == 6  # three malformed messages, to each of two subscribers
    failed = [r for r in caplog.records if getattr(r, "event", None) == "redis_callback_failed"]
    assert len(failed) == 2 and "callback failure" not in caplog.text
    assert all(sub.connected for sub in subs)
    for sub in subs:
        sub.close()
    assert not any(sub.connected for sub in subs)
    link.close()


def test_the_subscriber_reconnects_and_calls_on_connect_again(
    redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "jwtgate.redis")
    with proxy_to(*host_port(redis_url)) as proxy:
        through = RedisLink(proxy.url(), prefix=redis_prefix)
        direct = RedisLink(redis_url, prefix=redis_prefix)
        recorder = Recorder()
        sub = subscriber(through, recorder)
        sub.start()
        assert sub.wait_connected(5)
        proxy.stop()
        eventually(lambda: not sub.connected, what="the subscriber noticing the cut")
        assert EventChannel(direct).publish({"n": "missed"})  # published while cut off
        time.sleep(0.3)  # several reconnection attempts fail meanwhile
        proxy.start()
        assert sub.wait_connected(5)
        assert recorder.connects == 2 and sub.connections == 2
        assert EventChannel(direct).publish({"n": "after"})
        eventually(lambda: recorder.messages == [{"n": "after"}], what="delivery after reconnect")
        sub.close()
        through.close()
        direct.close()
    events = [getattr(r, "event", None) for r in caplog.records]
    assert "redis_subscription_lost" in events and "redis_subscribed" in events


def test_a_subscriber_that_cannot_connect_keeps_trying_and_stops_promptly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "jwtgate.redis")
    recorder = Recorder()
    sub = subscriber(RedisLink(f"redis://127.0.0.1:{free_port()}/0"), recorder)
    sub.start()
    eventually(
        lambda: (
            sum(getattr(r, "event", None) == "redis_subscription_lost" for r in caplog.records) >= 2
        ),
        what="two failed attempts",
    )
    assert not sub.connected and recorder.connects == 0
    start = time.monotonic()
    sub.close()
    assert time.monotonic() - start < 2
    assert "cannot subscribe" in caplog.text


class SilentPubSub:
    """A pubsub whose server confirms the subscription and then never answers again."""

    def __init__(self) -> None:
        self.pings = 0
        self.confirmed = False

    def subscribe(self, channel: str) -> None:
        pass

    def get_message(self, timeout: float = 0.0) -> dict[str, Any] | None:
        if not self.confirmed:
            self.confirmed = True
            return {"type": "subscribe"}
        time.sleep(min(timeout, 0.02))
        return None

    def ping(self) -> None:
        self.pings += 1

    def close(self) -> None:
        pass


def test_a_silent_connection_is_probed_with_ping_and_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "jwtgate.redis")
    link = RedisLink("redis://127.0.0.1:1/0")
    silent: list[SilentPubSub] = []

    def pubsub() -> SilentPubSub:
        silent.append(SilentPubSub())
        return silent[-1]

    link.client.pubsub = pubsub  # type: ignore[assignment]
    recorder = Recorder()
    sub = subscriber(link, recorder, ping_every=0.1, ping_timeout=0.1)
    sub.start()
    eventually(lambda: len(silent) >= 2, what="a new connection after the unanswered PING")
    sub.close()
    assert silent[0].pings == 1 and recorder.connects >= 1
    assert any(
        getattr(r, "event", None) == "redis_subscription_lost"
        and getattr(r, "exception", None) == "TimeoutError"
        for r in caplog.records
    )


def test_proxy_helper_refuses_connections_while_stopped() -> None:
    proxy = TcpProxy(("127.0.0.1", free_port()))
    proxy.start()
    proxy.stop()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(proxy.url(), socket_connect_timeout=1).ping()
