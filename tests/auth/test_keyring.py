"""The key ring: first-start key, encryption at rest, rotation without downtime, JWKS
retention until the last token of a retired key has expired, other processes following."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable

import pytest

from jwtgate import unverified_header
from jwtgate.auth import AuthService, InvalidRequest, KeyInfo
from jwtgate.config import Settings

from .authkit import FakeClock, add_user, login


def kids(auth: AuthService) -> list[str]:
    """The kids of the access-token keys in the JWKS (the ID-token keys are there too)."""
    id_kids = {k.kid for k in auth.list_keys() if k.use == "id_token"}
    return sorted(k["kid"] for k in auth.jwks()["keys"] if k["kid"] not in id_kids)


def access_keys(auth: AuthService) -> list[KeyInfo]:
    return [k for k in auth.list_keys() if k.use == "access"]


def test_first_start_generates_one_key_with_the_configured_algorithm(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    auth = make_auth(make_settings(algorithm="EdDSA"))
    (info,) = access_keys(auth)
    assert info.alg == "EdDSA" and info.status == "active"
    assert auth.algorithms == ["EdDSA"]
    assert kids(auth) == [info.kid]
    assert all("d" not in k for k in auth.jwks()["keys"])  # public parts only
    again = make_auth(make_settings(algorithm="EdDSA"))  # a restart reuses the stored keys
    assert {k.kid for k in again.list_keys()} == {k.kid for k in auth.list_keys()}


def test_private_keys_are_encrypted_at_rest(auth: AuthService) -> None:
    with auth.store.read() as uow:
        records = uow.keys.all()
    assert {r.purpose for r in records} == {"access", "id_token"}
    for record in records:
        assert record.private_jwk_enc.startswith("v1.")
        assert '"d"' not in record.private_jwk_enc and "sealed" not in repr(record)


def test_a_wrong_master_key_refuses_to_start(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    make_auth(make_settings(master_key=key))
    other = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with pytest.raises(ValueError, match="does not decrypt"):
        make_auth(make_settings(master_key=other))
    with pytest.raises(ValueError, match="JWTGATE_MASTER_KEY"):
        make_auth(make_settings(master_key="too-short"))


def test_rotation_keeps_old_tokens_valid_until_they_expire(
    auth: AuthService, clock: FakeClock, settings: Settings
) -> None:
    add_user(auth)
    old_kid = access_keys(auth)[0].kid
    before = login(auth)
    info = auth.rotate_key(actor={"preferred_username": "root"})
    assert info.status == "active" and info.kid != old_kid
    after = login(auth)
    assert unverified_header(after.access_token)["kid"] == info.kid
    assert unverified_header(before.access_token)["kid"] == old_kid
    auth.authenticate(before.access_token)  # no downtime for tokens in flight
    auth.authenticate(after.access_token)
    assert kids(auth) == sorted([old_kid, info.kid])
    statuses = {k.kid: k.status for k in access_keys(auth)}
    assert statuses == {info.kid: "active", old_kid: "retired"}
    assert auth.list_keys()[0].kid == info.kid  # the active access key first
    (event,) = auth.list_events(type="key_rotated").items
    assert event.actor == "root" and event.detail["kid"] == info.kid
    # Retention: access_ttl + leeway + one poll interval after the retirement.
    retention = settings.access_ttl + settings.leeway + settings.revocation_poll_interval
    clock.advance(retention - 1)
    assert old_kid in kids(auth)
    clock.advance(1)
    assert kids(auth) == [info.kid]
    assert {k.kid: k.status for k in auth.list_keys()}[old_kid] == "expired"
    assert auth.prune()["keys"] == 1
    auth.sync()
    assert [k.kid for k in access_keys(auth)] == [info.kid]


def test_rotate_to_another_algorithm_and_refuse_unknown_ones(auth: AuthService) -> None:
    info = auth.rotate_key("RS256")
    assert info.alg == "RS256"
    assert auth.algorithms == ["ES256", "RS256"]
    for bad in ("none", "HS1", "es256", ""):
        with pytest.raises(InvalidRequest):
            auth.rotate_key(bad)


def test_an_asymmetric_deployment_cannot_rotate_to_a_secret_key(auth: AuthService) -> None:
    before = auth.jwks()
    for alg in ("HS256", "HS512"):
        with pytest.raises(InvalidRequest, match="JWKS"):
            auth.rotate_key(alg)
    assert auth.jwks() == before
    assert auth.rotate_key("EdDSA").alg == "EdDSA"


def test_hmac_keys_sign_but_never_appear_in_the_jwks(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    auth = make_auth(make_settings(algorithm="HS256"))
    add_user(auth)
    auth.authenticate(login(auth).access_token)
    assert kids(auth) == []
    assert {k["kty"] for k in auth.jwks()["keys"]} <= {"RSA", "EC"}  # only ID-token keys
    assert all("k" not in k for k in auth.jwks()["keys"])


def test_another_process_follows_a_rotation(
    make_auth: Callable[..., AuthService], settings: Settings
) -> None:
    one, two = make_auth(settings), make_auth(settings)
    add_user(one)
    one.rotate_key()
    fresh = login(one)
    # Process two has never heard of the new kid: it re-reads the keys once and accepts.
    assert two.authenticate(fresh.access_token)["sub"]
    # And after sync it signs with the new key too.
    two.sync()
    assert unverified_header(login(two).access_token)["kid"] == access_keys(one)[0].kid


def test_verification_never_fails_during_rotations(auth: AuthService) -> None:
    add_user(auth)
    tokens = [login(auth).access_token for _ in range(5)]
    failures: list[BaseException] = []
    stop = threading.Event()

    def verify() -> None:
        while not stop.is_set():
            for token in tokens:
                try:
                    auth.authenticate(token)
                except BaseException as exc:  # collected for the assertion
                    failures.append(exc)

    threads = [threading.Thread(target=verify) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(5):
        auth.rotate_key()
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []


def test_the_id_token_ring_keeps_an_rs256_key_beside_the_access_key(auth: AuthService) -> None:
    # OpenID Connect Core 15.1: RS256 is mandatory for ID tokens, whatever signs access tokens.
    id_keys = [k for k in auth.list_keys() if k.use == "id_token"]
    assert {k.alg for k in id_keys} == {"RS256", "ES256"}
    assert auth.id_token_algorithms == ["ES256", "RS256"]
    assert auth.algorithms == ["ES256"]  # access tokens keep their own key
    published = {k["kid"]: k for k in auth.jwks()["keys"]}
    for key in auth.list_keys():
        assert key.kid in published and published[key.kid]["alg"] == key.alg


def test_rotating_the_id_token_key_leaves_the_access_key_alone(
    auth: AuthService, clock: FakeClock, settings: Settings
) -> None:
    access_before = [k.kid for k in access_keys(auth)]
    rs256 = next(k for k in auth.list_keys() if k.use == "id_token" and k.alg == "RS256")
    es256 = next(k for k in auth.list_keys() if k.use == "id_token" and k.alg == "ES256")
    new = auth.rotate_key(use="id_token", actor={"preferred_username": "root"})
    assert new.alg == "RS256" and new.use == "id_token" and new.status == "active"
    status = {k.kid: k.status for k in auth.list_keys()}
    assert status[rs256.kid] == "retired" and status[es256.kid] == "active"
    assert [k.kid for k in access_keys(auth)] == access_before
    assert {rs256.kid, new.kid} <= {k["kid"] for k in auth.jwks()["keys"]}
    (event,) = auth.list_events(type="key_rotated").items
    assert event.detail == {"kid": new.kid, "alg": "RS256", "use": "id_token"}
    # A retired ID-token key stays published for an ID token's lifetime (plus leeway, poll).
    clock.advance(settings.id_token_ttl + settings.leeway + settings.revocation_poll_interval)
    assert rs256.kid not in {k["kid"] for k in auth.jwks()["keys"]}


def test_id_token_keys_are_asymmetric_and_from_the_configured_list(auth: AuthService) -> None:
    for alg in ("HS256", "EdDSA", "none"):
        with pytest.raises(InvalidRequest):
            auth.rotate_key(alg, use="id_token")
    with pytest.raises(InvalidRequest, match="use must be"):
        auth.rotate_key(use="signing")


def test_rs256_is_always_an_id_token_algorithm(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    auth = make_auth(make_settings(id_token_algorithms=["PS256"]))
    assert auth.id_token_algorithms == ["PS256", "RS256"]
    with pytest.raises(ValueError, match="HMAC"):
        make_auth(make_settings(id_token_algorithms=["HS256"]))
