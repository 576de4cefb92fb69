"""Reserving an attempt before the password check: concurrent attempts see each other, in one
process (the in-process throttle's lock) and across processes sharing a database (the SQL
counters, locked per counter on PostgreSQL). 40 threads reserving at once get exactly the
limit; a success gives the address its attempt back and forgets the username's failures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from jwtgate.auth import AuthService, build_auth
from jwtgate.auth.redis_throttle import RedisThrottle
from jwtgate.auth.throttle import InMemoryThrottle, Reservation, Throttle, ThrottlePolicy

from ..backends import redis_namespace
from ..store.dbkit import BACKENDS, fresh_database
from .authkit import FakeClock, fast_settings


def together(n: int, reserve: Callable[[int], Reservation]) -> list[Reservation]:
    barrier = threading.Barrier(n)
    out: list[Reservation] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        result = reserve(i)
        with lock:
            out.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def check(throttles: list[Throttle], clock: FakeClock) -> None:
    got = together(40, lambda i: throttles[i % len(throttles)].reserve("mallory", "192.0.2.1"))
    assert sum(r.allowed for r in got) == 5  # the limit, however many arrive at once
    assert {r.retry_after for r in got if not r.allowed} == {1}
    # A success forgets the username's failures and gives the address its attempt back.
    clock.advance(1)
    last = throttles[0].reserve("mallory", "192.0.2.1")
    assert last.allowed
    throttles[-1].succeeded(last)
    assert throttles[0].reserve("mallory", None).allowed
    spray = together(40, lambda i: throttles[i % len(throttles)].reserve(f"u{i}", "192.0.2.1"))
    assert sum(r.allowed for r in spray) == 20 - 5  # the 5 failures count, the success not


def test_the_in_process_throttle_reserves_atomically() -> None:
    clock = FakeClock(0.0)
    check([InMemoryThrottle(ThrottlePolicy(), clock=clock)], clock)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_services_on_one_database_share_the_reservations(backend: str, tmp_path: Path) -> None:
    clock = FakeClock()
    with fresh_database(backend, tmp_path) as url:
        services: list[AuthService] = [build_auth(fast_settings(url), clock=clock) for _ in "ab"]
        try:
            check([s._ctx.throttle for s in services], clock)
        finally:
            for service in services:
                service.close()


@pytest.mark.redis
def test_two_services_on_redis_share_the_reservations(tmp_path: Path, redis_url: str) -> None:
    clock = FakeClock()
    with fresh_database("sqlite", tmp_path) as url, redis_namespace(redis_url) as prefix:
        settings = fast_settings(url, redis_url=redis_url, redis_prefix=prefix)
        services = [build_auth(settings, clock=clock) for _ in "ab"]
        try:
            assert all(isinstance(s._ctx.throttle, RedisThrottle) for s in services)
            check([s._ctx.throttle for s in services], clock)
        finally:
            for service in services:
                service.close()
