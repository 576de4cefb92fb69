"""Recovery codes (single use, audited, mailed), the enrolment policy of
JWTGATE_MFA_REQUIRED_ROLES, and the admin reset of a user's factors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.errors import InvalidGrant, MfaEnrollmentRequired, MfaRequired, NotFound
from jwtgate.jose.errors import RevokedToken

from ..authkit import PASSWORD, FakeClock
from .conftest import Enrolled, code_at, mfa_token, password_token


def test_a_recovery_code_signs_in_once_and_is_audited_and_mailed(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol(email="alice@example.com")
    code = user.codes[3].lower().replace("-", " ")  # as typed: case and dashes ignored
    step = mfa_token(auth, "alice")
    pair = auth.mfa.login(step.mfa_token, "recovery_code", code, ip="192.0.2.7")
    claims = auth.authenticate(pair.access_token)
    assert claims["acr"] == "mfa"
    with pytest.raises(InvalidGrant):
        auth.mfa.login(mfa_token(auth, "alice").mfa_token, "recovery_code", user.codes[3])
    used = auth.list_events(type="recovery_code_used").items
    assert len(used) == 1 and used[0].detail["codes_left"] == 9 and used[0].ip == "192.0.2.7"
    with auth.store.read() as uow:
        mails = uow.outbox.for_user(user.user_id)
    assert [m.kind for m in mails if m.kind == "recovery_code_used"] == ["recovery_code_used"]
    assert auth.mfa.status(claims)["recovery_codes_left"] == 9


def test_regenerated_codes_replace_the_old_ones(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    pair = auth.mfa.login(mfa_token(auth, "alice").mfa_token, "totp", code_at(user.secret, clock()))
    fresh = auth.mfa.regenerate_codes(auth.authenticate(pair.access_token))
    assert len(fresh) == 10 and not set(fresh) & set(user.codes)
    with pytest.raises(InvalidGrant):
        auth.mfa.login(mfa_token(auth, "alice").mfa_token, "recovery_code", user.codes[0])
    assert auth.mfa.login(mfa_token(auth, "alice").mfa_token, "recovery_code", fresh[0])


def test_another_users_recovery_code_is_refused(
    auth: AuthService, enrol: Callable[..., Enrolled]
) -> None:
    enrol("alice")
    bob = enrol("bob")
    with pytest.raises(InvalidGrant):
        auth.mfa.login(mfa_token(auth, "alice").mfa_token, "recovery_code", bob.codes[0])


def test_a_required_role_without_a_factor_must_enrol_then_signs_in_with_it(
    make_auth: Callable[..., AuthService],
    make_settings: Callable[..., object],
    clock: FakeClock,
) -> None:
    auth = make_auth(make_settings(mfa_required_roles=["admin"]))
    auth.create_user("root", PASSWORD, roles=["admin"])
    auth.create_user("plain", PASSWORD)
    assert auth.login("plain", PASSWORD).access_token  # no role, no demand
    with pytest.raises(MfaEnrollmentRequired) as caught:
        auth.login("root", PASSWORD)
    token = caught.value.mfa_token
    with pytest.raises(InvalidGrant):
        auth.mfa.login(token, "totp", "123456")  # an enrolment token signs nobody in
    started = auth.mfa.enrol_start(token)
    done = auth.mfa.enrol_confirm(token, code_at(started.secret, clock()))
    assert len(done.recovery_codes) == 10
    claims = auth.authenticate(done.tokens.access_token)
    assert claims["acr"] == "mfa" and "admin" in claims["roles"]
    with pytest.raises(InvalidGrant):
        auth.mfa.enrol_confirm(token, code_at(started.secret, clock()))  # used up
    with pytest.raises(MfaRequired):
        auth.login("root", PASSWORD)


def test_an_admin_reset_removes_the_factors_and_signs_the_user_out(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    pair = auth.mfa.login(mfa_token(auth, "alice").mfa_token, "totp", code_at(user.secret, clock()))
    auth.create_user("root", PASSWORD, roles=["admin"])
    admin = password_token(auth, "root")
    clock.advance(1)
    assert auth.reset_mfa(user.user_id, actor=admin) == 1
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)
    clock.advance(1)
    assert auth.login("alice", PASSWORD).access_token  # the password alone, as before
    event = auth.list_events(type="mfa_reset").items[0]
    assert event.actor == "root" and event.detail["factors"] == 1
    with pytest.raises(NotFound):
        auth.reset_mfa("no-such-user")
