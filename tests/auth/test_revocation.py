"""Revocation: logout, logout-all, password change, disable, delete, admin revoke; the
in-memory state and its feed; a second process learning of revocations by polling."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jwtgate import RevokedToken
from jwtgate.auth import AuthService, InvalidGrant, InvalidRequest, NotFound
from jwtgate.auth.revocation import RevocationState, feed
from jwtgate.config import Settings
from jwtgate.store import Revocation

from .authkit import OTHER_PASSWORD, PASSWORD, FakeClock, add_user, login


def test_logout_revokes_the_session_and_its_access_tokens(auth: AuthService) -> None:
    add_user(auth)
    mine, other = login(auth), login(auth)
    claims = auth.authenticate(mine.access_token)
    auth.logout(claims)
    with pytest.raises(RevokedToken):
        auth.authenticate(mine.access_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(mine.refresh_token or "")
    auth.authenticate(other.access_token)  # another session is untouched
    assert auth.list_events(type="logout").items


def test_logout_with_a_refresh_token_of_another_session_revokes_it_only_if_same_user(
    auth: AuthService,
) -> None:
    add_user(auth, "alice")
    add_user(auth, "bob")
    alice, alice2, bob = login(auth, "alice"), login(auth, "alice"), login(auth, "bob")
    auth.logout(auth.authenticate(alice.access_token), refresh_token=bob.refresh_token)
    auth.refresh(bob.refresh_token or "")  # bob's session is not alice's to end
    auth.logout(auth.authenticate(alice2.access_token), refresh_token=alice2.refresh_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(alice2.refresh_token or "")


def test_logout_all_revokes_every_session_of_the_user(auth: AuthService, clock: FakeClock) -> None:
    add_user(auth, "alice")
    add_user(auth, "bob")
    pairs = [login(auth, "alice") for _ in range(3)]
    bob = login(auth, "bob")
    auth.logout_all(auth.authenticate(pairs[0].access_token))
    for pair in pairs:
        with pytest.raises(RevokedToken):
            auth.authenticate(pair.access_token)
        with pytest.raises(InvalidGrant):
            auth.refresh(pair.refresh_token or "")
    auth.authenticate(bob.access_token)
    fresh = login(auth, "alice")  # logging in again, even in the same second, works
    auth.authenticate(fresh.access_token)
    clock.advance(5)
    auth.authenticate(login(auth, "alice").access_token)


def test_password_change_keeps_this_session_and_revokes_the_others(auth: AuthService) -> None:
    add_user(auth)
    here, elsewhere = login(auth), login(auth)
    claims = auth.authenticate(here.access_token)
    with pytest.raises(InvalidGrant):
        auth.change_password(claims, "wrong current", OTHER_PASSWORD)
    auth.change_password(claims, PASSWORD, OTHER_PASSWORD)
    auth.authenticate(here.access_token)
    auth.refresh(here.refresh_token or "")
    with pytest.raises(RevokedToken):
        auth.authenticate(elsewhere.access_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(elsewhere.refresh_token or "")
    with pytest.raises(InvalidGrant):
        login(auth, password=PASSWORD)
    login(auth, password=OTHER_PASSWORD)


def test_disabling_a_user_revokes_everything_it_holds(auth: AuthService) -> None:
    uid = add_user(auth)
    pair = login(auth)
    auth.update_user(uid, disabled=True, actor={"preferred_username": "root"})
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")
    with pytest.raises(InvalidGrant):
        login(auth)
    (event,) = auth.list_events(type="user_updated").items
    assert event.actor == "root" and event.detail == {"disabled": True}


def test_a_role_change_revokes_tokens_carrying_the_old_roles(auth: AuthService) -> None:
    uid = add_user(auth, roles=("admin",))
    pair = login(auth)
    auth.update_user(uid, roles=["user"])
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)
    assert auth.authenticate(login(auth).access_token)["roles"] == ["user"]


def test_deleting_a_user_revokes_its_tokens(auth: AuthService) -> None:
    uid = add_user(auth)
    pair = login(auth)
    auth.delete_user(uid)
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)
    with pytest.raises(NotFound):
        auth.delete_user(uid)


def test_admin_revokes_one_session(auth: AuthService) -> None:
    add_user(auth)
    a, b = login(auth), login(auth)
    sid = auth.authenticate(a.access_token)["sid"]
    auth.revoke_session(sid, actor={"preferred_username": "root"})
    with pytest.raises(RevokedToken):
        auth.authenticate(a.access_token)
    auth.authenticate(b.access_token)
    auth.revoke_session(sid)  # revoking again is fine
    for missing in ("nope", "", "x" * 500):
        with pytest.raises(NotFound):
            auth.revoke_session(missing)


def test_revocations_expire_with_the_tokens_they_concern(
    auth: AuthService, clock: FakeClock, settings: Settings
) -> None:
    add_user(auth)
    pair = login(auth)
    auth.logout(auth.authenticate(pair.access_token))
    assert len(auth.revocations_since(None)["sessions"]) == 1
    clock.advance(settings.access_ttl + settings.leeway + 1)
    assert auth.revocations_since(None)["sessions"] == []
    counts = auth.prune()
    assert counts["revocations"] == 1


def test_the_feed_pages_by_cursor(auth: AuthService) -> None:
    uid = add_user(auth)
    pairs = [login(auth) for _ in range(3)]
    everything = auth.revocations_since(None)
    assert everything == {"cursor": "0", "sessions": [], "tokens": [], "users": {}, "more": False}
    auth.logout(auth.authenticate(pairs[0].access_token))
    first = auth.revocations_since(None)
    assert len(first["sessions"]) == 1 and first["cursor"] != "0"
    auth.revoke(pairs[1].access_token)  # RFC 7009 on an access token: its jti
    auth.logout_all(auth.authenticate(pairs[2].access_token))
    later = auth.revocations_since(first["cursor"])
    assert int(later["cursor"]) > int(first["cursor"])
    assert len(later["tokens"]) == 1
    assert set(later["users"]) == {uid}
    assert isinstance(later["users"][uid], int)
    for bad in ("abc", "-1", "1.5", "9" * 40, " 1"):
        with pytest.raises(InvalidRequest):
            auth.revocations_since(bad)


def test_a_second_process_learns_revocations_by_polling(
    make_auth: Callable[..., AuthService], settings: Settings
) -> None:
    one = make_auth(settings)
    add_user(one)
    pair = login(one)
    two = make_auth(settings)  # same database, its own memory
    two.authenticate(pair.access_token)
    one.logout(one.authenticate(pair.access_token))
    two.authenticate(pair.access_token)  # not told yet: no database hit per request
    two.sync()
    with pytest.raises(RevokedToken):
        two.authenticate(pair.access_token)
    three = make_auth(settings)  # a process started later loads the state at start
    with pytest.raises(RevokedToken):
        three.authenticate(pair.access_token)


def event(id: int, kind: str, value: str, **kw: float) -> Revocation:
    return Revocation(
        id=id,
        kind=kind,
        value=value,
        not_before=kw.get("not_before"),
        expires_at=kw.get("expires_at", 100.0),
        created_at=0.0,
    )


def test_revocation_state_apply_check_since_prune() -> None:
    clock = FakeClock(50.0)
    state = RevocationState(clock=clock)
    state.apply(event(3, "sid", "s1"))
    state.apply_all(
        [event(1, "jti", "j1", expires_at=60.0), event(2, "user", "u1", not_before=20.7)]
    )
    state.apply(event(3, "sid", "s1"))  # idempotent
    state.apply(event(4, "weird", "x"))  # unknown kinds are ignored
    assert state.cursor == 3 and len(state) == 3
    for claims in (
        {"sid": "s1", "sub": "u2", "iat": 30},
        {"jti": "j1", "sub": "u2", "iat": 30},
        {"sub": "u1", "iat": 19},
        {"sub": "u1"},  # no iat: cannot prove it is newer
    ):
        with pytest.raises(RevokedToken):
            state.check(claims)
    state.check({"sub": "u1", "iat": 20, "sid": "s2", "jti": "j2"})  # same second: allowed
    assert [e.id for e in state.since(1)] == [2, 3]
    clock.advance(20)
    assert state.prune() == 1
    state.check({"jti": "j1", "sub": "u2", "iat": 30})
    assert state.is_session_revoked("s1")


def test_feed_format() -> None:
    body = feed(
        [
            event(5, "sid", "s"),
            event(6, "sid", "s"),
            event(7, "user", "u", not_before=10.9),
            event(8, "user", "u", not_before=5.0),
            event(9, "jti", "j"),
        ],
        2,
    )
    assert body == {
        "cursor": "9",
        "sessions": ["s"],
        "tokens": ["j"],
        "users": {"u": 10},
        "more": False,
    }


def test_revocation_state_prunes_itself_as_it_grows() -> None:
    clock = FakeClock(0.0)
    state = RevocationState(clock=clock)
    for i in range(1, 1001):
        state.apply(event(i, "jti", f"old{i}", expires_at=10.0))
    clock.advance(20)
    for i in range(1001, 1101):
        state.apply(event(i, "jti", f"new{i}", expires_at=100.0))
    assert len(state) == 100  # the 1024th apply pruned the dead
    assert [e.id for e in state.since(0)][:1] == [1001]
