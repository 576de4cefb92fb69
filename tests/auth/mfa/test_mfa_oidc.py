"""MFA meets the browser sign-in and OpenID Connect: a password alone opens no browser
sign-in session for a user with a factor, and the session opened by the second step carries
its acr/amr/auth_time into the code flow's access and ID tokens, also after a refresh."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.errors import MfaEnrollmentRequired, MfaRequired
from jwtgate.auth.sso import new_sso_token
from jwtgate.config import Settings

from ..authkit import PASSWORD, FakeClock
from ..oidckit import REDIRECT_URI, add_app, code_flow, pkce
from ..test_oidc_flow import verify
from .conftest import Enrolled, code_at


def test_a_browser_sign_in_with_a_password_alone_asks_for_the_second_factor(
    auth: AuthService, enrol: Callable[..., Enrolled]
) -> None:
    enrol()
    with pytest.raises(MfaRequired) as caught:
        auth.browser_sign_in("alice", PASSWORD)
    assert "totp" in caught.value.methods


def test_a_browser_sign_in_of_a_role_that_must_enrol_asks_for_enrolment(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    service = make_auth(make_settings(mfa_required_roles=["admin"]))
    service.create_user("root", PASSWORD, roles=("admin",))
    with pytest.raises(MfaEnrollmentRequired):
        service.browser_sign_in("root", PASSWORD)


def test_the_code_flow_after_a_second_factor_says_mfa_in_its_tokens(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    user = enrol()
    app = add_app(auth)
    with pytest.raises(MfaRequired) as caught:
        auth.browser_sign_in("alice", PASSWORD)
    sso_token, sso_hash = new_sso_token()
    auth.mfa.login(caught.value.mfa_token, "totp", code_at(user.secret, clock()), sso_hash=sso_hash)
    signed_in_at = int(clock())
    clock.advance(5)
    pair = code_flow(auth, app, sso_token=sso_token)
    assert pair.id_token is not None
    claims = verify(auth, pair.id_token, app)
    assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
    assert claims["auth_time"] == signed_in_at
    access = auth.authenticate(pair.access_token)
    assert (access["acr"], access["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
    assert pair.refresh_token is not None
    refreshed = auth.refresh_grant(pair.refresh_token, client=app.auth)
    assert refreshed.id_token is not None
    again = verify(auth, refreshed.id_token, app)
    assert (again["acr"], again["auth_time"]) == ("mfa", signed_in_at)


def test_acr_values_mfa_asks_a_password_only_browser_session_to_sign_in_again(
    auth: AuthService, enrol: Callable[..., Enrolled], clock: FakeClock
) -> None:
    auth.create_user("bob", PASSWORD)
    app = add_app(auth)
    sso = auth.sso_session(auth.browser_sign_in("bob", PASSWORD).sso_token)
    assert sso is not None and sso.acr == "pwd"
    _, challenge = pkce()
    params = [
        ("response_type", "code"),
        ("client_id", app.client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("acr_values", "mfa"),
    ]
    request = auth.authorization_request(params)
    decision = auth.authorize(request, sso)
    assert decision.kind == "login" and decision.fresh
    # Back from that sign-in: acr_values is voluntary, the code carries what it reached.
    assert auth.authorize(request, sso, just_signed_in=True).kind == "code"
    # A sign-in with the second factor satisfies it at once.
    user = enrol()
    with pytest.raises(MfaRequired) as caught:
        auth.browser_sign_in("alice", PASSWORD)
    sso_token, sso_hash = new_sso_token()
    auth.mfa.login(caught.value.mfa_token, "totp", code_at(user.secret, clock()), sso_hash=sso_hash)
    strong = auth.sso_session(sso_token)
    assert strong is not None and strong.acr == "mfa"
    assert auth.authorize(request, strong).kind == "code"
