"""Refresh-token rotation, reuse detection, sliding lifetime with an absolute cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jwtgate import RevokedToken
from jwtgate.auth import AuthService, InvalidGrant, InvalidScope
from jwtgate.config import Settings

from .authkit import FakeClock, add_user, count_statements, login


def test_refresh_rotates_and_keeps_the_session(auth: AuthService) -> None:
    add_user(auth)
    first = login(auth)
    second = auth.refresh(first.refresh_token or "", client_ip="198.51.100.7", user_agent="b")
    assert second.refresh_token != first.refresh_token
    a, b = auth.authenticate(first.access_token), auth.authenticate(second.access_token)
    assert a["sid"] == b["sid"] and a["jti"] != b["jti"]
    third = auth.refresh(second.refresh_token or "")
    assert auth.authenticate(third.access_token)["sid"] == a["sid"]
    (session,) = auth.list_sessions(a["sub"])
    assert session.sid == a["sid"] and session.active
    assert [e.type for e in auth.list_events(type="refresh").items] == ["refresh", "refresh"]


def test_a_rotated_token_presented_again_revokes_the_whole_session(
    auth: AuthService, clock: FakeClock, settings: Settings
) -> None:
    add_user(auth)
    first = login(auth)
    second = auth.refresh(first.refresh_token or "")
    clock.advance(settings.refresh_reuse_interval + 0.001)  # past the reuse interval
    with pytest.raises(InvalidGrant):
        auth.refresh(first.refresh_token or "", client_ip="203.0.113.9", user_agent="thief")
    # The legitimate holder's newer tokens are dead too: the session is revoked.
    with pytest.raises(InvalidGrant):
        auth.refresh(second.refresh_token or "")
    with pytest.raises(RevokedToken):
        auth.authenticate(second.access_token)
    with pytest.raises(RevokedToken):
        auth.authenticate(first.access_token)
    (reuse,) = auth.list_events(type="refresh_reuse").items
    assert reuse.ip == "203.0.113.9"
    sid = auth.introspect(first.access_token)
    assert sid == {"active": False}
    (session,) = auth.list_sessions(reuse.user_id or "")
    assert session.revoked_reason == "refresh_reuse"
    # The revocation is in the feed for Guards.
    assert session.sid in auth.revocations_since(None)["sessions"]


def test_sliding_expiry(auth: AuthService, clock: FakeClock, settings: Settings) -> None:
    add_user(auth)
    pair = login(auth)
    clock.advance(settings.refresh_ttl - 10)
    pair = auth.refresh(pair.refresh_token or "")  # used in time: a new full window
    assert pair.refresh_expires_in == settings.refresh_ttl
    clock.advance(settings.refresh_ttl - 10)
    pair = auth.refresh(pair.refresh_token or "")
    clock.advance(settings.refresh_ttl + 1)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")  # idle too long


def test_absolute_cap(
    make_auth: Callable[..., AuthService],
    make_settings: Callable[..., Settings],
    clock: FakeClock,
) -> None:
    auth = make_auth(make_settings(refresh_ttl=1000, refresh_absolute_ttl=2500))
    add_user(auth)
    pair = login(auth)
    assert pair.refresh_expires_in == 1000
    clock.advance(900)
    pair = auth.refresh(pair.refresh_token or "")
    assert pair.refresh_expires_in == 1000
    clock.advance(900)
    pair = auth.refresh(pair.refresh_token or "")
    assert pair.refresh_expires_in == 700  # the cap, not the slide, decides now
    clock.advance(699)
    pair = auth.refresh(pair.refresh_token or "")
    assert pair.refresh_expires_in == 1
    clock.advance(1)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "short",
        "A" * 42,
        "A" * 129,
        "A" * 1_000_000,
        "A" * 42 + "=",
        "A" * 42 + "/",
        "Ä" * 43,
        "A" * 42 + "\x00",
        None,
        12345,
        b"A" * 43,
        ["A" * 43],
    ],
)
def test_malformed_refresh_tokens_are_rejected_before_any_query(
    auth: AuthService, garbage: Any
) -> None:
    with count_statements(auth) as statements, pytest.raises(InvalidGrant):
        auth.refresh(garbage)
    assert statements == []


def test_unknown_well_formed_token_is_invalid_grant(auth: AuthService) -> None:
    with pytest.raises(InvalidGrant):
        auth.refresh("A" * 43)


def test_refresh_of_a_disabled_or_deleted_user_fails(auth: AuthService) -> None:
    uid = add_user(auth)
    pair = login(auth)
    auth.update_user(uid, disabled=True)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")
    auth.update_user(uid, disabled=False)
    pair = login(auth)
    auth.delete_user(uid)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")


def test_a_refresh_may_narrow_the_scope_but_not_widen_it(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    auth = make_auth(make_settings(user_scopes=["read", "write", "admin"]))
    add_user(auth)
    pair = auth.password_grant("alice", "correct horse battery staple", "read write")
    assert pair.scope == "read write"
    narrowed = auth.refresh_grant(pair.refresh_token or "", "read")
    assert auth.authenticate(narrowed.access_token)["scope"] == "read"
    # The session keeps its scope: the next refresh without scope gets it all back.
    full = auth.refresh_grant(narrowed.refresh_token or "")
    assert full.scope == "read write"
    with pytest.raises(InvalidScope):
        auth.refresh_grant(full.refresh_token or "", "read admin")
    # The failed request did not consume the token.
    assert auth.refresh_grant(full.refresh_token or "").scope == "read write"
    with pytest.raises(InvalidScope):
        auth.password_grant("alice", "correct horse battery staple", "root")
