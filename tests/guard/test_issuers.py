"""Tokens shaped like those of Keycloak, Auth0, Entra ID and Cognito (their documented claims
and headers), verified by a Guard configured for each: roles and scopes where each issuer puts
them, its ``typ``, the claims it leaves out."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jwtgate import (
    Guard,
    InvalidAudience,
    InvalidClaim,
    InvalidTokenType,
    Key,
    KeySet,
    MissingClaim,
    encode,
)

KEY = Key.generate("RS256")
KEYS = KeySet([KEY.public()])


def token(claims: dict[str, Any], typ: str | None = "JWT") -> str:
    now = int(time.time())
    headers = {} if typ is None else {"typ": typ}
    return encode({"iat": now, "exp": now + 300, **claims}, KEY, headers=headers)


KEYCLOAK = "https://kc.example/realms/shop"
AUTH0 = "https://shop.eu.auth0.com/"
ENTRA = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def keycloak(**over: Any) -> dict[str, Any]:
    return {
        "jti": "onrtac:8f1c",
        "iss": KEYCLOAK,
        "aud": ["orders-api", "account"],
        "sub": "f3a9c2e4-1111-4c2b-9a7e-2f7e0b6d3c11",
        "typ": "Bearer",
        "azp": "shop-web",
        "sid": "2c9f1d7a-5b1e-4a0c-8f2d-9e1b3c4d5e6f",
        "realm_access": {"roles": ["default-roles-shop", "admin"]},
        "resource_access": {"account": {"roles": ["manage-account"]}},
        "scope": "openid profile orders:read",
        "preferred_username": "ada",
        **over,
    }


def auth0(**over: Any) -> dict[str, Any]:
    return {  # no jti, aud an array with the userinfo endpoint, namespaced custom claims
        "iss": AUTH0,
        "sub": "auth0|64b7f0c2a1",
        "aud": ["https://orders.example", "https://shop.eu.auth0.com/userinfo"],
        "azp": "k3y9Q",
        "scope": "openid profile",
        "permissions": ["orders:read", "orders:write"],
        "https://shop.example/roles": ["admin"],
        **over,
    }


def entra(**over: Any) -> dict[str, Any]:
    return {  # v2.0 access token: no jti (uti instead), scp a string, roles an array
        "aud": "api://orders",
        "iss": ENTRA,
        "nbf": int(time.time()),
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
        "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "2.0",
        "scp": "orders.read orders.write",
        "roles": ["Orders.Admin"],
        **over,
    }


def cognito(**over: Any) -> dict[str, Any]:
    return {  # no aud: the app client is client_id; groups are cognito:groups
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin", "staff"],
        "iss": COGNITO,
        "version": 2,
        "client_id": "6h3ap5kq2v0e8e9r5n6q0i1bbb",
        "token_use": "access",
        "scope": "orders/read orders/write",
        "auth_time": int(time.time()),
        "jti": "f3b2a1c0-0000-4000-8000-000000000000",
        "username": "ada",
        **over,
    }


def test_keycloak_realm_roles() -> None:
    guard = Guard(
        issuer=KEYCLOAK,
        audience="orders-api",
        keys=KEYS,
        typ=None,
        roles_claim="realm_access.roles",
    )
    principal = guard.verify(token(keycloak()))
    assert principal.roles == ("default-roles-shop", "admin")
    assert principal.has_scope("orders:read") and principal.username == "ada"
    client_roles = Guard(
        issuer=KEYCLOAK,
        audience="orders-api",
        keys=KEYS,
        typ=None,
        roles_claim="resource_access.account.roles",
    )
    assert client_roles.verify(token(keycloak())).roles == ("manage-account",)


def test_keycloak_typ_jwt_is_refused_without_typ_none() -> None:
    guard = Guard(issuer=KEYCLOAK, audience="orders-api", keys=KEYS)
    with pytest.raises(InvalidTokenType):
        guard.verify(token(keycloak()))


def test_auth0_permissions_and_namespaced_roles_without_jti() -> None:
    guard = Guard(
        issuer=AUTH0,
        audience="https://orders.example",
        keys=KEYS,
        typ=None,
        roles_claim="https://shop.example/roles",
        scopes_claim="permissions",
        required_claims=("exp", "iat", "sub"),
    )
    principal = guard.verify(token(auth0()))
    assert principal.roles == ("admin",)
    assert principal.scopes == {"orders:read", "orders:write"}
    strict = Guard(issuer=AUTH0, audience="https://orders.example", keys=KEYS, typ=None)
    with pytest.raises(MissingClaim, match="jti"):
        strict.verify(token(auth0()))


def test_entra_scp_and_roles() -> None:
    guard = Guard(
        issuer=ENTRA,
        audience="api://orders",
        keys=KEYS,
        typ=None,
        scopes_claim="scp",
        required_claims=("exp", "iat", "sub"),
    )
    principal = guard.verify(token(entra()))
    assert principal.roles == ("Orders.Admin",)
    assert principal.scopes == {"orders.read", "orders.write"}
    assert principal.jti is None


def test_cognito_groups_and_client_id_audience() -> None:
    guard = Guard(
        issuer=COGNITO,
        audience="6h3ap5kq2v0e8e9r5n6q0i1bbb",
        audience_claim="client_id",
        keys=KEYS,
        typ=None,
        roles_claim="cognito:groups",
    )
    principal = guard.verify(token(cognito(), typ=None))
    assert principal.roles == ("admin", "staff")
    assert principal.scopes == {"orders/read", "orders/write"}
    with pytest.raises(InvalidAudience):
        guard.verify(token(cognito(client_id="another-app"), typ=None))
    with pytest.raises(MissingClaim, match="client_id"):
        guard.verify(token(cognito(client_id=None), typ=None))
    with pytest.raises(InvalidAudience):  # with client_id as the audience, aud is refused
        guard.verify(token(cognito(aud="6h3ap5kq2v0e8e9r5n6q0i1bbb"), typ=None))


@pytest.mark.parametrize(
    ("claims", "options"),
    [
        (keycloak(realm_access={"roles": "admin"}), {"roles_claim": "realm_access.roles"}),
        (keycloak(realm_access=["admin"]), {"roles_claim": "realm_access.roles"}),
        (keycloak(realm_access={"roles": [1]}), {"roles_claim": "realm_access.roles"}),
        (auth0(permissions=[{"x": 1}]), {"scopes_claim": "permissions"}),
        (keycloak(scope=["openid"]), {}),  # scope itself is a string by definition
    ],
    ids=[
        "roles a string",
        "path through an array",
        "role not a string",
        "permission an object",
        "scope an array",
    ],
)
def test_claims_of_the_wrong_shape_are_refused(
    claims: dict[str, Any], options: dict[str, Any]
) -> None:
    guard = Guard(
        issuer=claims["iss"],
        audience=["orders-api", "https://orders.example"],
        keys=KEYS,
        typ=None,
        required_claims=("exp", "sub"),
        **options,
    )
    with pytest.raises(InvalidClaim):
        guard.verify(token(claims))


def test_a_missing_mapped_claim_means_no_roles() -> None:
    guard = Guard(
        issuer=KEYCLOAK,
        audience="orders-api",
        keys=KEYS,
        typ=None,
        roles_claim="realm_access.roles",
    )
    claims = keycloak()
    del claims["realm_access"]
    assert guard.verify(token(claims)).roles == ()
