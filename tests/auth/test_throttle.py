"""Login throttling: 5 failures per username, 20 per address, within 15 minutes; then
Retry-After doubling from 1 s to 15 minutes; a success clears the username's count."""

from __future__ import annotations

import time

import pytest

from jwtgate.auth import AuthService, InvalidGrant, Throttled
from jwtgate.auth.throttle import InMemoryThrottle, ThrottlePolicy

from .authkit import PASSWORD, FakeClock, add_user, login


def test_backoff_doubles_from_one_second_to_the_cap() -> None:
    policy = ThrottlePolicy()
    assert [policy.backoff(n, 5) for n in range(4, 17)] == [
        0,
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        900,
        900,
    ]
    assert policy.backoff(10**9, 5) == 900  # no overflow


def fail(throttle: InMemoryThrottle, n: int, user: str = "bob", ip: str | None = None) -> None:
    for _ in range(n):
        throttle.failure(user, ip)


def test_username_limit_and_doubling_waits() -> None:
    clock = FakeClock(0.0)
    throttle = InMemoryThrottle(ThrottlePolicy(), clock=clock)
    fail(throttle, 4)
    assert throttle.retry_after("bob", None) == 0
    fail(throttle, 1)
    assert throttle.retry_after("BOB", None) == 1  # case-insensitive
    clock.advance(1)
    assert throttle.retry_after("bob", None) == 0
    fail(throttle, 1)
    assert throttle.retry_after("bob", None) == 2
    clock.advance(0.5)
    assert throttle.retry_after("bob", None) == 2  # whole seconds, rounded up
    assert throttle.retry_after("alice", None) == 0  # other users are not affected


def test_failures_outside_the_window_are_forgotten() -> None:
    clock = FakeClock(0.0)
    throttle = InMemoryThrottle(ThrottlePolicy(), clock=clock)
    fail(throttle, 5)
    clock.advance(15 * 60 + 1)
    assert throttle.retry_after("bob", None) == 0
    fail(throttle, 1)
    assert throttle.retry_after("bob", None) == 0  # one failure in the window now


def test_success_resets_the_username_but_not_the_address() -> None:
    clock = FakeClock(0.0)
    throttle = InMemoryThrottle(ThrottlePolicy(), clock=clock)
    for i in range(20):
        throttle.failure(f"user{i}", "192.0.2.1")
    assert throttle.retry_after("someone-else", "192.0.2.1") == 1
    assert throttle.retry_after("someone-else", "192.0.2.2") == 0
    fail(throttle, 5, "carol")
    throttle.success("carol", "192.0.2.9")
    assert throttle.retry_after("carol", None) == 0
    throttle.success("user1", "192.0.2.1")
    assert throttle.retry_after("x", "192.0.2.1") == 1


def test_the_cap_holds_and_memory_is_bounded() -> None:
    clock = FakeClock(0.0)
    throttle = InMemoryThrottle(ThrottlePolicy(), clock=clock, max_keys=100)
    fail(throttle, 100)
    assert throttle.retry_after("bob", None) == 900
    for i in range(1000):
        throttle.failure(f"spray{i}", None)
    assert len(throttle._failures) <= 100
    # The deque per key is bounded too.
    assert all(len(d) <= 5 + 11 for d in throttle._failures.values())


def test_policy_from_settings(auth: AuthService) -> None:
    policy = ThrottlePolicy.from_settings(auth._ctx.settings)
    assert policy == ThrottlePolicy(5, 20, 900, 900)


def test_login_is_throttled_with_retry_after(auth: AuthService, clock: FakeClock) -> None:
    add_user(auth, "alice")
    for _ in range(5):
        with pytest.raises(InvalidGrant):
            auth.login("alice", "wrong", client_ip="192.0.2.1", user_agent=None)
    with pytest.raises(Throttled) as info:
        login(auth)  # even the right password waits
    assert info.value.retry_after == 1 and info.value.code == "too_many_requests"
    clock.advance(1)
    login(auth)  # success resets the username
    for _ in range(5):
        with pytest.raises(InvalidGrant):
            auth.login("alice", "wrong", client_ip=None, user_agent=None)
    with pytest.raises(Throttled):
        auth.login("alice", "wrong", client_ip=None, user_agent=None)
    # A throttled attempt does not even check the password (no audit of a failure).
    failures = len(auth.list_events(type="login_failure").items)
    with pytest.raises(Throttled):
        auth.login("alice", PASSWORD, client_ip=None, user_agent=None)
    assert len(auth.list_events(type="login_failure").items) == failures


def test_unknown_usernames_are_throttled_the_same_way(auth: AuthService) -> None:
    for _ in range(5):
        with pytest.raises(InvalidGrant):
            auth.login("ghost", "x", client_ip=None, user_agent=None)
    with pytest.raises(Throttled):
        auth.login("ghost", "x", client_ip=None, user_agent=None)


def test_the_password_check_for_a_change_is_throttled(auth: AuthService) -> None:
    add_user(auth)
    claims = auth.authenticate(login(auth).access_token)
    for _ in range(5):
        with pytest.raises(InvalidGrant):
            auth.change_password(claims, "wrong", "violet tractor umbrella 42")
    with pytest.raises(Throttled):
        auth.change_password(claims, PASSWORD, "violet tractor umbrella 42")


def test_throttle_checks_are_fast() -> None:
    throttle = InMemoryThrottle(ThrottlePolicy(), clock=time.time)
    fail(throttle, 100, ip="192.0.2.1")
    start = time.perf_counter()
    for _ in range(10_000):
        throttle.retry_after("bob", "192.0.2.1")
    assert time.perf_counter() - start < 2.0
