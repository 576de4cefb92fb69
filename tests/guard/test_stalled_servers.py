"""A JWKS or revocation-feed server that accepts the connection and then drips its status
line and headers, a byte at a time, must not stall the Guard: one deadline covers the whole
exchange (connect, headers, body), sync and async, and a fetch past it is a failure like any
other (keys kept, backoff). A feed that has not succeeded for ``revocation_max_staleness`` is
reported by a log line, a counter and :meth:`Guard.health`.

The dripping server would hold a connection for 20 s; every bound asserted here is far from
that (the deadline is 0.5 to 1 s), so the assertions are about behaviour, not speed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jwtgate import Guard, RevokedToken, UnknownKey

from .guardkit import DripServer, FakeClock, Issuer, wait_until

DRIP_SECONDS = 20.0  # how long one dripping answer lasts
STALL = 8.0  # far below DRIP_SECONDS, far above every deadline used here


@pytest.fixture
def drip() -> Iterator[DripServer]:
    server = DripServer(duration=DRIP_SECONDS)
    yield server
    server.stop()


def _timed(call: Callable[[], Any]) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        call()
    except Exception as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_a_dripping_jwks_server_cannot_stall_verify(
    make_guard: Callable[..., Guard], issuer: Issuer, drip: DripServer
) -> None:
    guard = make_guard(jwks_url=f"{drip.base}/jwks.json", http_timeout=1)
    elapsed, error = _timed(lambda: guard.verify(issuer.token()))
    assert isinstance(error, UnknownKey), error
    assert elapsed < STALL, f"verify was stalled {elapsed:.1f} s by a dripping server"
    assert drip.hits == 1
    assert wait_until(lambda: drip.open == 0), "the Guard left the connection open"
    # A failure like any other: backing off, not fetching for every token.
    for _ in range(5):
        with pytest.raises(UnknownKey):
            guard.verify(issuer.token())
    assert drip.hits == 1


async def test_a_dripping_jwks_server_cannot_stall_averify(
    make_guard: Callable[..., Guard], issuer: Issuer, drip: DripServer
) -> None:
    guard = make_guard(jwks_url=f"{drip.base}/jwks.json", http_timeout=1)
    started = time.monotonic()
    with pytest.raises(UnknownKey):
        await guard.averify(issuer.token())
    elapsed = time.monotonic() - started
    assert elapsed < STALL, f"averify was stalled {elapsed:.1f} s by a dripping server"
    assert wait_until(lambda: drip.open == 0), "the Guard left the connection open"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_rotation_during_a_drip_is_picked_up_once_the_server_answers(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock, mode: str
) -> None:
    """Before the deadline, the stuck in-flight fetch was handed to every caller and every
    new-key token was UnknownKey for as long as the drip lasted."""
    import asyncio

    server = DripServer(lambda path: (200, issuer.jwks()), dripping=False)
    try:
        guard = make_guard(jwks_url=f"{server.base}/jwks.json", http_timeout=0.5)

        def verify(token: str) -> Any:
            if mode == "sync":
                return guard.verify(token)
            return asyncio.run(guard.averify(token))

        assert verify(issuer.token()).sub == "user-1"
        issuer.rotate()
        server.dripping.set()
        new_key_token = issuer.token()
        elapsed, error = _timed(lambda: verify(new_key_token))
        assert isinstance(error, UnknownKey) and elapsed < STALL, (error, elapsed)
        assert guard.keys is not None and len(guard.keys) == 1  # the old keys are kept
        server.dripping.clear()
        clock.advance(31)  # past the unknown-kid cooldown and the backoff
        elapsed, error = _timed(lambda: verify(new_key_token))
        assert error is None and elapsed < STALL, (error, elapsed)
    finally:
        server.stop()


def _feed_page(**parts: Any) -> dict[str, Any]:
    return {"cursor": "1", "sessions": [], "tokens": [], "users": {}, "more": False, **parts}


def test_a_dripping_feed_is_reported_stale_and_recovers(
    make_guard: Callable[..., Guard], issuer: Issuer, caplog: pytest.LogCaptureFixture
) -> None:
    """A stuck poll used to stop revocations silently (fail open). Each poll now ends by its
    deadline; past ``revocation_max_staleness`` without success the Guard says so in a log
    line, a counter and ``health()``; once the feed answers, revocations flow again."""
    page = _feed_page()
    server = DripServer(lambda path: (200, page))
    caplog.set_level(logging.WARNING, logger="jwtgate.guard")
    try:
        guard = make_guard(
            keys=issuer.keys,
            revocation_url=f"{server.base}/revocations",
            client_id="guard-client",
            client_secret="guard-secret",
            revocation_interval=0.1,
            http_timeout=0.3,
            revocation_max_staleness=1.0,
        )
        token = issuer.token()
        assert guard.verify(token).sub == "user-1"  # the first poll failed: not fatal
        assert wait_until(lambda: guard.health().revocations_stale, timeout=STALL)
        health = guard.health()
        assert not health.ok and health.revocations_age is not None
        assert health.revocations_age >= 1.0
        assert wait_until(lambda: guard.stats().feed_stale_events == 1, timeout=STALL)
        assert any("has not succeeded" in r.getMessage() for r in caplog.records)
        assert server.hits >= 2  # polls ended by their deadline and were retried

        page = _feed_page(sessions=["session-1"])
        server.dripping.clear()
        assert wait_until(lambda: guard.health().ok, timeout=STALL)
        with pytest.raises(RevokedToken):
            guard.verify(token)
        assert not guard.health().revocations_stale
    finally:
        server.stop()


def test_health_of_a_guard_without_a_feed_is_ok(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    health = make_guard(keys=issuer.keys).health()
    assert health.ok and not health.revocations_stale and health.revocations_age is None


def test_revocation_max_staleness_defaults_to_three_intervals_and_a_timeout(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(
        keys=issuer.keys,
        revocation_url="https://auth.example/auth/revocations",
        client_id="c",
        client_secret="s",
        revocation_interval=5,
        http_timeout=2,
    )
    assert guard.health().revocations_max_staleness == 3 * 5 + 2
    with pytest.raises(ValueError):
        make_guard(keys=issuer.keys, revocation_max_staleness=10)  # no feed to be stale
    for bad in (0, -1, "soon"):
        with pytest.raises(ValueError):
            make_guard(
                keys=issuer.keys,
                revocation_url="https://auth.example/auth/revocations",
                client_id="c",
                client_secret="s",
                revocation_max_staleness=bad,
            )


def test_a_stalled_name_resolution_cannot_stall_verify(
    make_guard: Callable[..., Guard],
    issuer: Issuer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """getaddrinfo cannot be interrupted; the deadline covers it all the same."""
    import socket
    import threading

    server = DripServer(lambda path: (200, issuer.jwks()), dripping=False)
    release = threading.Event()
    real = socket.getaddrinfo

    def stalled(*args: Any, **kwargs: Any) -> Any:
        release.wait(DRIP_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    try:
        guard = make_guard(jwks_url=f"http://localhost:{server.port}/jwks.json", http_timeout=0.5)
        elapsed, error = _timed(lambda: guard.verify(issuer.token()))
        assert isinstance(error, UnknownKey) and elapsed < STALL, (error, elapsed)
        release.set()
        clock.advance(2)  # past the backoff
        assert guard.verify(issuer.token()).sub == "user-1"  # resolved by name this time
    finally:
        release.set()
        server.stop()
