"""TOTP at the service: enrolment, the two-step sign-in, acr/amr, and the attacks (replay,
another user's code, brute force, a reused or expired mfa_token)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pyotp
import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.errors import (
    Conflict,
    InsufficientUserAuthentication,
    InvalidGrant,
    InvalidRequest,
    MfaRequired,
    Throttled,
)

from ...backends import unreachable
from ..authkit import PASSWORD, FakeClock
from .conftest import Enrolled, code_at, mfa_token, password_token


def test_enrolment_gives_a_secret_a_uri_and_a_qr_code_drawn_here(
    auth: AuthService, clock: FakeClock
) -> None:
    auth.create_user("alice", PASSWORD)
    started = auth.mfa.totp_start(password_token(auth, "alice"))
    assert len(pyotp.TOTP(started.secret).now()) == 6
    assert started.otpauth_uri.startswith("otpauth://totp/jwtgate:alice?secret=")
    assert started.secret in started.otpauth_uri
    assert started.qr_svg.startswith("<svg") and "<script" not in started.qr_svg
    assert started.secret not in repr(started)


def test_a_password_alone_no_longer_signs_in_once_totp_is_confirmed(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    assert len(user.codes) == 10 and len(set(user.codes)) == 10
    needed = mfa_token(auth, "alice")
    assert needed.methods == ("totp", "recovery_code")
    assert needed.mfa_token not in repr(needed) and needed.mfa_token not in str(needed)
    pair = auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))
    claims = auth.authenticate(pair.access_token)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == "mfa"
    assert claims["auth_time"] == int(clock())


def test_a_password_sign_in_says_so_in_its_token(auth: AuthService) -> None:
    auth.create_user("bob", PASSWORD)
    claims = password_token(auth, "bob")
    assert (claims["amr"], claims["acr"]) == (["pwd"], "pwd")


def test_refreshed_tokens_keep_how_the_session_signed_in(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    pair = auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))
    signed_in = int(clock())
    clock.advance(600)
    fresh = auth.authenticate(auth.refresh(pair.refresh_token).access_token)
    assert (fresh["acr"], fresh["amr"], fresh["auth_time"]) == (
        "mfa",
        ["pwd", "otp", "mfa"],
        signed_in,
    )
    seen = auth.introspect(pair.access_token)
    assert seen["active"] and seen["acr"] == "mfa" and seen["amr"] == ["pwd", "otp", "mfa"]


def test_introspecting_a_refresh_token_shows_its_sessions_acr(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    pair = auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))
    seen = auth.introspect(pair.refresh_token or "")
    assert seen["token_type"] == "refresh_token" and seen["acr"] == "mfa"


def test_codes_from_oathtool_are_accepted(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    oathtool = shutil.which("oathtool")
    if oathtool is None:
        unreachable("oathtool is not installed (make mfa-deps)")
    user = enrol()
    needed = mfa_token(auth, "alice")
    when = f"@{int(clock())}"
    code = subprocess.run(
        [oathtool, "--totp", "-b", "--now", when, user.secret],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()
    assert code == code_at(user.secret, clock())  # two independent generators agree
    assert auth.mfa.login(needed.mfa_token, "totp", code).access_token


def test_codes_one_step_either_side_are_accepted_two_are_not(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    clock.advance(90)  # well past the steps enrolment used
    needed = mfa_token(auth, "alice")
    with pytest.raises(InvalidGrant):
        auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock() - 60))
    assert auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock() - 30))


def test_a_replayed_code_is_refused_in_its_own_step(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    code = code_at(user.secret, clock())
    auth.mfa.login(mfa_token(auth, "alice").mfa_token, "totp", code)
    second = mfa_token(auth, "alice")
    with pytest.raises(InvalidGrant):
        auth.mfa.login(second.mfa_token, "totp", code)
    events = auth.list_events(type="mfa_failure").items
    assert events[0].detail["reason"] == "replayed"


def test_another_users_code_does_not_open_this_users_sign_in(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    enrol("alice")
    bob = enrol("bob")
    alice_step = mfa_token(auth, "alice")
    with pytest.raises(InvalidGrant):
        auth.mfa.login(alice_step.mfa_token, "totp", code_at(bob.secret, clock()))


def test_guessing_codes_is_throttled_per_user_across_tokens_and_audited(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    right = code_at(user.secret, clock())
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):  # a fresh mfa_token each time: the count is the user's
        with pytest.raises(InvalidGrant):
            auth.mfa.login(mfa_token(auth, "alice").mfa_token, "totp", wrong)
    needed = mfa_token(auth, "alice")
    with pytest.raises(Throttled) as caught:
        auth.mfa.login(needed.mfa_token, "totp", right)  # even the right code waits
    assert caught.value.retry_after >= 1
    types = [e.type for e in auth.list_events(user="alice").items]
    assert types.count("mfa_failure") == 5 and "mfa_throttled" in types
    clock.advance(caught.value.retry_after)
    assert auth.mfa.login(needed.mfa_token, "totp", right)


def test_an_mfa_token_works_once(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))
    clock.advance(30)
    with pytest.raises(InvalidGrant, match="mfa_token"):
        auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))


def test_an_mfa_token_dies_after_five_minutes(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    clock.advance(301)
    with pytest.raises(InvalidGrant, match="mfa_token"):
        auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))


def test_a_wrong_code_leaves_the_mfa_token_usable(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    with pytest.raises(InvalidGrant):
        auth.mfa.login(needed.mfa_token, "totp", "12345x")
    assert auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock()))


def test_garbage_in_the_second_step_is_a_clear_refusal(auth: AuthService) -> None:
    with pytest.raises(InvalidRequest):
        auth.mfa.login("x" * 43, "sms", "123456")
    with pytest.raises(InvalidGrant):
        auth.mfa.login("not a token", "totp", "123456")
    with pytest.raises(InvalidGrant):
        auth.mfa.login(None, "totp", None)


def test_changing_factors_needs_a_recent_sign_in_with_a_factor(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    claims = auth.authenticate(
        auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock())).access_token
    )
    clock.advance(301)
    with pytest.raises(InsufficientUserAuthentication) as caught:
        auth.mfa.regenerate_codes(claims)
    assert caught.value.max_age == 300
    # A password-only token of this user (issued before the factor existed) cannot remove it.
    auth.create_user("carol", PASSWORD)
    carol = password_token(auth, "carol")
    started = auth.mfa.totp_start(carol)
    auth.mfa.totp_confirm(carol, code_at(started.secret, clock()))
    with pytest.raises(InsufficientUserAuthentication) as weak:
        auth.mfa.totp_delete(carol)
    assert weak.value.acr_values == "mfa"


def test_a_second_totp_needs_the_first_removed(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    needed = mfa_token(auth, "alice")
    claims = auth.authenticate(
        auth.mfa.login(needed.mfa_token, "totp", code_at(user.secret, clock())).access_token
    )
    with pytest.raises(Conflict):
        auth.mfa.totp_start(claims)
    auth.mfa.totp_delete(claims)
    assert auth.mfa.status(claims)["totp"] is None
    assert auth.login("alice", PASSWORD).access_token  # a password alone again


def test_the_factor_secret_is_encrypted_at_rest(
    auth: AuthService, enrol: Callable[..., Enrolled]
) -> None:
    from sqlalchemy import text

    from ..authkit import engine_of

    user = enrol()
    with engine_of(auth).connect() as conn:
        dump = "\n".join(str(r) for r in conn.execute(text("SELECT * FROM mfa_factors")))
        codes = "\n".join(str(r) for r in conn.execute(text("SELECT * FROM recovery_codes")))
    assert user.secret not in dump and "v1." in dump
    assert not any(c in codes or c.replace("-", "") in codes for c in user.codes)


def test_mfa_required_is_what_a_caller_who_ignores_it_sees(
    auth: AuthService, enrol: Callable[..., Enrolled]
) -> None:
    enrol()
    with pytest.raises(MfaRequired):
        auth.password_grant("alice", PASSWORD)  # /auth/token's password grant too
