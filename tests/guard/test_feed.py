"""The revocation feed: polled in the background with client credentials, applied to new and
cached tokens, following ``more`` and the cursor, surviving outages and garbage."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jwtgate import Guard, RevokedToken
from jwtgate.guard.feed import RevocationFeed
from jwtgate.guard.fetch import sync_client
from jwtgate.guard.revocation import RevocationList

from .guardkit import Issuer, Served, TestServer, wait_until


def page(cursor: str, **parts: Any) -> dict[str, Any]:
    return {"cursor": cursor, "sessions": [], "tokens": [], "users": {}, "more": False, **parts}


@pytest.fixture
def feed_server(issuer: Issuer) -> Iterator[TestServer]:
    server = TestServer(Served(jwks=issuer.jwks()))
    yield server
    server.stop()


@pytest.fixture
def feed_guard(
    make_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer
) -> Callable[..., Guard]:
    def make(**options: Any) -> Guard:
        options.setdefault("keys", issuer.keys)
        options.setdefault("revocation_url", feed_server.feed_url)
        options.setdefault("client_id", "guard-client")
        options.setdefault("client_secret", "guard-secret")
        options.setdefault("revocation_interval", 0.05)
        return make_guard(**options)

    return make


def revoked(guard: Guard, token: str) -> bool:
    try:
        guard.verify(token)
    except RevokedToken:
        return True
    return False


def test_the_first_verify_starts_the_feed_and_waits_for_it(
    feed_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer
) -> None:
    feed_server.served.feed_pages = [page("3", sessions=["s-old"])]
    guard = feed_guard(revocation_interval=60)
    assert feed_server.served.feed_queries == []  # nothing before first use
    with pytest.raises(RevokedToken):
        guard.verify(issuer.token(sid="s-old"))
    assert feed_server.served.feed_queries == [None]  # the first read is the whole state


async def test_the_first_averify_waits_for_the_feed(
    feed_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer
) -> None:
    feed_server.served.feed_pages = [page("3", tokens=["j-old"])]
    guard = feed_guard(revocation_interval=60)
    with pytest.raises(RevokedToken):
        await guard.averify(issuer.token(jti="j-old"))


def test_revocations_reach_cached_tokens_within_the_interval(
    feed_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer
) -> None:
    guard = feed_guard()
    by_session, by_jti, by_user = (
        issuer.token(sid="s-1"),
        issuer.token(sid="s-2", jti="j-2"),
        issuer.token(sid="s-3", sub="user-3"),
    )
    for token in (by_session, by_jti, by_user):
        guard.verify(token)
    feed_server.served.feed_pages.append(
        page("9", sessions=["s-1"], tokens=["j-2"], users={"user-3": issuer.clock() + 1})
    )
    assert wait_until(lambda: revoked(guard, by_session), timeout=2)
    assert revoked(guard, by_jti) and revoked(guard, by_user)
    assert guard.stats().misses == 3  # refused from the cache
    # The first read takes the whole state; later ones continue from the cursor.
    assert wait_until(lambda: "9" in feed_server.served.feed_queries, timeout=2)
    queries = feed_server.served.feed_queries
    assert queries[0] is None and None not in queries[1:]


def test_more_is_followed_at_once(
    feed_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer
) -> None:
    feed_server.served.feed_pages = [
        {**page("1", sessions=["s-a"]), "more": True},
        {**page("2", sessions=["s-b"]), "more": True},
        page("3", sessions=["s-c"]),
    ]
    guard = feed_guard(revocation_interval=60)
    for sid in ("s-a", "s-b", "s-c"):
        assert revoked(guard, issuer.token(sid=sid))
    assert feed_server.served.feed_queries == [None, "1", "2"]


def test_bad_client_credentials_fail_and_log_no_secret(
    feed_guard: Callable[..., Guard],
    issuer: Issuer,
    feed_server: TestServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jwtgate.guard")
    guard = feed_guard(client_secret="wrong-secret-value")
    assert guard.verify(issuer.token()).sub == "user-1"  # authentication carries on
    assert wait_until(lambda: guard.stats().feed_failures >= 1, timeout=2)
    assert "HTTP 401" in caplog.text
    assert "wrong-secret-value" not in caplog.text


def test_an_outage_keeps_what_is_known_and_recovers(
    feed_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer
) -> None:
    feed_server.served.feed_pages = [page("4", sessions=["s-dead"])]
    guard = feed_guard()
    dead = issuer.token(sid="s-dead")
    assert revoked(guard, dead)
    feed_server.served.feed_status = 503
    assert wait_until(lambda: guard.stats().feed_failures >= 2, timeout=3)
    assert revoked(guard, dead)
    assert guard.verify(issuer.token(sid="s-alive")).sid == "s-alive"
    feed_server.served.feed_status = 200
    feed_server.served.feed_pages = [page("5", sessions=["s-later"])]
    later = issuer.token(sid="s-later")
    guard.verify(later)
    assert wait_until(lambda: revoked(guard, later), timeout=5)
    assert revoked(guard, dead)
    assert guard.stats().feed_failures == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"sessions": []}',
        b'{"cursor": "1", "sessions": "s-1"}',
        b'{"cursor": "1", "users": {"u": "later"}}',
    ],
)
def test_garbage_keeps_what_is_known(
    feed_guard: Callable[..., Guard], issuer: Issuer, feed_server: TestServer, body: bytes
) -> None:
    feed_server.served.feed_pages = [page("4", sessions=["s-dead"])]
    guard = feed_guard()
    dead = issuer.token(sid="s-dead")
    assert revoked(guard, dead)
    feed_server.served.feed_body = body
    assert wait_until(lambda: guard.stats().feed_failures >= 1, timeout=2)
    assert revoked(guard, dead)


def test_a_dead_feed_does_not_block_verification(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(
        keys=issuer.keys,
        revocation_url="http://127.0.0.1:9/revocations",  # nothing listens on the discard port
        client_id="c",
        client_secret="s",
        revocation_interval=0.05,
    )
    assert guard.verify(issuer.token()).sub == "user-1"


def test_start_close_and_context_manager(
    feed_guard: Callable[..., Guard], feed_server: TestServer
) -> None:
    guard = feed_guard()
    with guard:
        assert wait_until(lambda: len(feed_server.served.feed_queries) >= 2, timeout=2)
    polls = guard.stats().feed_polls
    time.sleep(0.2)  # four intervals
    assert guard.stats().feed_polls == polls  # stopped
    guard.start()  # not restarted after close
    time.sleep(0.1)
    assert guard.stats().feed_polls == polls


async def test_async_context_manager(
    feed_guard: Callable[..., Guard], feed_server: TestServer
) -> None:
    async with feed_guard() as guard:
        await asyncio.sleep(0.1)
        assert guard.stats().feed_polls >= 1
    polls = guard.stats().feed_polls
    await asyncio.sleep(0.2)
    assert guard.stats().feed_polls == polls


def test_a_full_resync_forgets_what_the_issuer_forgot(feed_server: TestServer) -> None:
    revocations = RevocationList()
    feed = RevocationFeed(
        feed_server.feed_url,
        client_id="guard-client",
        client_secret="guard-secret",
        revocations=revocations,
        interval=60,
        timeout=5,
        resync_every=0,  # every poll reads the whole state
    )
    feed_server.served.feed_pages = [
        page("7", sessions=["s-1", "s-2"]),
        page("8", sessions=["s-2"]),
    ]
    with sync_client(5, auth=("guard-client", "guard-secret")) as client:
        assert feed.poll(client)
        assert revocations.to_feed()["sessions"] == ["s-1", "s-2"]
        assert feed.poll(client)
        assert revocations.to_feed()["sessions"] == ["s-2"]  # s-1's tokens have all expired
    assert feed_server.served.feed_queries == [None, None]


def test_the_poller_survives_an_unexpected_error(
    feed_guard: Callable[..., Guard],
    issuer: Issuer,
    feed_server: TestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jwtgate.guard.feed as feed_module

    real = feed_module.get_bounded
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("surprise")
        return real(*args, **kwargs)

    monkeypatch.setattr(feed_module, "get_bounded", flaky)
    guard = feed_guard()
    guard.verify(issuer.token())
    feed_server.served.feed_pages = [page("6", sessions=["s-late"])]
    late = issuer.token(sid="s-late")
    assert wait_until(lambda: revoked(guard, late), timeout=5)
    assert calls["n"] >= 3
