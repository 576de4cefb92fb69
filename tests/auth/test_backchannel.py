"""Back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0) to a real HTTP
receiver on 127.0.0.1: the logout token validated by PyJWT and joserfc, bounded retries with
doubling waits, audit, persistence across a restart, one delivery across racing workers, no
redirects followed, and a receiver that hangs never blocks whoever queued the notice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt as pyjwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet as JoseKeySet

from jwtgate import unverified_header
from jwtgate.auth import AuthService
from jwtgate.auth.keyring import ID_TOKEN, KeyRing
from jwtgate.auth.oidc import LOGOUT_EVENT, BackchannelLogout
from jwtgate.config import Settings
from jwtgate.store.crypto import KeyCipher, load_master_key
from jwtgate.store.outbound import HttpLogoutSender

from ..receiver import Receiver
from .authkit import FakeClock, count_statements

ISSUER = "https://auth.test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def a_dead_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"  # nothing listens there any more


def make_backchannel(
    auth: AuthService, settings: Settings, clock: Any, *, attempts: int = 4, timeout: float = 5
) -> BackchannelLogout:
    master = load_master_key(settings.database_url, master_key=None, key_file=settings.key_file)
    ring = KeyRing(
        auth.store,
        KeyCipher(master),
        clock=clock,
        algorithm="RS256",
        algorithms=("RS256", "ES256"),
        purpose=ID_TOKEN,
        retention=3600,
    )
    ring.load()
    return BackchannelLogout(
        auth.store,
        ring,
        HttpLogoutSender(),
        clock=clock,
        issuer=ISSUER,
        attempts=attempts,
        timeout=timeout,
    )


def queue(bc: BackchannelLogout, auth: AuthService, uri: str, sid: str = "sid-1") -> None:
    with auth.store.write() as uow:
        bc.enqueue(uow, client_id="rp-1", uri=uri, sub="user-1", sid=sid)
    bc.notify()


def validate(auth: AuthService, token: str) -> dict[str, Any]:
    """Validate a logout token as an RP would (Back-Channel Logout 1.0, 2.6), with PyJWT."""
    header = unverified_header(token)
    assert header["typ"] == "logout+jwt"
    jwks = pyjwt.PyJWKSet.from_dict(auth.jwks())
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = pyjwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience="rp-1",
        issuer=ISSUER,
        options={
            "require": ["iat", "exp", "jti", "iss", "aud"],
            "verify_exp": False,
            "verify_iat": False,
        },
    )
    assert claims["events"] == {LOGOUT_EVENT: {}}
    assert "nonce" not in claims  # 2.4: a nonce would make it look like an ID token
    assert claims["sub"] == "user-1" and claims["sid"].startswith("sid")
    return claims


def events(auth: AuthService, type: str) -> list[Any]:
    return list(auth.list_events(type=type).items)


def test_a_logout_token_is_posted_and_validates_with_two_libraries(
    auth: AuthService, settings: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    bc = make_backchannel(auth, settings, clock)
    queue(bc, auth, receiver.uri)
    assert bc.deliver_due() == 1
    (token,) = receiver.tokens()
    assert receiver.headers[0]["content-type"] == "application/x-www-form-urlencoded"
    claims = validate(auth, token)
    assert claims["iat"] == int(clock()) and claims["exp"] - claims["iat"] <= 120
    decoded = jose_jwt.decode(token, JoseKeySet.import_key_set(auth.jwks()))
    assert decoded.header["typ"] == "logout+jwt" and decoded.claims["jti"] == claims["jti"]
    (sent,) = events(auth, "backchannel_logout_sent")
    assert sent.detail == {"client_id": "rp-1", "sid": "sid-1", "attempts": 1}
    assert bc.deliver_due() == 0  # delivered once, never again


def test_failures_are_retried_with_doubling_waits_and_the_same_jti(
    auth: AuthService, settings: Settings, clock: FakeClock
) -> None:
    receiver = Receiver(statuses=(500, 503))
    try:
        bc = make_backchannel(auth, settings, clock)
        queue(bc, auth, receiver.uri)
        assert bc.deliver_due() == 1  # 500
        assert bc.deliver_due() == 0  # not due for 1 s
        clock.advance(1)
        assert bc.deliver_due() == 1  # 503
        clock.advance(1)
        assert bc.deliver_due() == 0  # the second wait is 2 s
        clock.advance(1)
        assert bc.deliver_due() == 1  # 200
        assert len({validate(auth, t)["jti"] for t in receiver.tokens()}) == 1
        assert len(receiver.tokens()) == 3
        (sent,) = events(auth, "backchannel_logout_sent")
        assert sent.detail["attempts"] == 3
        assert events(auth, "backchannel_logout_failed") == []
    finally:
        receiver.close()


def test_a_receiver_that_stays_down_is_given_up_after_the_bounded_attempts_and_audited(
    auth: AuthService, settings: Settings, clock: FakeClock
) -> None:
    bc = make_backchannel(auth, settings, clock, attempts=3)
    queue(bc, auth, a_dead_port())
    for _ in range(10):
        bc.deliver_due()
        clock.advance(300)
    (failed,) = events(auth, "backchannel_logout_failed")
    assert failed.detail["attempts"] == 3 and failed.detail["client_id"] == "rp-1"
    assert failed.detail["error"].startswith("ConnectionError")
    assert "logout_token" not in str(failed.detail) and "eyJ" not in str(failed.detail)
    with auth.store.read() as uow:
        (row,) = uow.logouts.for_client("rp-1", 10)
    assert row.outcome == "failed" and row.attempts == 3 and row.done_at is not None


def test_a_redirect_is_not_followed(
    auth: AuthService, settings: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    redirector = Receiver(statuses=(307,), location=receiver.uri)
    try:
        bc = make_backchannel(auth, settings, clock, attempts=1)
        queue(bc, auth, redirector.uri)
        bc.deliver_due()
        assert receiver.bodies == []  # the token never went to where the redirect pointed
        (failed,) = events(auth, "backchannel_logout_failed")
        assert failed.detail["error"] == "HTTP 307"
    finally:
        redirector.close()


def test_queued_notices_survive_a_restart(
    auth: AuthService, settings: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    before = make_backchannel(auth, settings, clock)
    queue(before, auth, receiver.uri)
    before.close()  # the process stops before it sent anything
    after = make_backchannel(auth, settings, clock)
    assert after.deliver_due() == 1
    assert len(receiver.tokens()) == 1


def test_racing_workers_deliver_each_notice_once(
    backend_auth: AuthService, receiver: Receiver
) -> None:
    settings = Settings(database_url=str(backend_auth.store.engine.url.render_as_string(False)))  # type: ignore[attr-defined]
    workers = [make_backchannel(backend_auth, settings, time.time) for _ in range(4)]
    for i in range(10):
        queue(workers[0], backend_auth, receiver.uri, sid=f"sid-{i}")
    barrier = threading.Barrier(len(workers))

    def run(bc: BackchannelLogout) -> None:
        barrier.wait()
        while bc.deliver_due():
            pass

    threads = [threading.Thread(target=run, args=(bc,)) for bc in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sids = sorted(validate(backend_auth, t)["sid"] for t in receiver.tokens())
    assert sids == sorted(f"sid-{i}" for i in range(10))  # each once, none lost


def test_a_hanging_receiver_never_blocks_the_logout(
    auth: AuthService, settings: Settings, receiver: Receiver
) -> None:
    receiver.hold.clear()  # the receiver accepts and then hangs
    bc = make_backchannel(auth, settings, time.time, timeout=20)
    bc.start(interval=0.05)
    try:
        queue(bc, auth, receiver.uri)  # what a logout does: queue in its transaction, notify
        assert receiver.arrived.wait(10)
        # The logout has long returned while the receiver still holds the request; a second
        # logout is queued and committed meanwhile too.
        queue(bc, auth, receiver.uri, sid="sid-2")
        receiver.hold.set()
        deadline = time.monotonic() + 20
        while len(events(auth, "backchannel_logout_sent")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(events(auth, "backchannel_logout_sent")) == 2
    finally:
        bc.close()


def test_finished_notices_are_pruned_a_day_later(
    auth: AuthService, settings: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    bc = make_backchannel(auth, settings, clock)
    queue(bc, auth, receiver.uri)
    queue(bc, auth, receiver.uri, sid="sid-2")
    bc.deliver_due()
    queue(bc, auth, receiver.uri, sid="sid-3")  # still to deliver: never pruned
    assert auth.prune()["logout_deliveries"] == 0
    clock.advance(86400 + 1)
    assert auth.prune()["logout_deliveries"] == 2
    with auth.store.read() as uow:
        (left,) = uow.logouts.for_client("rp-1", 10)
    assert left.sid == "sid-3" and left.done_at is None


def test_an_idle_poll_takes_no_write_lock(
    auth: AuthService, settings: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    # The worker polls every second in every process: with nothing due it only reads, so it
    # never queues behind (or blocks) a sign-in on SQLite's single writer.
    bc = make_backchannel(auth, settings, clock)
    with count_statements(auth) as statements:
        assert bc.deliver_due() == 0
    kinds = {
        s.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in s.upper() else "")
        for s in statements
    }
    assert kinds == {"BEGIN", "SELECT"}  # a deferred read transaction, never BEGIN IMMEDIATE
    queue(bc, auth, receiver.uri)
    with count_statements(auth) as statements:
        assert bc.deliver_due() == 1
    assert any(s.lstrip().upper().startswith("UPDATE") for s in statements)
