"""Discovery advertises only what works (issue 11 item 15): walk the served metadata and
exercise every member: each endpoint answers, each grant type is accepted at the token
endpoint, each client authentication method authenticates, each listed scope can be granted.

A member, grant type or method this walk has no check for fails the test: whoever adds one to
discovery adds the check here, so the document stays honest as the server grows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from jwtgate import KeySet, decode

from .oauthkit import (
    authorize_params,
    browser,
    code_for,
    exchange,
    pkce,
    query_of,
    register,
)
from .serverkit import ADMIN, ISSUER, PASSWORD, Server, bearer, login, make_client

PUBLIC = "reports:read"
GRANTABLE_BUT_PRIVATE = "reports:write"
CLIENT_ONLY = "invoices:read"


@dataclass
class Walk:
    """The served metadata, a client on the app, and what the checks learn on the way."""

    meta: dict[str, Any]
    http: httpx.AsyncClient
    client: tuple[str, str]
    admin: str
    server: Server | None = None
    keys: KeySet | None = None
    issued: list[dict[str, Any]] = field(default_factory=list)
    code_client: str = ""  # a public client of the code flow, registered by its check

    def path(self, member: str) -> str:
        url = self.meta[member]
        assert isinstance(url, str) and url.startswith(ISSUER + "/"), (member, url)
        return url[len(ISSUER) :]

    async def token(self, data: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = await self.http.post(self.path("token_endpoint"), data=data, **kwargs)
        assert response.status_code == 200, (data.get("grant_type"), response.text)
        body: dict[str, Any] = response.json()
        self.issued.append(body)
        return body

    async def password_grant(self, scope: str = "", **kwargs: Any) -> dict[str, Any]:
        data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        return await self.token({**data, "scope": scope} if scope else data, **kwargs)


# -- grant types (grant_types_supported) -------------------------------------------------


async def grant_password(walk: Walk) -> None:
    pair = await walk.password_grant()
    assert pair["access_token"] and pair["refresh_token"]


async def grant_refresh_token(walk: Walk) -> None:
    first = await walk.password_grant()
    again = await walk.token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert again["refresh_token"] != first["refresh_token"]


async def grant_client_credentials(walk: Walk) -> None:
    pair = await walk.token({"grant_type": "client_credentials"}, auth=walk.client)
    assert pair["access_token"] and "refresh_token" not in pair


async def grant_authorization_code(walk: Walk) -> None:
    """The whole code flow: sign in on the pages, authorize with PKCE, exchange the code."""
    assert walk.server is not None
    walk.code_client, _ = register(walk.server.auth, first_party=True, scopes=("openid", "email"))
    verifier, challenge = pkce()
    async with browser(walk.server.app) as b:
        page = await b.get("/web/login")
        form = {"username": "alice", "password": PASSWORD}
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = await b.post(
            "/web/login", data={**form, "csrf_token": csrf}, headers={"origin": str(b.base_url)}
        )
        assert signed.status_code == 303, signed.text[:300]
        code, query = await code_for(b, walk.code_client, challenge, scope="openid email")
    assert query["iss"] == walk.meta["issuer"]  # RFC 9207 on the success response
    response = await exchange(walk.http, walk.code_client, code, verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["access_token"] and body["id_token"] and body["refresh_token"]
    walk.issued.append(body)


GRANTS: dict[str, Callable[[Walk], Awaitable[None]]] = {
    "authorization_code": grant_authorization_code,
    "password": grant_password,
    "refresh_token": grant_refresh_token,
    "client_credentials": grant_client_credentials,
}


# -- client authentication, per endpoint ------------------------------------------------


def credentials(walk: Walk, method: str) -> dict[str, Any]:
    """The request arguments that authenticate the test client by ``method``."""
    client_id, secret = walk.client
    if method == "client_secret_basic":
        return {"auth": walk.client}
    if method == "client_secret_post":
        return {"data": {"client_id": client_id, "client_secret": secret}}
    if method == "bearer":
        return {"headers": bearer(walk.admin)}
    if method == "none":
        return {}
    pytest.fail(f"discovery advertises the auth method {method!r}, which this walk cannot try")


def merged(walk: Walk, method: str, data: dict[str, str]) -> dict[str, Any]:
    kwargs = credentials(walk, method)
    return {**kwargs, "data": {**data, **kwargs.get("data", {})}}


async def token_auth(walk: Walk, method: str) -> None:
    if method == "none":  # a public client: no authentication at all
        await walk.password_grant()
        return
    kwargs = merged(walk, method, {"grant_type": "client_credentials"})
    pair = await walk.token(kwargs.pop("data"), **kwargs)
    claims = decode_access(walk, pair["access_token"])
    assert claims["client_id"] == walk.client[0]


async def revocation_auth(walk: Walk, method: str) -> None:
    """A client revokes its own tokens (RFC 7009 2.1): the confidential client its client
    credentials token, a request without a client a first-party session's refresh token."""
    if method == "none":
        pair = await walk.password_grant()
        token = pair["refresh_token"]
    else:
        pair = await walk.token({"grant_type": "client_credentials"}, auth=walk.client)
        token = pair["access_token"]
    kwargs = merged(walk, method, {"token": token})
    response = await walk.http.post(walk.path("revocation_endpoint"), **kwargs)
    assert response.status_code == 200, (method, response.text)
    if method == "none":
        dead = await walk.http.post(
            walk.path("token_endpoint"),
            data={"grant_type": "refresh_token", "refresh_token": token},
        )
        assert dead.status_code == 400, method  # revoked: the session is over
    else:
        seen = await walk.http.post(
            walk.path("introspection_endpoint"), data={"token": token}, auth=walk.client
        )
        assert seen.json()["active"] is False, method  # revoked: its jti is refused


