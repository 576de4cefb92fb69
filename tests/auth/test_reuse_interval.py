"""The reuse interval (issue 11 item 7): for a few seconds after a rotation, the token just
rotated is answered with the successor already minted for it; an older token, or that token
later, is reuse and revokes the session."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from jwtgate import RevokedToken
from jwtgate.auth import AuthService, InvalidGrant
from jwtgate.auth.rotation import MAX_REUSE_INTERVAL, Rotation
from jwtgate.config import Settings

from .authkit import FakeClock, add_user, login


def reuse_revoked(auth: AuthService, access_token: str) -> bool:
    """Whether the session of ``access_token`` was revoked as a refresh-token reuse."""
    with pytest.raises(RevokedToken):
        auth.authenticate(access_token)
    return bool(auth.list_events(type="refresh_reuse").items)


def test_the_token_just_rotated_gets_the_successor_already_minted(
    auth: AuthService, clock: FakeClock
) -> None:
    add_user(auth)
    first = login(auth)
    second = auth.refresh(first.refresh_token or "")
    clock.advance(9.5)  # within the default 10 s
    again = auth.refresh(first.refresh_token or "", client_ip="198.51.100.7")
    assert again.refresh_token == second.refresh_token  # nothing new minted
    assert again.access_token != second.access_token
    claims = auth.authenticate(again.access_token)
    assert claims["sid"] == auth.authenticate(second.access_token)["sid"]
    # The session lives on: the successor rotates as usual, and the repeat was audited.
    third = auth.refresh(second.refresh_token or "")
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)
    assert not auth.list_events(type="refresh_reuse").items
    repeats = [e for e in auth.list_events(type="refresh").items if "reuse_interval" in e.detail]
    assert [e.ip for e in repeats] == ["198.51.100.7"]
    # The successor's lifetime, not a new one: a repeat does not slide the session.
    assert again.refresh_expires_in == int(second.refresh_expires_in - 9.5)


def test_an_older_token_revokes_the_session_even_within_the_interval(
    auth: AuthService, clock: FakeClock
) -> None:
    add_user(auth)
    first = login(auth)
    second = auth.refresh(first.refresh_token or "")
    third = auth.refresh(second.refresh_token or "")
    clock.advance(1)
    with pytest.raises(InvalidGrant):
        auth.refresh(first.refresh_token or "")  # two rotations back
    assert reuse_revoked(auth, third.access_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(third.refresh_token or "")


def test_the_predecessor_past_the_interval_revokes_the_session(
    auth: AuthService, clock: FakeClock, settings: Settings
) -> None:
    add_user(auth)
    first = login(auth)
    second = auth.refresh(first.refresh_token or "")
    clock.advance(settings.refresh_reuse_interval + 0.001)
    with pytest.raises(InvalidGrant):
        auth.refresh(first.refresh_token or "")
    assert reuse_revoked(auth, second.access_token)


def test_the_predecessor_of_a_revoked_session_gets_nothing(
    auth: AuthService, clock: FakeClock
) -> None:
    add_user(auth)
    first = login(auth)
    second = auth.refresh(first.refresh_token or "")
    auth.logout(auth.authenticate(second.access_token), second.refresh_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(first.refresh_token or "")


def test_the_interval_is_bounded_and_can_be_switched_off(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    assert Settings.model_fields["refresh_reuse_interval"].default == 10.0
    for bad in (-1, MAX_REUSE_INTERVAL + 0.5, 3600):
        with pytest.raises(ValidationError, match="refresh_reuse_interval"):
            make_settings(refresh_reuse_interval=bad)
        with pytest.raises(ValueError, match="reuse interval"):
            Rotation(key=os.urandom(32), reuse_interval=bad)
    assert make_settings(refresh_reuse_interval=MAX_REUSE_INTERVAL).refresh_reuse_interval == 60
    strict = make_auth(make_settings(refresh_reuse_interval=0))
    add_user(strict)
    first = login(strict)
    second = strict.refresh(first.refresh_token or "")
    with pytest.raises(InvalidGrant):
        strict.refresh(first.refresh_token or "")  # at once, and still reuse
    assert reuse_revoked(strict, second.access_token)


def test_every_process_sharing_the_master_key_answers_the_repeat(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    """Two workers on one database: the successor minted by one is the one the other
    computes (the key comes from the shared master key, not from the process)."""
    settings = make_settings()
    one, other = make_auth(settings), make_auth(settings)
    add_user(one)
    first = login(one)
    second = one.refresh(first.refresh_token or "")
    assert other.refresh(first.refresh_token or "").refresh_token == second.refresh_token


def test_successors_need_the_key_and_hide_it() -> None:
    key = os.urandom(32)
    rotation = Rotation(key=key, reuse_interval=10)
    token = "A" * 43
    successor = rotation.successor(token)
    assert len(successor) == 43 and successor != token
    assert Rotation(key=os.urandom(32), reuse_interval=10).successor(token) != successor
    assert key.hex() not in repr(rotation) and repr(key) not in repr(rotation)
    with pytest.raises(ValueError):
        Rotation(key=b"short", reuse_interval=10)
