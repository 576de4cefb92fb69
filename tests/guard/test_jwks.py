"""The JWKS client seen through a Guard, against a local HTTP server that counts its hits:
first use, max-age, unknown-kid cooldown under a flood, rotation, the server going down or
answering garbage (the last good keys stay), size bounds, and URLs never taken from tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jwtgate import Guard, InvalidToken, Key, KeySet, UnknownKey, encode
from jwtgate.guard.jwks import cache_ttl

from .guardkit import FakeClock, Issuer, Served, TestServer, serving


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unknown_kid_token(issuer: Issuer) -> str:
    """A token naming a kid nobody has (the signature is never reached)."""
    header = b64(
        json.dumps({"alg": "ES256", "typ": "at+jwt", "kid": secrets.token_hex(8)}).encode()
    )
    return f"{header}.{b64(json.dumps(issuer.claims()).encode())}.{b64(secrets.token_bytes(64))}"


def test_keys_are_fetched_on_first_use_only(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    guard = make_guard(jwks_url=server.jwks_url)
    assert server.jwks_fetches() == 0 and guard.keys is None
    for _ in range(5):
        guard.verify(issuer.token())
    assert server.jwks_fetches() == 1
    assert guard.keys == issuer.keys


def test_concurrent_first_use_shares_one_fetch(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    server.served.delay = 0.2
    guard = make_guard(jwks_url=server.jwks_url)
    tokens = [issuer.token() for _ in range(20)]
    results: list[Any] = []
    threads = [threading.Thread(target=lambda t=t: results.append(guard.verify(t))) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20 and server.jwks_fetches() == 1


async def test_concurrent_async_first_use_shares_one_fetch(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    server.served.delay = 0.2
    guard = make_guard(jwks_url=server.jwks_url)
    principals = await asyncio.gather(*(guard.averify(issuer.token()) for _ in range(30)))
    assert len(principals) == 30 and server.jwks_fetches() == 1


@pytest.mark.parametrize(
    ("cache_control", "extra", "min_ttl", "max_ttl", "expected"),
    [
        ("max-age=300", {}, 60, 86400, 300),
        ("public, max-age=600, must-revalidate", {}, 60, 86400, 600),
        ("max-age=5", {}, 60, 86400, 60),  # the floor
        ("max-age=999999", {}, 60, 3600, 3600),  # the ceiling
        ("no-store", {}, 60, 86400, 60),
        ("no-cache, max-age=600", {}, 60, 86400, 60),
        (None, {}, 120, 86400, 120),
        ("max-age=600", {"Age": "500"}, 60, 86400, 100),
    ],
)
def test_keys_are_kept_for_max_age_clamped(
    make_guard: Callable[..., Guard],
    issuer: Issuer,
    server: TestServer,
    clock: FakeClock,
    cache_control: str | None,
    extra: dict[str, str],
    min_ttl: float,
    max_ttl: float,
    expected: float,
) -> None:
    server.served.cache_control = cache_control
    server.served.jwks_headers = extra
    guard = make_guard(jwks_url=server.jwks_url, jwks_min_ttl=min_ttl, jwks_max_ttl=max_ttl)
    guard.verify(issuer.token())
    clock.advance(expected - 1)
    guard.verify(issuer.token())
    assert server.jwks_fetches() == 1
    clock.advance(1)
    guard.verify(issuer.token())
    assert server.jwks_fetches() == 2


def test_cache_ttl_parsing() -> None:
    assert cache_ttl('max-age="120"', None, 0, 1000) == 120
    assert cache_ttl("MAX-AGE=120", "notanumber", 0, 1000) == 120
    assert cache_ttl("s-maxage=50, max-age=70", None, 0, 1000) == 70
    assert cache_ttl("max-age=99999999999999", None, 0, 1000) == 1000
    assert cache_ttl("max-age=10", "20", 0, 1000) == 0


def test_an_unknown_kid_flood_fetches_at_most_once_per_cooldown(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url, unknown_kid_cooldown=30)
    guard.verify(issuer.token())
    assert server.jwks_fetches() == 1
    flood = [unknown_kid_token(issuer) for _ in range(1000)]
    for token in flood:
        with pytest.raises(UnknownKey):
            guard.verify(token)
    assert server.jwks_fetches() == 2  # one refetch for the whole flood
    clock.advance(29)
    for token in flood:
        with pytest.raises(UnknownKey):
            guard.verify(token)
    assert server.jwks_fetches() == 2  # still within the cooldown
    clock.advance(1)
    for token in flood:
        with pytest.raises(UnknownKey):
            guard.verify(token)
    assert server.jwks_fetches() == 3
    assert guard.verify(issuer.token()).sub == "user-1"


def test_a_flood_on_a_fresh_guard_fetches_once_more_at_most(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    guard = make_guard(jwks_url=server.jwks_url, unknown_kid_cooldown=30)
    for _ in range(1000):
        with pytest.raises(UnknownKey):
            guard.verify(unknown_kid_token(issuer))
    assert server.jwks_fetches() == 2  # first use, then one refetch for the unknown kids


def test_a_concurrent_unknown_kid_flood_shares_one_fetch(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url, unknown_kid_cooldown=30)
    guard.verify(issuer.token())
    clock.advance(30)
    server.served.delay = 0.1
    flood = [unknown_kid_token(issuer) for _ in range(1000)]
    refused: list[InvalidToken] = []

    def attack(tokens: list[str]) -> None:
        for token in tokens:
            try:
                guard.verify(token)
            except InvalidToken as exc:
                refused.append(exc)

    threads = [threading.Thread(target=attack, args=(flood[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 1000
    assert server.jwks_fetches() == 2


async def test_an_async_unknown_kid_flood_shares_one_fetch(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url, unknown_kid_cooldown=30)
    await guard.averify(issuer.token())
    clock.advance(30)
    server.served.delay = 0.1
    results = await asyncio.gather(
        *(guard.averify(unknown_kid_token(issuer)) for _ in range(1000)), return_exceptions=True
    )
    assert all(isinstance(r, UnknownKey) for r in results)
    assert server.jwks_fetches() == 2


def test_a_rotation_is_picked_up_by_the_unknown_kid(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url, unknown_kid_cooldown=30)
    old_token = issuer.token(exp=int(clock()) + 3600)
    guard.verify(old_token)
    old = issuer.rotate()
    server.served.jwks = KeySet([old.public(), issuer.key.public()]).to_jwks()
    assert guard.verify(issuer.token()).sub == "user-1"  # picked up at once
    assert guard.verify(old_token).sub == "user-1"  # the old key is still published
    assert server.jwks_fetches() == 2
    # A second rotation within the cooldown of that refetch waits for the cooldown.
    second = issuer.rotate()
    server.served.jwks = KeySet([second.public(), issuer.key.public()]).to_jwks()
    newest = issuer.token()
    with pytest.raises(UnknownKey):
        guard.verify(newest)
    clock.advance(30)
    assert guard.verify(newest).sub == "user-1"
    assert server.jwks_fetches() == 3


async def test_a_rotation_is_picked_up_by_averify(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    guard = make_guard(jwks_url=server.jwks_url, unknown_kid_cooldown=0)
    await guard.averify(issuer.token())
    issuer.rotate()
    server.served.jwks = issuer.jwks()
    assert (await guard.averify(issuer.token())).sub == "user-1"


def test_the_jwks_server_going_down_does_not_take_authentication_down(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock
) -> None:
    with serving(Served(jwks=issuer.jwks())) as server:
        guard = make_guard(jwks_url=server.jwks_url)
        guard.verify(issuer.token())
    # The server is gone: connections are refused from now on.
    for _ in range(3):
        clock.advance(3600)  # long past max-age
        for _ in range(50):
            assert guard.verify(issuer.token()).sub == "user-1"
    # One attempt per expiry and backoff step, never one per request.
    assert guard.stats().key_fetches <= 4
    with pytest.raises(UnknownKey):
        guard.verify(issuer.token(key=Key.generate("ES256")))


async def test_the_jwks_server_going_down_does_not_take_averify_down(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock
) -> None:
    with serving(Served(jwks=issuer.jwks())) as server:
        guard = make_guard(jwks_url=server.jwks_url)
        await guard.averify(issuer.token())
    clock.advance(3600)
    assert (await guard.averify(issuer.token())).sub == "user-1"


def _jwks_with_many_keys(issuer: Issuer) -> dict[str, Any]:
    extra = [Key.generate("EdDSA").to_jwk() for _ in range(60)]
    return {"keys": [*issuer.jwks()["keys"], *extra]}


def _oversized(issuer: Issuer) -> dict[str, Any]:
    return {**issuer.jwks(), "padding": "x" * (300 * 1024)}


GARBAGE: list[tuple[str, dict[str, Any]]] = [
    ("500", {"jwks_status": 500}),
    ("404", {"jwks_status": 404}),
    ("redirect", {"jwks_status": 302}),
    ("not JSON", {"jwks": b"<html>maintenance</html>"}),
    ("empty set", {"jwks": {"keys": []}}),
    ("not a set", {"jwks": {"kty": "EC"}}),
    (
        "only a symmetric key",
        {
            "jwks": {
                "keys": [{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "alg": "HS256"}]
            }
        },
    ),
]


@pytest.mark.parametrize(("case", "answer"), GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_keeps_the_last_good_keys(
    make_guard: Callable[..., Guard],
    issuer: Issuer,
    server: TestServer,
    clock: FakeClock,
    case: str,
    answer: dict[str, Any],
) -> None:
    guard = make_guard(jwks_url=server.jwks_url)
    guard.verify(issuer.token())
    for name, value in answer.items():
        setattr(server.served, name, value)
    clock.advance(3600)
    assert guard.verify(issuer.token()).sub == "user-1"
    assert server.jwks_fetches() == 2
    assert guard.keys == issuer.keys


@pytest.mark.parametrize("make", [_oversized, _jwks_with_many_keys])
def test_oversized_key_sets_are_refused(
    make_guard: Callable[..., Guard], issuer: Issuer, make: Callable[[Issuer], Any]
) -> None:
    with serving(Served(jwks=make(issuer))) as server:
        guard = make_guard(jwks_url=server.jwks_url)
        with pytest.raises(UnknownKey, match="no signing keys"):
            guard.verify(issuer.token())


def test_an_oversized_body_is_abandoned_while_streaming(issuer: Issuer) -> None:
    """Without Content-Length, the download stops past the limit."""
    from jwtgate.guard.fetch import FetchError, get_bounded, sync_client

    body = json.dumps(_oversized(issuer)).encode()
    with serving(Served(jwks=body, send_length=False)) as server, sync_client(5.0) as client:
        with pytest.raises(FetchError, match="larger"):
            get_bounded(client, server.jwks_url, 256 * 1024, 5.0)
        assert get_bounded(client, server.jwks_url, len(body), 5.0).body == body


def test_no_keys_yet_is_an_invalid_token_then_recovers(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer, clock: FakeClock
) -> None:
    server.served.jwks_status = 503
    guard = make_guard(jwks_url=server.jwks_url)
    for _ in range(20):
        with pytest.raises(UnknownKey, match="no signing keys"):
            guard.verify(issuer.token())
    assert server.jwks_fetches() == 1  # backing off, not fetching per request
    server.served.jwks_status = 200
    clock.advance(1)
    assert guard.verify(issuer.token()).sub == "user-1"
    assert server.jwks_fetches() == 2


def test_a_slow_server_times_out(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    server.served.delay = 1.0
    guard = make_guard(jwks_url=server.jwks_url, http_timeout=0.2)
    with pytest.raises(UnknownKey, match="no signing keys"):
        guard.verify(issuer.token())


def test_urls_in_token_headers_are_never_fetched(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    attacker = Key.generate("ES256")
    guard = make_guard(jwks_url=server.jwks_url)
    for header in ("jku", "x5u"):
        token = encode(
            issuer.claims(),
            attacker,
            headers={"typ": "at+jwt", header: f"{server.base}/evil.json"},
        )
        with pytest.raises(UnknownKey):
            guard.verify(token)
    assert server.served.hits["/evil.json"] == 0


def test_private_keys_in_a_jwks_are_used_as_public_keys(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    server.served.jwks = {"keys": [issuer.key.to_jwk(private=True)]}
    guard = make_guard(jwks_url=server.jwks_url)
    guard.verify(issuer.token())
    keys = guard.keys
    assert keys is not None and not any(key.is_private for key in keys)


def test_symmetric_keys_in_a_jwks_are_never_used(
    make_guard: Callable[..., Guard], issuer: Issuer, server: TestServer
) -> None:
    secret = Key.from_secret(b"s" * 32, kid="shared")
    server.served.jwks = {"keys": [*issuer.jwks()["keys"], secret.to_jwk(private=True)]}
    guard = make_guard(jwks_url=server.jwks_url)
    with pytest.raises(UnknownKey):
        guard.verify(issuer.token(key=secret))


def test_an_unexpected_error_in_a_fetch_keeps_the_keys(
    make_guard: Callable[..., Guard],
    issuer: Issuer,
    server: TestServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guard = make_guard(jwks_url=server.jwks_url)
    guard.verify(issuer.token())

    def explode(body: bytes, max_keys: int) -> KeySet:
        raise RuntimeError("surprise")

    monkeypatch.setattr("jwtgate.guard.jwks.public_keys", explode)
    clock.advance(3600)
    assert guard.verify(issuer.token()).sub == "user-1"
    assert server.jwks_fetches() == 2


def test_a_jwks_with_one_kid_for_two_algorithms_is_used(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    """RFC 7520 section 4: one RSA key published as RS256 and PS384 under one kid (RFC 7517
    4.5). The Guard loads the set and each token's (alg, kid) picks its key."""
    vectors = json.loads(
        (Path(__file__).parents[1] / "jose" / "vectors" / "rfc7520_section4.json").read_text()
    )
    signers = [Key.from_jwk(dict(vectors["private_jwk"], alg=alg)) for alg in ("RS256", "PS384")]
    jwks = {"keys": [dict(vectors["jwk"], alg=alg) for alg in ("RS256", "PS384")]}
    with serving(Served(jwks=jwks)) as server:
        guard = make_guard(jwks_url=server.jwks_url)
        for signer in signers:
            assert guard.verify(issuer.token(key=signer)).sub == "user-1"
        other = Key.from_jwk(dict(vectors["private_jwk"], alg="RS384"))
        with pytest.raises(InvalidToken):
            guard.verify(issuer.token(key=other))
        assert server.jwks_fetches() == 1
