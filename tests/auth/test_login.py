"""Login: RFC 9068 access tokens, one answer and one code path for every failure, rehash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jwtgate import decode, unverified_header
from jwtgate.auth import AuthService, InvalidGrant
from jwtgate.auth.passwords import PasswordHasher
from jwtgate.config import Settings
from jwtgate.jose import KeySet

from .authkit import PASSWORD, FakeClock, add_user, login


def test_login_issues_an_rfc9068_access_token_and_a_refresh_token(
    auth: AuthService, clock: FakeClock
) -> None:
    uid = add_user(auth, "alice", roles=("admin", "dev"))
    pair = login(auth, "ALICE")  # usernames are case-insensitive
    assert pair.expires_in == 900
    assert pair.refresh_expires_in == 604800
    assert pair.refresh_token is not None and len(pair.refresh_token) >= 43
    header = unverified_header(pair.access_token)
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    jwks = KeySet.from_jwks(auth.jwks())
    assert header["kid"] in jwks
    claims = decode(
        pair.access_token,
        jwks,
        issuer="https://auth.test",
        audience="api",
        typ="at+jwt",
        now=clock(),
    )
    assert claims["sub"] == uid
    assert claims["preferred_username"] == "alice"
    assert claims["roles"] == ["admin", "dev"]
    assert claims["scope"] == ""
    assert claims["iat"] == claims["nbf"] == int(clock())
    assert claims["exp"] == int(clock()) + 900
    assert isinstance(claims["jti"], str) and isinstance(claims["sid"], str)
    assert auth.authenticate(pair.access_token) == claims
    # Two logins: two sessions, distinct token ids.
    again = auth.authenticate(login(auth).access_token)
    assert again["sid"] != claims["sid"] and again["jti"] != claims["jti"]


def test_token_pair_dict_and_repr(auth: AuthService) -> None:
    add_user(auth)
    pair = login(auth)
    body = pair.to_dict()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
    }
    assert body["token_type"] == "Bearer"
    assert pair.access_token not in repr(pair)
    assert str(pair.refresh_token) not in repr(pair)


class SpyHasher(PasswordHasher):
    """Records every verification: which kind of hash it ran against."""

    calls: list[str]

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.calls.append("dummy" if password_hash is None else "user")
        return super().verify(password_hash, password)


@pytest.fixture
def spy(auth: AuthService, settings: Settings) -> SpyHasher:
    hasher = SpyHasher.__new__(SpyHasher)
    PasswordHasher.__init__(hasher, time_cost=1, memory_cost=64, parallelism=1)
    hasher.calls = []
    auth._ctx.hasher = hasher
    return hasher


def _failure(auth: AuthService, username: str, password: str) -> str:
    with pytest.raises(InvalidGrant) as info:
        auth.login(username, password, client_ip=None, user_agent=None)
    return str(info.value)


def test_unknown_wrong_and_disabled_give_one_answer_after_one_verification(
    auth: AuthService, spy: SpyHasher
) -> None:
    add_user(auth, "alice")
    bob = add_user(auth, "bob")
    auth.update_user(bob, disabled=True)
    spy.calls.clear()
    answers = {
        "unknown": _failure(auth, "nobody", PASSWORD),
        "wrong": _failure(auth, "alice", "not the password"),
        "disabled": _failure(auth, "bob", PASSWORD),
        "too_long_username": _failure(auth, "x" * 500, PASSWORD),
        "too_long_password": _failure(auth, "alice", "p" * 5000),
    }
    assert len(set(answers.values())) == 1
    assert answers["unknown"] == "invalid username or password"
    # Exactly one argon2 verification per attempt, whatever the reason.
    assert len(spy.calls) == len(answers)
    # Unknown users and oversized passwords are checked against the dummy hash.
    assert spy.calls == ["dummy", "user", "user", "dummy", "dummy"]
    events = auth.list_events(type="login_failure").items
    assert sorted(e.detail["reason"] for e in events) == [
        "disabled",
        "unknown_user",
        "unknown_user",
        "wrong_password",
        "wrong_password",
    ]


def test_non_string_credentials_are_invalid_grant(auth: AuthService) -> None:
    bad: Any
    for bad in (None, 5, b"alice", ["alice"]):
        with pytest.raises(InvalidGrant):
            auth.login(bad, PASSWORD, client_ip=None, user_agent=None)
        with pytest.raises(InvalidGrant):
            auth.login("alice", bad, client_ip=None, user_agent=None)


def test_login_is_audited_with_the_address_and_never_the_password(auth: AuthService) -> None:
    add_user(auth)
    login(auth)
    _failure(auth, "alice", "hunter2-wrong")
    events = auth.list_events().items
    assert [e.type for e in events[:2]] == ["login_failure", "login_success"]
    assert events[1].ip == "192.0.2.1"
    assert all("hunter2" not in repr(e.to_dict()) for e in events)
    assert all(PASSWORD not in repr(e.to_dict()) for e in events)


def test_hash_is_upgraded_on_login_when_argon2_parameters_change(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    old = make_auth(make_settings(argon2_memory_cost=64))
    add_user(old)
    old.close()
    new = make_auth(make_settings(argon2_memory_cost=128))

    def stored_hash() -> str:
        with new.store.read() as uow:
            record = uow.users.by_username("alice")
            assert record is not None
            return record.password_hash

    assert "m=64" in stored_hash()
    login(new)
    assert "m=128" in stored_hash()
    assert new.list_events(type="password_rehashed").items
    login(new)  # the new hash verifies


def test_hasher_rejects_impossible_parameters() -> None:
    with pytest.raises(ValueError):
        PasswordHasher(time_cost=0, memory_cost=64, parallelism=1)
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    assert not hasher.verify("not a hash", "x")
    assert hasher.needs_rehash("not a hash")
    assert not hasher.verify(None, "anything")
    assert "m=64" in repr(hasher)
