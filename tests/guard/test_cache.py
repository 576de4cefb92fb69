"""The verified-token cache: hits skip verification but never outlive ``exp`` or a
revocation, the LRU stays within its bound, and a change of keys empties it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jwtgate import ExpiredToken, Guard, InvalidSignature, RevokedToken, UnknownKey

from .guardkit import FakeClock, Issuer, TestServer


def test_a_repeated_token_is_a_cache_hit(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    guard = make_guard(keys=issuer.keys)
    token = issuer.token()
    first = guard.verify(token)
    assert guard.verify(token) is first
    stats = guard.stats()
    assert (stats.hits, stats.misses, stats.cached) == (1, 1, 1)


async def test_sync_and_async_share_the_cache(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(keys=issuer.keys)
    token = issuer.token()
    first = await guard.averify(token)
    assert guard.verify(token) is first
    assert await guard.averify(token) is first
    assert guard.stats().misses == 1


def test_exp_is_checked_on_every_hit(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock
) -> None:
    guard = make_guard(keys=issuer.keys, leeway=5)
    token = issuer.token(exp=int(clock()) + 10)
    guard.verify(token)
    clock.advance(14)
    assert guard.verify(token).sub == "user-1"  # within the leeway
    clock.advance(1)
    with pytest.raises(ExpiredToken):
        guard.verify(token)
    assert guard.stats().cached == 0  # dropped, not kept to be re-checked forever
    with pytest.raises(ExpiredToken):
        guard.verify(token)


async def test_exp_is_checked_on_every_async_hit(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock
) -> None:
    guard = make_guard(keys=issuer.keys, leeway=0)
    token = issuer.token(exp=int(clock()) + 10)
    await guard.averify(token)
    clock.advance(10)
    with pytest.raises(ExpiredToken):
        await guard.averify(token)


def test_revocation_is_checked_on_every_hit(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(keys=issuer.keys)
    token = issuer.token(sid="s-1")
    guard.verify(token)
    guard.verify(token)
    guard.apply_revocations({"cursor": "5", "sessions": ["s-1"], "tokens": [], "users": {}})
    with pytest.raises(RevokedToken):
        guard.verify(token)
    assert guard.stats().misses == 1  # refused from the cache, no second verification


def test_the_cache_is_a_bounded_lru(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    guard = make_guard(keys=issuer.keys, cache_size=3)
    t1, t2, t3, t4 = (issuer.token() for _ in range(4))
    for token in (t1, t2, t3, t1, t4):  # t1 used again, so t2 is the least recently used
        guard.verify(token)
    assert guard.stats().cached == 3
    misses = guard.stats().misses
    guard.verify(t1)
    guard.verify(t4)
    assert guard.stats().misses == misses
    guard.verify(t2)
    assert guard.stats().misses == misses + 1


def test_cache_size_zero_caches_nothing(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    guard = make_guard(keys=issuer.keys, cache_size=0)
    token = issuer.token()
    guard.verify(token)
    guard.verify(token)
    assert guard.stats().misses == 2 and guard.stats().cached == 0


def test_a_token_differing_in_one_byte_is_verified_afresh(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(keys=issuer.keys)
    token = issuer.token()
    guard.verify(token)
    last = "A" if token[-2] != "A" else "B"
    with pytest.raises(InvalidSignature):
        guard.verify(token[:-2] + last + token[-1])


def test_new_keys_empty_the_cache(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url)
    token = issuer.token(exp=int(clock()) + 3600)
    guard.verify(token)
    issuer.rotate()
    server.served.jwks = issuer.jwks()  # the old key is withdrawn
    clock.advance(301)  # past max-age=300: the next verify refreshes the keys first
    with pytest.raises(UnknownKey):
        guard.verify(token)
    assert server.jwks_fetches() == 2  # no refetch: this very verify had just fetched them
    assert guard.verify(issuer.token()).sub == "user-1"


async def test_new_keys_empty_the_cache_async(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url)
    token = issuer.token(exp=int(clock()) + 3600)
    await guard.averify(token)
    issuer.rotate()
    server.served.jwks = issuer.jwks()
    clock.advance(301)
    with pytest.raises(UnknownKey):
        await guard.averify(token)
    assert server.jwks_fetches() == 2
    assert (await guard.averify(issuer.token())).sub == "user-1"


def test_the_same_keys_keep_the_cache(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url)
    token = issuer.token(exp=int(clock()) + 3600)
    guard.verify(token)
    clock.advance(301)
    guard.verify(token)
    assert server.jwks_fetches() == 2
    assert guard.stats().hits == 1


def test_a_handler_cannot_change_the_claims_later_hits_see(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(keys=issuer.keys)
    token = issuer.token()
    principal = guard.verify(token)
    with pytest.raises(TypeError):
        principal.claims["roles"] = ["admin"]  # type: ignore[index]
    assert guard.verify(token).claims["sub"] == principal.sub
