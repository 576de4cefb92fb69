"""Several auth services (as several instances) on one database and one Redis, on SQLite and
on PostgreSQL: revocations and key rotations reach the others without any poll, login
failures count toward one shared throttle, and Redis going away (for everyone, or for one
instance) takes nothing down and loses nothing."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from jwtgate.auth import AuthService, InvalidGrant, Throttled, build_auth
from jwtgate.auth.redis_sync import CHUNK, RedisSync, decode_revocations, encode_revocations
from jwtgate.auth.redis_throttle import RedisThrottle
from jwtgate.jose.errors import RevokedToken
from jwtgate.store import Revocation

from ..auth.authkit import PASSWORD, FakeClock, add_user, fast_settings, login
from ..store.dbkit import BACKENDS, fresh_database
from .proxy import TcpProxy, free_port, proxy_to
from .redisfix import eventually, host_port

pytestmark = pytest.mark.redis

Make = Callable[..., AuthService]


@pytest.fixture(params=BACKENDS)
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make(shared_database: str, redis_url: str, redis_prefix: str) -> Iterator[Make]:
    """Build instances on the shared database and Redis (``redis=None``: no Redis; another
    URL: through a proxy). No poll runs: what arrives, arrives through Redis."""
    built: list[AuthService] = []

    def make(*, redis: str | None = redis_url, **kwargs: Any) -> AuthService:
        clock = kwargs.pop("clock", time.time)
        settings = fast_settings(
            shared_database,
            redis_url=redis,
            redis_prefix=redis_prefix,
            revocation_poll_interval=3600,
            **kwargs,
        )
        service = build_auth(settings, clock=clock)
        built.append(service)
        return service

    yield make
    for service in built:
        service.close()


def key_set(jwks: dict) -> list:  # type: ignore[type-arg]
    return sorted(jwks["keys"], key=lambda k: (k["kid"], k["alg"]))


def sync_of(service: AuthService) -> RedisSync:
    announcer = service._ctx.announcer
    assert isinstance(announcer, RedisSync)
    return announcer


def subscribed(*services: AuthService) -> None:
    for service in services:
        assert sync_of(service).subscriber.wait_connected(5), "no Redis subscription"


def rejected(service: AuthService, token: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            service.authenticate(token)
        except RevokedToken:
            return True
        return False

    return check


def test_a_logout_at_one_instance_is_enforced_at_the_other_at_once(make: Make) -> None:
    a, b = make(), make()
    subscribed(a, b)
    add_user(a)
    pair = login(a)
    claims = b.authenticate(pair.access_token)
    a.logout(claims)
    took = eventually(rejected(b, pair.access_token), timeout=1.0, what="B rejecting")
    assert took < 1.0
    revoked = login(b)  # and the other way round, by an admin revoking the session
    a.revoke_session(b.authenticate(revoked.access_token)["sid"])
    eventually(rejected(b, revoked.access_token), timeout=1.0, what="B rejecting")


def test_revoking_a_user_with_many_sessions_arrives_in_several_messages(make: Make) -> None:
    a, b = make(), make()
    subscribed(a, b)
    uid = add_user(a)
    pairs = [login(a) for _ in range(CHUNK + 5)]
    for pair in pairs:
        b.authenticate(pair.access_token)
    a.update_user(uid, disabled=True)  # revokes every session: CHUNK + 6 revocations
    for pair in pairs:
        eventually(rejected(b, pair.access_token), timeout=2.0, what="B rejecting")
    assert len(b.revocations_since(None)["sessions"]) == CHUNK + 5


def test_a_key_rotation_is_announced(make: Make) -> None:
    a, b = make(), make()
    subscribed(a, b)
    add_user(a)
    rotated = a.rotate_key()
    eventually(lambda: b.list_keys()[0].kid == rotated.kid, timeout=1.0, what="B using the new key")
    pair = login(b)  # signed by B with the key A created
    assert a.authenticate(pair.access_token)["sub"]
    assert key_set(b.jwks()) == key_set(a.jwks())  # a JWK Set is a set (RFC 7517 5)


def test_failures_on_both_instances_count_toward_one_throttle(make: Make) -> None:
    clock = FakeClock()
    a, b = make(clock=clock), make(clock=clock)
    add_user(a)
    for service in (a, b, a, b, a):  # five failures, limit five
        with pytest.raises(InvalidGrant):
            service.login("alice", "wrong password", client_ip="192.0.2.9")
    for service in (a, b):
        with pytest.raises(Throttled) as throttled:
            service.login("alice", PASSWORD, client_ip="192.0.2.10")
        assert throttled.value.retry_after == 1
    clock.advance(1)
    with pytest.raises(InvalidGrant):
        b.login("alice", "wrong again", client_ip="192.0.2.11")
    with pytest.raises(Throttled) as throttled:
        a.login("alice", PASSWORD)
    assert throttled.value.retry_after == 2  # the back-off doubled across instances
    clock.advance(2)
    assert login(a).access_token  # a success resets the username everywhere
    with pytest.raises(InvalidGrant):
        b.login("alice", "wrong", client_ip="192.0.2.12")
    assert login(b).access_token


def test_concurrent_failures_on_both_instances_give_the_exact_back_off(make: Make) -> None:
    clock = FakeClock()
    instances = [make(clock=clock), make(clock=clock)]
    barrier = threading.Barrier(8)

    def fail(i: int) -> None:
        barrier.wait()
        instances[i % 2]._ctx.throttle.failure("mallory", f"198.51.100.{i}")

    threads = [threading.Thread(target=fail, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 8 failures, limit 5: 2 ** (8 - 5) seconds after the last.
    assert [s._ctx.throttle.retry_after("mallory", None) for s in instances] == [8, 8]


def test_with_redis_down_login_verification_and_logout_keep_working(
    make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    down = f"redis://127.0.0.1:{free_port()}/0"
    a, b = make(redis=down), make(redis=down)
    add_user(a)
    pair = login(a)
    claims = b.authenticate(pair.access_token)
    a.logout(claims)  # publishing fails quietly; the database has it
    b.authenticate(pair.access_token)  # no Redis, no poll yet: B does not know
    b.sync()  # the poll the server runs every revocation_poll_interval
    with pytest.raises(RevokedToken):
        b.authenticate(pair.access_token)
    for _ in range(5):  # throttling still works, per instance
        with pytest.raises(InvalidGrant):
            a.login("alice", "wrong")
    with pytest.raises(Throttled):
        a.login("alice", PASSWORD)
    events = [getattr(r, "event", None) for r in caplog.records]
    assert "throttle_local" in events and "redis_down" in events
    assert events.count("throttle_local") == 1  # said once, not per login
    assert "falls back to in-process" in caplog.text


def test_an_instance_cut_off_from_redis_catches_up_when_it_reconnects(
    make: Make, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with proxy_to(*host_port(redis_url)) as proxy:
        a = make(redis=proxy.url())
        b = make()
        subscribed(a, b)
        add_user(b)
        pairs = [login(b) for _ in range(2)]
        proxy.stop()
        eventually(lambda: not sync_of(a).subscriber.connected, what="A losing Redis")
        b.logout(b.authenticate(pairs[0].access_token))  # A misses this message
        b.rotate_key()  # and this one
        time.sleep(0.2)
        a.authenticate(pairs[0].access_token)  # A does not know yet (no poll runs)
        with pytest.raises(InvalidGrant):  # failures counted locally while cut off
            a.login("alice", "wrong", client_ip="192.0.2.50")
        proxy.start()
        subscribed(a)
        eventually(rejected(a, pairs[0].access_token), timeout=2.0, what="A reloading")
        assert a.list_keys()[0].kid == b.list_keys()[0].kid
        a.authenticate(pairs[1].access_token)  # nothing else was revoked
        eventually(lambda: sync_of(a).link.available, what="the circuit's retry time")
        with pytest.raises(InvalidGrant):
            a.login("alice", "wrong", client_ip="192.0.2.50")  # shared again
    events = [getattr(r, "event", None) for r in caplog.records]
    assert "throttle_shared" in events and "redis_subscribed" in events


def test_messages_other_than_revocations_from_this_deployment_change_nothing(
    make: Make, redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    a = make()
    subscribed(a)
    add_user(a)
    pair = login(a)
    sid = a.authenticate(pair.access_token)["sid"]
    client = redis.Redis.from_url(redis_url)
    channel = f"{redis_prefix}:events"
    caplog.set_level(logging.WARNING)
    bad = encode_revocations("elsewhere", [Revocation(1, "sid", sid, None, 1e12, 1.0)])
    for message in (
        {**bad, "v": 2},  # a future version: ignored
        {**bad, "origin": sync_of(a).origin},  # its own: already applied
        {**bad, "events": [[1, "sid", sid, None, "soon", 1.0]]},  # malformed: logged
        {"v": 1, "type": "unknown"},
    ):
        client.publish(channel, orjson.dumps(message))
    other = f"jwtgate-other-{redis_prefix}:events"  # another deployment's channel
    client.publish(other, orjson.dumps(bad))
    time.sleep(0.3)
    a.authenticate(pair.access_token)
    assert "ignored a malformed revocation message" in caplog.text
    client.publish(channel, orjson.dumps(bad))
    eventually(rejected(a, pair.access_token), timeout=1.0, what="the valid message applied")
    client.close()


GOOD = [7, "jti", "abc", None, 2e9, 1.7e9]


@pytest.mark.parametrize(
    "events",
    [
        "not a list",
        [GOOD] * (CHUNK + 1),
        [GOOD[:5]],
        ["x" * 6],
        [[0, *GOOD[1:]]],
        [[True, *GOOD[1:]]],
        [[2**63, *GOOD[1:]]],
        [[7, "nope", *GOOD[2:]]],
        [[7, "jti", "", *GOOD[3:]]],
        [[7, "jti", "x" * 129, *GOOD[3:]]],
        [[7, "jti", 5, *GOOD[3:]]],
        [[*GOOD[:3], "1", *GOOD[4:]]],
        [[*GOOD[:4], float("inf"), GOOD[5]]],
        [[*GOOD[:4], None, GOOD[5]]],
        [[*GOOD[:5], False]],
    ],
)
def test_decode_revocations_refuses_malformed_events(events: object) -> None:
    with pytest.raises(ValueError):
        decode_revocations({"events": events})


def test_decode_revocations_round_trips() -> None:
    events = [
        Revocation(1, "sid", "s1", None, 2e9, 1.7e9),
        Revocation(2, "user", "u1", 1.7e9, 2e9, 1.7e9),
    ]
    assert decode_revocations(encode_revocations("me", events)) == events


def test_the_shared_throttle_is_used_only_with_redis(make: Make) -> None:
    assert isinstance(make()._ctx.throttle, RedisThrottle)
    assert not isinstance(make(redis=None)._ctx.throttle, RedisThrottle)
    assert make(redis=None)._ctx.announcer is None


def test_proxy_restarts_on_the_same_port() -> None:
    proxy = TcpProxy(("127.0.0.1", 6379))
    proxy.start()
    proxy.stop()
    proxy.start()
    proxy.stop()
