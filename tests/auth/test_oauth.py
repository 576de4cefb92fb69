"""Clients and client credentials (RFC 6749 4.4), revocation (RFC 7009), introspection (RFC
7662)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jwtgate import RevokedToken, unverified_header
from jwtgate.auth import AuthService, InvalidClient, InvalidGrant, InvalidRequest, InvalidScope
from jwtgate.auth.oauth.scopes import STANDARD_SCOPES
from jwtgate.auth.values import ClientAuth
from jwtgate.config import Settings

from .authkit import FakeClock, add_user, count_statements, login


def test_client_credentials_grant(auth: AuthService) -> None:
    client, secret = auth.create_client("billing", ["invoices:read", "invoices:write"])
    assert len(secret) >= 43 and secret not in repr(client)
    assert auth.list_clients() == [client]
    assert client.to_dict()["scopes"] == ["invoices:read", "invoices:write"]
    pair = auth.client_credentials(client.client_id, secret, "invoices:read")
    assert pair.refresh_token is None and "refresh_token" not in pair.to_dict()
    assert pair.to_dict()["scope"] == "invoices:read"
    claims = auth.authenticate(pair.access_token)
    assert claims["client_id"] == claims["sub"] == client.client_id
    assert "sid" not in claims and claims["scope"] == "invoices:read"
    assert unverified_header(pair.access_token)["typ"] == "at+jwt"
    everything = auth.client_credentials(client.client_id, secret)
    assert everything.scope == "invoices:read invoices:write"
    with pytest.raises(InvalidScope):
        auth.client_credentials(client.client_id, secret, "admin")
    assert "invoices:read" not in auth.scopes_supported  # a client's scope is not public
    assert auth.authenticate_client(client.client_id, secret) == client


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("unknown", "whatever"), ("", ""), ("x" * 1000, "y"), (None, None), ("REAL", "wrong")],
)
def test_client_authentication_failures_are_invalid_client(
    auth: AuthService, client_id: Any, secret: Any
) -> None:
    client, _ = auth.create_client("svc")
    if client_id == "REAL":
        client_id = client.client_id
    with pytest.raises(InvalidClient) as info:
        auth.client_credentials(client_id, secret)
    assert info.value.code == "invalid_client"


def test_client_creation_validates_its_input(auth: AuthService) -> None:
    for name, scopes in (("", []), ("x" * 129, []), ("ok", ["has space"]), ("ok", ['a"b\\'])):
        with pytest.raises(InvalidRequest):
            auth.create_client(name, scopes)


def test_revoking_an_access_token_revokes_that_token_only(auth: AuthService) -> None:
    add_user(auth)
    pair = login(auth)
    sibling = auth.refresh(login(auth).refresh_token or "")
    auth.revoke(pair.access_token, "access_token")
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)
    auth.refresh(pair.refresh_token or "")  # the session lives on
    auth.authenticate(sibling.access_token)
    assert auth.list_events(type="token_revoked").items


def test_revoking_a_client_token(auth: AuthService) -> None:
    client, secret = auth.create_client("svc")
    assert secret is not None
    token = auth.client_credentials(client.client_id, secret).access_token
    auth.revoke(token)  # without the client (RFC 7009 2.1): left alone
    assert auth.introspect(token)["active"] is True
    auth.revoke(token, client=ClientAuth(client.client_id, secret, "client_secret_basic"))
    with pytest.raises(RevokedToken):
        auth.authenticate(token)


def test_revoking_a_refresh_token_revokes_its_session(auth: AuthService) -> None:
    add_user(auth)
    pair = login(auth)
    auth.revoke(pair.refresh_token or "", "refresh_token")
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "A" * 43, "x" * 100_000, None, 7])
def test_revoking_unknown_tokens_is_silently_fine(auth: AuthService, token: Any) -> None:
    auth.revoke(token)
    auth.revoke(token, "refresh_token")


def test_revoking_an_expired_token_is_fine(auth: AuthService, clock: FakeClock) -> None:
    add_user(auth)
    pair = login(auth)
    clock.advance(10_000)
    auth.revoke(pair.access_token)


def test_introspection(auth: AuthService, clock: FakeClock) -> None:
    uid = add_user(auth)
    pair = login(auth)
    access = auth.introspect(pair.access_token)
    assert access["active"] is True and access["token_type"] == "access_token"
    assert access["sub"] == uid and access["username"] == "alice"
    refresh = auth.introspect(pair.refresh_token or "")
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
    assert refresh["sub"] == uid and refresh["sid"] == access["sid"]
    assert pair.refresh_token not in repr(refresh)
    newer = auth.refresh(pair.refresh_token or "")
    assert auth.introspect(pair.refresh_token or "") == {"active": False}  # rotated
    assert auth.introspect(newer.refresh_token or "")["active"] is True
    with count_statements(auth) as statements:
        assert auth.introspect(newer.access_token)["active"] is True
    assert statements == []  # access tokens are introspected from memory
    clock.advance(10_000)
    assert auth.introspect(newer.access_token) == {"active": False}
    for garbage in ("", "nope", "A" * 43, "x" * 100_000, None):
        assert auth.introspect(garbage) == {"active": False}  # type: ignore[arg-type]


def test_discovery_lists_only_scopes_marked_public_that_someone_can_get(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    auth = make_auth(
        make_settings(
            user_scopes=["profile:read", "internal:ops"],
            public_scopes=["profile:read", "invoices:read", "nobody:has-it"],
        )
    )
    # The OpenID Connect scopes always (STANDARD_SCOPES), and public ones someone can get.
    assert auth.scopes_supported == sorted(STANDARD_SCOPES | {"profile:read"})
    auth.create_client("billing", scopes=("invoices:read", "invoices:write"))
    # A client's scope shows once an admin marked it public; its other scopes never do.
    assert auth.scopes_supported == sorted(STANDARD_SCOPES | {"invoices:read", "profile:read"})
