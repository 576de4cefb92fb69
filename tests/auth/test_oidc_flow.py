"""OpenID Connect on the code flow, at the service level: the ID token at the code exchange
(OIDC Core 3.1.3.3, 3.1.3.6) and at refresh (12.2), checked with PyJWT against the JWKS;
plain OAuth without ``openid``; the client's ``id_token_signed_response_alg``; back-channel
logout notices naming the ID token's ``sid``."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt as pyjwt
import pytest

from jwtgate import unverified_header
from jwtgate.auth import AuthService, InvalidRequest

from .authkit import FakeClock, add_user
from .oidckit import App, add_app, code_flow, sign_in

ISSUER = "https://auth.test"


def verify(auth: AuthService, token: str, app: App) -> dict[str, Any]:
    """Validate an ID token as an RP would (OIDC Core 3.1.3.7), with PyJWT."""
    header = unverified_header(token)
    assert header["typ"] == "JWT"
    jwks = pyjwt.PyJWKSet.from_dict(auth.jwks())
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = pyjwt.decode(
        token,
        key.key,
        algorithms=[header["alg"]],
        audience=app.client_id,
        issuer=ISSUER,
        options={"verify_iat": False, "verify_exp": False},
    )
    return claims


def at_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


@pytest.fixture
def app(auth: AuthService) -> App:
    add_user(auth)
    return add_app(auth)


def test_oidcc_server_code_exchange_answers_a_valid_id_token(
    auth: AuthService, app: App, clock: FakeClock
) -> None:
    signed_in_at = clock()
    sso = sign_in(auth)
    clock.advance(5)
    pair = code_flow(auth, app, sso_token=sso)
    assert pair.id_token is not None
    claims = verify(auth, pair.id_token, app)
    access = auth.authenticate(pair.access_token)
    assert claims["sub"] == access["sub"] == auth.find_user("alice").id
    assert claims["aud"] == claims["azp"] == app.client_id
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["auth_time"] == int(signed_in_at)  # the sign-in, not the exchange
    assert claims["iat"] == int(clock())
    assert claims["sid"] == access["sid"]
    assert claims["at_hash"] == at_hash(pair.access_token)
    assert claims["acr"] == "pwd" and claims["amr"] == ["pwd"]
    assert unverified_header(pair.id_token)["alg"] == "RS256"
    assert pair.to_dict()["id_token"] == pair.id_token


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(
    auth: AuthService, app: App
) -> None:
    pair = code_flow(auth, app, nonce=None)
    assert pair.id_token is not None
    assert "nonce" not in verify(auth, pair.id_token, app)


def test_a_scope_without_openid_is_plain_oauth(auth: AuthService, app: App) -> None:
    pair = code_flow(auth, app, scope="profile")
    assert pair.id_token is None and "id_token" not in pair.to_dict()


def test_oidcc_refresh_token_answers_an_id_token_with_the_original_auth_time(
    auth: AuthService, app: App, clock: FakeClock
) -> None:
    first = code_flow(auth, app)
    assert first.id_token is not None and first.refresh_token is not None
    original = verify(auth, first.id_token, app)
    clock.advance(120)
    refreshed = auth.refresh_grant(first.refresh_token, client=app.auth)
    assert refreshed.id_token is not None
    claims = verify(auth, refreshed.id_token, app)
    for same in ("iss", "sub", "aud", "azp", "sid", "auth_time"):
        assert claims[same] == original[same], same
    assert claims["iat"] == original["iat"] + 120
    assert "nonce" not in claims  # OIDC Core 12.2
    assert claims["at_hash"] == at_hash(refreshed.access_token)


def test_a_client_may_register_es256_for_its_id_tokens(auth: AuthService) -> None:
    add_user(auth)
    app = add_app(auth, id_token_signed_response_alg="ES256")
    pair = code_flow(auth, app)
    assert pair.id_token is not None
    assert unverified_header(pair.id_token)["alg"] == "ES256"
    assert verify(auth, pair.id_token, app)["at_hash"] == at_hash(pair.access_token)


def test_oidcc_idtoken_unsigned_none_and_unkeyed_algorithms_are_refused(
    auth: AuthService,
) -> None:
    for alg in ("none", "HS256", "PS384"):
        with pytest.raises(InvalidRequest, match="id_token_signed_response_alg"):
            add_app(auth, id_token_signed_response_alg=alg)


def test_an_ended_app_session_queues_a_logout_notice_naming_the_id_token_sid(
    auth: AuthService,
) -> None:
    add_user(auth)
    app = add_app(auth, backchannel_logout_uri="https://rp.example/backchannel")
    silent = add_app(auth, name="no-backchannel")
    pair = code_flow(auth, app)
    other = code_flow(auth, silent)
    assert pair.id_token is not None and other.id_token is not None
    sid = verify(auth, pair.id_token, app)["sid"]
    auth.revoke_session(sid)
    auth.revoke_session(verify(auth, other.id_token, silent)["sid"])
    with auth.store.read() as uow:
        (notice,) = uow.logouts.for_client(app.client_id, 10)
        assert uow.logouts.for_client(silent.client_id, 10) == []
    assert notice.sid == sid and notice.uri == "https://rp.example/backchannel"
    assert notice.sub == auth.find_user("alice").id and notice.done_at is None


def test_one_sign_in_serves_every_app(auth: AuthService) -> None:
    add_user(auth)
    one, two = add_app(auth, name="one"), add_app(auth, name="two")
    sso = sign_in(auth)
    a = code_flow(auth, one, sso_token=sso)
    b = code_flow(auth, two, sso_token=sso)
    assert a.id_token and b.id_token
    ca, cb = verify(auth, a.id_token, one), verify(auth, b.id_token, two)
    assert ca["sub"] == cb["sub"] and ca["auth_time"] == cb["auth_time"]
    assert ca["sid"] != cb["sid"]  # each app its own session (and logout notice)
