"""ID tokens (OpenID Connect Core 2, 3.1.3.6-3.1.3.7), checked by independent libraries
(PyJWT and joserfc) against the published JWKS, and ``id_token_hint`` checks."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt as pyjwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet as JoseKeySet

from jwtgate import Key, encode, unverified_header
from jwtgate.auth import AuthService
from jwtgate.auth.keyring import ID_TOKEN, KeyRing
from jwtgate.auth.oidc import IdTokens, left_half_hash
from jwtgate.config import Settings
from jwtgate.jose.errors import InvalidIssuer, InvalidSignature, InvalidTokenType, UnknownKey
from jwtgate.store.crypto import KeyCipher, load_master_key

from .authkit import FakeClock, add_user, login

ISSUER = "https://auth.test"


def id_tokens(auth: AuthService, settings: Settings, clock: FakeClock) -> IdTokens:
    """An IdTokens on the service's own ID-token keys (the same rows, the same JWKS)."""
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
    return IdTokens(ring, clock=clock, issuer=ISSUER, ttl=settings.id_token_ttl, max_size=8192)


def pyjwt_decode(auth: AuthService, token: str, **kwargs: Any) -> dict[str, Any]:
    jwks = pyjwt.PyJWKSet.from_dict(auth.jwks())
    kid = unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return pyjwt.decode(
        token,
        key.key,
        algorithms=[unverified_header(token)["alg"]],
        audience="spa",
        issuer=ISSUER,
        options={"verify_iat": False, "verify_exp": False},
        **kwargs,
    )


@pytest.fixture
def minted(auth: AuthService, settings: Settings, clock: FakeClock) -> IdTokens:
    return id_tokens(auth, settings, clock)


def test_oidcc_id_token_rs256_has_every_claim_and_verifies_with_pyjwt(
    auth: AuthService, minted: IdTokens, clock: FakeClock, settings: Settings
) -> None:
    access = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
    token = minted.issue(
        sub="user-1",
        client_id="spa",
        auth_time=clock() - 30,
        sid="sid-1",
        nonce="n-0S6_WzA2Mj",
        access_token=access,
    )
    header = unverified_header(token)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    claims = pyjwt_decode(auth, token)
    assert claims["iss"] == ISSUER and claims["sub"] == "user-1" and claims["aud"] == "spa"
    assert claims["azp"] == "spa" and claims["sid"] == "sid-1"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["iat"] == int(clock()) and claims["exp"] == int(clock()) + settings.id_token_ttl
    assert claims["auth_time"] == int(clock() - 30)
    assert claims["amr"] == ["pwd"]
    # OIDC Core Appendix A.3's access token and at_hash (RS256: left half of SHA-256).
    assert claims["at_hash"] == "77QmUPtjPfzWtF2AnpK9RQ"


def test_oidcc_id_token_verifies_with_joserfc_against_the_jwks(
    auth: AuthService, minted: IdTokens, clock: FakeClock
) -> None:
    token = minted.issue(sub="u", client_id="spa", auth_time=clock(), access_token="abc")
    keys = JoseKeySet.import_key_set(auth.jwks())
    decoded = jose_jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "JWT"
    assert decoded.claims["at_hash"] == _at_hash("abc", hashlib.sha256)


def _at_hash(value: str, fn: Any) -> str:
    digest = fn(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def test_a_client_may_ask_for_es256_and_at_hash_follows_the_alg(
    auth: AuthService, minted: IdTokens, clock: FakeClock
) -> None:
    token = minted.issue(
        sub="u", client_id="spa", auth_time=clock(), access_token="tok", alg="ES256"
    )
    assert unverified_header(token)["alg"] == "ES256"
    claims = pyjwt_decode(auth, token)
    assert claims["at_hash"] == _at_hash("tok", hashlib.sha256)
    with pytest.raises(ValueError, match="no ID-token key"):
        minted.issue(sub="u", client_id="spa", auth_time=clock(), alg="EdDSA")


@pytest.mark.parametrize(
    ("alg", "fn"),
    [
        ("RS384", hashlib.sha384),
        ("ES512", hashlib.sha512),
        ("PS256", hashlib.sha256),
        ("EdDSA", hashlib.sha512),
    ],
)
def test_at_hash_uses_the_hash_of_the_algorithm(alg: str, fn: Any) -> None:
    assert left_half_hash("an access token", alg) == _at_hash("an access token", fn)


def test_no_nonce_no_sid_no_at_hash_when_the_request_had_none(
    auth: AuthService, minted: IdTokens, clock: FakeClock
) -> None:
    claims = pyjwt_decode(auth, minted.issue(sub="u", client_id="spa", auth_time=clock()))
    assert "nonce" not in claims and "sid" not in claims and "at_hash" not in claims
    assert "auth_time" in claims  # always


def test_extra_claims_never_override_protocol_claims(
    auth: AuthService, minted: IdTokens, clock: FakeClock
) -> None:
    token = minted.issue(
        sub="u", client_id="spa", auth_time=clock(), extra={"sub": "admin", "name": "Al"}
    )
    claims = pyjwt_decode(auth, token)
    assert claims["sub"] == "u" and claims["name"] == "Al"


def test_access_tokens_and_id_tokens_use_different_keys(
    auth: AuthService, minted: IdTokens, clock: FakeClock
) -> None:
    add_user(auth)
    access = login(auth).access_token
    id_token = minted.issue(sub="u", client_id="spa", auth_time=clock())
    assert unverified_header(access)["kid"] != unverified_header(id_token)["kid"]
    # An ID token is never an access token here, whatever its claims say.
    with pytest.raises(UnknownKey):
        auth.authenticate(id_token)
    # And an access token is never an id_token_hint.
    with pytest.raises((InvalidTokenType, UnknownKey)):
        minted.verify_hint(access)


def test_id_token_hint_accepts_an_expired_token_of_ours_only(
    minted: IdTokens, clock: FakeClock, settings: Settings
) -> None:
    token = minted.issue(sub="u", client_id="spa", auth_time=clock(), sid="s")
    clock.advance(settings.id_token_ttl + 600)  # RP-Initiated Logout 2: expired is fine
    assert minted.verify_hint(token)["sid"] == "s"
    forged = encode(
        {"iss": ISSUER, "sub": "u", "aud": "spa"},
        Key.generate("RS256"),
        headers={"typ": "JWT"},
    )
    with pytest.raises(UnknownKey):
        minted.verify_hint(forged)
    head, body, sig = token.split(".")
    tampered = f"{head}.{body[:-2]}AA.{sig}"
    with pytest.raises(InvalidSignature):
        minted.verify_hint(tampered)
    other = IdTokens(
        minted._keyring, clock=clock, issuer="https://other.test", ttl=60, max_size=8192
    )
    with pytest.raises(InvalidIssuer):
        minted.verify_hint(other.issue(sub="u", client_id="spa", auth_time=clock()))