async def introspection_auth(walk: Walk, method: str) -> None:
    pair = await walk.password_grant()
    kwargs = merged(walk, method, {"token": pair["access_token"]})
    response = await walk.http.post(walk.path("introspection_endpoint"), **kwargs)
    assert response.status_code == 200, (method, response.text)
    assert response.json()["active"] is True


def methods(
    check: Callable[[Walk, str], Awaitable[None]],
) -> Callable[[Walk, Any], Awaitable[None]]:
    async def each(walk: Walk, value: Any) -> None:
        assert isinstance(value, list) and value
        for method in value:
            await check(walk, method)

    return each


# -- the members ------------------------------------------------------------------------


def decode_access(walk: Walk, token: str) -> dict[str, Any]:
    """The claims of an access token, verified with the keys served at ``jwks_uri``."""
    assert walk.keys is not None, "jwks_uri is checked first"
    return decode(token, walk.keys, issuer=walk.meta["issuer"], audience="api", typ="at+jwt")


async def check_issuer(walk: Walk, value: Any) -> None:
    assert value == ISSUER
    pair = await walk.password_grant()
    assert decode_access(walk, pair["access_token"])["iss"] == value


async def check_jwks(walk: Walk, value: Any) -> None:
    response = await walk.http.get(walk.path("jwks_uri"))
    assert response.status_code == 200
    walk.keys = KeySet.from_jwks(response.json())


async def check_endpoint(walk: Walk, value: Any) -> None:
    """Endpoints are exercised by the grant and method checks; here: they exist."""
    assert isinstance(value, str) and value.startswith(ISSUER + "/")


async def check_grants(walk: Walk, value: Any) -> None:
    assert isinstance(value, list) and value
    for grant in value:
        recipe = GRANTS.get(grant)
        if recipe is None:
            pytest.fail(f"discovery advertises the grant {grant!r}: add its recipe to GRANTS")
        await recipe(walk)


async def check_scopes(walk: Walk, value: Any) -> None:
    # The OpenID Connect scopes, and only the scope marked public and grantable: never a
    # client's own or a private one.
    assert value == sorted({PUBLIC, "openid", "profile", "email", "offline_access"})
    for scope in [PUBLIC]:  # the standard ones are granted through the code flow
        pair = await walk.password_grant(scope)
        assert scope in decode_access(walk, pair["access_token"])["scope"].split()


async def check_subject_types(walk: Walk, value: Any) -> None:
    assert value == ["public"]  # one sub per user, whatever the client or the route
    by_token = decode_access(walk, (await walk.password_grant())["access_token"])
    by_login = decode_access(walk, (await login(walk.http))["access_token"])
    assert by_token["sub"] == by_login["sub"]


async def check_revocation_feed(walk: Walk, value: Any) -> None:
    """jwtgate's own member: the feed a Guard follows, for a confidential client only."""
    client_id, secret = walk.client
    feed = await walk.http.get(walk.path("revocation_feed_endpoint"), auth=(client_id, secret))
    assert feed.status_code == 200 and {"cursor", "sessions", "tokens"} <= set(feed.json())
    assert (await walk.http.get(walk.path("revocation_feed_endpoint"))).status_code == 401


# -- the authorization code flow and OpenID Connect ---------------------------------------


def code_flow_token(walk: Walk) -> dict[str, Any]:
    found = [t for t in walk.issued if "id_token" in t]
    assert found, "the authorization_code grant check runs first"
    return found[-1]


async def authorize_error(walk: Walk, **extra: str) -> dict[str, str]:
    """An authorization request of the code client that ends in an error redirect."""
    _, challenge = pkce()
    params = authorize_params(walk.code_client, challenge, **{"scope": "openid", **extra})
    response = await walk.http.get(walk.path("authorization_endpoint"), params=params)
    assert response.status_code in (302, 303), response.text[:300]
    return query_of(response.headers["location"])


async def check_response_types(walk: Walk, value: Any) -> None:
    assert value == ["code"]  # the code flow ran in grant_authorization_code
    assert (await authorize_error(walk, response_type="token"))["error"] == (
        "unsupported_response_type"
    )


async def check_response_modes(walk: Walk, value: Any) -> None:
    assert value == ["query"]  # the code and every error came in the query


async def check_pkce_methods(walk: Walk, value: Any) -> None:
    assert value == ["S256"]
    refused = await authorize_error(walk, code_challenge_method="plain")
    assert refused["error"] == "invalid_request"


