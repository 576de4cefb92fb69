"""Passkeys at the service, with a software authenticator: registration with user
verification, as a second factor and passwordless, several per user, removal, and the
attacks (another origin or RP id, a cloned authenticator, a used challenge, a backup flag
that changed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.errors import (
    InsufficientUserAuthentication,
    InvalidGrant,
    InvalidRequest,
    MfaRequired,
    NotFound,
)
from jwtgate.config import Settings

from ..authkit import PASSWORD, FakeClock
from .conftest import password_token
from .softkey import SoftKey

PUBLIC = "http://localhost:8000"


@pytest.fixture
def service(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> AuthService:
    auth = make_auth(make_settings(public_url=PUBLIC))
    auth.create_user("alice", PASSWORD)
    return auth


def _register(auth: AuthService, claims: dict[str, Any], key: SoftKey, name: str = "Laptop") -> str:
    options = auth.mfa.webauthn_register_options(claims)
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    added = auth.mfa.webauthn_register(claims, key.create(options), name)
    return str(added["id"])


def _key(**kwargs: Any) -> SoftKey:
    return SoftKey(rp_id="localhost", origin=PUBLIC, **kwargs)


def test_a_passkey_as_second_factor_gives_acr_phr(service: AuthService) -> None:
    key = _key()
    _register(service, password_token(service, "alice"), key)
    with pytest.raises(MfaRequired) as caught:
        service.login("alice", PASSWORD)
    step = caught.value
    assert "webauthn" in step.methods and step.webauthn is not None
    assert step.webauthn["allowCredentials"][0]["id"]
    pair = service.mfa.login(step.mfa_token, "webauthn", key.get(step.webauthn))
    claims = service.authenticate(pair.access_token)
    assert claims["acr"] == "phr" and claims["amr"] == ["pwd", "hwk", "mfa"]


def test_passwordless_sign_in_with_a_discoverable_passkey(service: AuthService) -> None:
    key = _key(synced=True)
    _register(service, password_token(service, "alice"), key)
    options = service.mfa.passwordless_options()
    assert "allowCredentials" not in options or not options["allowCredentials"]
    pair = service.mfa.passwordless(key.get(options))
    claims = service.authenticate(pair.access_token)
    assert claims["preferred_username"] == "alice"
    assert claims["acr"] == "phr" and claims["amr"] == ["swk", "mfa"]
    with pytest.raises(InvalidGrant):
        service.mfa.passwordless(key.get(options))  # the challenge was used


def test_an_assertion_for_another_origin_or_rp_id_is_refused(service: AuthService) -> None:
    key = _key()
    _register(service, password_token(service, "alice"), key)
    for kwargs in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"}):
        options = service.mfa.passwordless_options()
        with pytest.raises(InvalidGrant):
            service.mfa.passwordless(key.get(options, **kwargs))


def test_a_registration_for_another_origin_is_refused(service: AuthService) -> None:
    claims = password_token(service, "alice")
    options = service.mfa.webauthn_register_options(claims)
    with pytest.raises(InvalidGrant):
        service.mfa.webauthn_register(
            claims, _key().create(options, origin="https://evil.example"), "x"
        )


def test_without_user_verification_nothing_registers_or_signs_in(service: AuthService) -> None:
    claims = password_token(service, "alice")
    options = service.mfa.webauthn_register_options(claims)
    with pytest.raises(InvalidGrant):
        service.mfa.webauthn_register(claims, _key(user_verified=False).create(options), "x")


def test_a_cloned_authenticator_is_refused_and_audited(service: AuthService) -> None:
    key = _key()
    _register(service, password_token(service, "alice"), key)
    service.mfa.passwordless(key.get(service.mfa.passwordless_options()))
    service.mfa.passwordless(key.get(service.mfa.passwordless_options()))
    with pytest.raises(InvalidGrant):  # the clone still reports the counter it was copied at
        service.mfa.passwordless(key.get(service.mfa.passwordless_options(), counter=1))
    assert service.list_events(type="passkey_clone_suspected").items


def test_a_device_bound_passkey_turning_synced_is_refused(service: AuthService) -> None:
    key = _key()
    _register(service, password_token(service, "alice"), key)
    key.synced = True
    with pytest.raises(InvalidGrant):
        service.mfa.passwordless(key.get(service.mfa.passwordless_options()))
    assert service.list_events(type="passkey_backup_state_changed").items


def test_several_named_passkeys_and_removing_one(service: AuthService, clock: FakeClock) -> None:
    claims = password_token(service, "alice")
    laptop, phone = _key(), _key(synced=True)
    first = _register(service, claims, laptop, "Laptop")
    # Once a factor exists, changes need a sign-in made with one.
    with pytest.raises(InsufficientUserAuthentication):
        _register(service, claims, phone, "Phone")
    with pytest.raises(MfaRequired) as caught:
        service.login("alice", PASSWORD)
    step = caught.value
    strong = service.authenticate(
        service.mfa.login(step.mfa_token, "webauthn", laptop.get(step.webauthn or {})).access_token
    )
    clock.advance(1)
    _register(service, strong, phone, "Phone")
    names = [p["name"] for p in service.mfa.status(strong)["webauthn"]]
    assert names == ["Laptop", "Phone"]
    service.mfa.webauthn_delete(strong, first)
    assert [p["name"] for p in service.mfa.status(strong)["webauthn"]] == ["Phone"]
    with pytest.raises(InvalidGrant):
        service.mfa.passwordless(laptop.get(service.mfa.passwordless_options()))
    with pytest.raises(NotFound):
        service.mfa.webauthn_delete(strong, first)


def test_an_ip_address_cannot_be_a_relying_party(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    auth = make_auth(make_settings(public_url="http://127.0.0.1:8000"))
    with pytest.raises(InvalidRequest, match="localhost"):
        auth.mfa.passwordless_options()


def test_garbage_credentials_are_refused_cleanly(service: AuthService) -> None:
    for junk in (None, {}, {"response": {}}, {"response": {"clientDataJSON": "!!"}}, "x"):
        with pytest.raises(InvalidGrant):
            service.mfa.passwordless(junk)
