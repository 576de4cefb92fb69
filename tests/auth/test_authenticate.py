"""authenticate: every check, and zero SQL statements per call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jwtgate import (
    ExpiredToken,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidToken,
    InvalidTokenType,
    Key,
    MalformedToken,
    MissingClaim,
    RevokedToken,
    UnknownKey,
    encode,
)
from jwtgate.auth import AuthService
from jwtgate.config import Settings

from .authkit import FakeClock, add_user, count_statements, login


def test_authenticate_runs_zero_sql_statements(auth: AuthService) -> None:
    add_user(auth)
    pairs = [login(auth) for _ in range(3)]
    auth.logout(auth.authenticate(pairs[0].access_token))
    auth.revoke(pairs[1].access_token)
    with count_statements(auth) as statements:
        for _ in range(50):
            auth.authenticate(pairs[2].access_token)
            for dead in pairs[:2]:
                with pytest.raises(RevokedToken):
                    auth.authenticate(dead.access_token)
            with pytest.raises(MalformedToken):
                auth.authenticate("not.a.token")
            auth.me(auth.authenticate(pairs[2].access_token))
    assert statements == []
    # The counter works: a login runs statements.
    with count_statements(auth) as statements:
        login(auth)
    assert statements


def test_authenticate_checks_expiry_with_the_injected_clock(
    auth: AuthService, clock: FakeClock, settings: Settings
) -> None:
    add_user(auth)
    pair = login(auth)
    clock.advance(settings.access_ttl + settings.leeway - 1)
    auth.authenticate(pair.access_token)
    clock.advance(1)
    with pytest.raises(ExpiredToken):
        auth.authenticate(pair.access_token)


def forge(auth: AuthService, clock: FakeClock, **changes: Any) -> str:
    """A token signed by the real active key, with claims or header changed."""
    key = auth._ctx.keyring.signing_key
    now = int(clock())
    claims = {
        "iss": "https://auth.test",
        "sub": "u",
        "aud": "api",
        "exp": now + 60,
        "iat": now,
        "jti": "j",
        "roles": [],
    }
    headers = {"typ": changes.pop("typ", "at+jwt")}
    claims.update(changes)
    return encode({k: v for k, v in claims.items() if v is not None}, key, headers=headers)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({}, None),
        ({"typ": "JWT"}, InvalidTokenType),  # an ID token or other JWT is not an access token
        ({"iss": "https://evil.test"}, InvalidIssuer),
        ({"aud": "other-api"}, InvalidAudience),
        ({"aud": None}, MissingClaim),
        ({"jti": None}, InvalidToken),
        ({"sub": None}, InvalidToken),
        ({"iat": None}, InvalidToken),
        # RFC 9068: roles an array of strings, scope a string ("admin" in "not-admin" is True).
        ({"roles": "not-admin"}, InvalidClaim),
        ({"roles": ["admin", 1]}, InvalidClaim),
        ({"roles": {"admin": True}}, InvalidClaim),
        ({"scope": ["admin"]}, InvalidClaim),
    ],
)
def test_authenticate_checks_type_issuer_audience_and_required_claims(
    auth: AuthService, clock: FakeClock, changes: dict[str, Any], error: type[Exception] | None
) -> None:
    token = forge(auth, clock, **changes)
    if error is None:
        assert auth.authenticate(token)["sub"] == "u"
    else:
        with pytest.raises(error):
            auth.authenticate(token)


def test_a_token_signed_by_a_stranger_key_is_rejected(auth: AuthService, clock: FakeClock) -> None:
    stranger = Key.generate("ES256")
    token = encode(
        {
            "iss": "https://auth.test",
            "sub": "u",
            "aud": "api",
            "exp": int(clock()) + 60,
            "iat": int(clock()),
            "jti": "j",
        },
        stranger,
        headers={"typ": "at+jwt"},
    )
    with pytest.raises(UnknownKey):
        auth.authenticate(token)


@pytest.mark.parametrize("garbage", ["", "a", "a.b.c", "x" * 100_000, "é.é.é"])
def test_garbage_is_invalid_token(auth: AuthService, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        auth.authenticate(garbage)


def test_non_string_token_is_malformed(auth: AuthService) -> None:
    bad: Any = b"abc"
    with pytest.raises(MalformedToken):
        auth.authenticate(bad)


def test_refresh_token_presented_as_access_token_is_rejected(auth: AuthService) -> None:
    add_user(auth)
    with pytest.raises(InvalidToken):
        auth.authenticate(login(auth).refresh_token or "")


def test_me_answers_from_the_claims(auth: AuthService) -> None:
    uid = add_user(auth, roles=("admin",))
    claims = auth.authenticate(login(auth).access_token)
    me = auth.me(claims)
    assert me["sub"] == uid and me["username"] == "alice"
    assert me["roles"] == ["admin"] and me["sid"] == claims["sid"]


def test_default_issuer_is_the_served_base_url(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    from jwtgate.auth import default_issuer

    assert default_issuer(make_settings(issuer=None, port=9000)) == "http://127.0.0.1:9000"
    assert default_issuer(make_settings(issuer=None, host="::1")) == "http://[::1]:8000"
    assert default_issuer(make_settings(issuer="https://a.test/")) == "https://a.test"
    service = make_auth(make_settings(), issuer="https://override.test")
    assert service.issuer == "https://override.test"


def test_a_verified_token_is_remembered_but_revocation_still_applies(auth: AuthService) -> None:
    add_user(auth)
    pair = login(auth)
    first = auth.authenticate(pair.access_token)
    first["roles"] = ["admin"]  # the caller's copy: the remembered claims are untouched
    assert auth.authenticate(pair.access_token)["roles"] != ["admin"]
    user_id = first["sub"]
    auth.update_user(user_id, disabled=True)
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)


def test_a_remembered_token_dies_with_its_session(auth: AuthService) -> None:
    add_user(auth)
    pair = login(auth)
    for _ in range(3):
        claims = auth.authenticate(pair.access_token)
    auth.logout(claims)
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)


def test_remembered_tokens_survive_a_key_rotation_and_new_keys_verify(auth: AuthService) -> None:
    add_user(auth)
    before = login(auth)
    auth.authenticate(before.access_token)
    auth.rotate_key()
    after = login(auth)
    assert (
        auth.authenticate(before.access_token)["sub"]
        == auth.authenticate(after.access_token)["sub"]
    )