async def check_iss_parameter(walk: Walk, value: Any) -> None:
    assert value is True
    assert (await authorize_error(walk, response_type="token"))["iss"] == walk.meta["issuer"]


async def check_prompts(walk: Walk, value: Any) -> None:
    assert set(value) == {"none", "login", "consent"}
    assert (await authorize_error(walk, prompt="none"))["error"] == "login_required"


async def check_userinfo(walk: Walk, value: Any) -> None:
    await check_endpoint(walk, value)
    access = code_flow_token(walk)["access_token"]
    info = await walk.http.get(walk.path("userinfo_endpoint"), headers=bearer(access))
    assert info.status_code == 200 and info.json()["sub"]
    bare = await walk.http.get(walk.path("userinfo_endpoint"))
    assert bare.status_code == 401


async def check_end_session(walk: Walk, value: Any) -> None:
    await check_endpoint(walk, value)
    page = await walk.http.get(walk.path("end_session_endpoint"))
    assert page.status_code == 200 and 'name="decision"' in page.text  # asks first


async def check_id_token_algs(walk: Walk, value: Any) -> None:
    assert "RS256" in value  # OpenID Connect Core 15.1
    jwks = (await walk.http.get(walk.path("jwks_uri"))).json()
    published = {k.get("alg") for k in jwks["keys"]}
    assert set(value) <= published
    header = code_flow_token(walk)["id_token"].split(".")[0]
    import base64
    import json

    alg = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"]
    assert alg in value


async def check_claims_supported(walk: Walk, value: Any) -> None:
    assert {"sub", "iss", "aud", "email", "email_verified"} <= set(value)


async def check_acr_values(walk: Walk, value: Any) -> None:
    assert isinstance(value, list) and "pwd" in value


async def check_false(walk: Walk, value: Any) -> None:
    """Request objects and the claims parameter are not implemented: said so explicitly."""
    assert value is False


async def check_backchannel(walk: Walk, value: Any) -> None:
    # Delivered and validated by an independent library in tests/auth/test_backchannel.py.
    assert value is True


async def check_dpop_algs(walk: Walk, value: Any) -> None:
    # Proofs of each kind are exercised in tests/server/test_dpop.py and tests/jose/test_dpop.py.
    assert value and all(alg[:2] in ("ES", "PS", "RS", "Ed") for alg in value)


# Checked in this order (the JWKS first: the other checks verify tokens with it).
MEMBERS: dict[str, Callable[[Walk, Any], Awaitable[None]]] = {
    "jwks_uri": check_jwks,
    "issuer": check_issuer,
    "token_endpoint": check_endpoint,
    "revocation_endpoint": check_endpoint,
    "introspection_endpoint": check_endpoint,
    "revocation_feed_endpoint": check_revocation_feed,
    "grant_types_supported": check_grants,
    "token_endpoint_auth_methods_supported": methods(token_auth),
    "revocation_endpoint_auth_methods_supported": methods(revocation_auth),
    "introspection_endpoint_auth_methods_supported": methods(introspection_auth),
    "scopes_supported": check_scopes,
    "subject_types_supported": check_subject_types,
    "authorization_endpoint": check_endpoint,
    "response_types_supported": check_response_types,
    "response_modes_supported": check_response_modes,
    "code_challenge_methods_supported": check_pkce_methods,
    "authorization_response_iss_parameter_supported": check_iss_parameter,
    "prompt_values_supported": check_prompts,
    "userinfo_endpoint": check_userinfo,
    "end_session_endpoint": check_end_session,
    "id_token_signing_alg_values_supported": check_id_token_algs,
    "claims_supported": check_claims_supported,
    "acr_values_supported": check_acr_values,
    "claims_parameter_supported": check_false,
    "request_parameter_supported": check_false,
    "request_uri_parameter_supported": check_false,
    "backchannel_logout_supported": check_backchannel,
    "backchannel_logout_session_supported": check_backchannel,
    "dpop_signing_alg_values_supported": check_dpop_algs,
}


async def test_every_advertised_member_works(make_server: Callable[..., Server]) -> None:
    server = make_server(
        allow_password_grant=True,  # advertised, so walked (test_discovery_ops: off by default)
        user_scopes=[PUBLIC, GRANTABLE_BUT_PRIVATE],
        public_scopes=[PUBLIC, "nobody:can-get-this"],
    )
    client, secret = server.auth.create_client("reports", scopes=(CLIENT_ONLY,))
    async with make_client(server.app) as http:
        response = await http.get("/.well-known/openid-configuration")
        assert response.status_code == 200
        meta = response.json()
        unchecked = sorted(set(meta) - set(MEMBERS))
        assert not unchecked, f"discovery advertises {unchecked} with no check in MEMBERS"
        admin = (await login(http, ADMIN))["access_token"]
        walk = Walk(meta, http, (client.client_id, secret), admin, server=server)
        for member, check in MEMBERS.items():
            if member in meta:
                await check(walk, meta[member])
    assert walk.issued  # the walk did exercise the token endpoint
