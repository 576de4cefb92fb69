"""Refresh tokens bound to their client (issue 11 item 2, RFC 6749 6, RFC 9700 4.14), client
authentication that never falls back to a public client on an empty secret (item 14), and
the password grant's restriction (RFC 9700 2.4), through the HTTP API on both backends."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.oauth import ClientMetadata

from .serverkit import PASSWORD, Server, bearer, error_of, login, make_client

PASSWORD_GRANTS = ClientMetadata(grant_types=["password", "refresh_token"])


def _confidential(auth: AuthService, name: str) -> tuple[str, str]:
    client, secret = auth.create_client(name, meta=PASSWORD_GRANTS)
    assert secret is not None
    return client.client_id, secret


def _public(auth: AuthService) -> str:
    client, _ = auth.create_client("app", public=True, meta=PASSWORD_GRANTS)
    return client.client_id


async def _password(
    client: httpx.AsyncClient, auth: tuple[str, str] | None = None, **form: str
) -> httpx.Response:
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD, **form}
    return await client.post("/auth/token", data=data, auth=auth)


async def _refresh(
    client: httpx.AsyncClient, token: str, auth: tuple[str, str] | None = None, **form: str
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token, **form}
    return await client.post("/auth/token", data=data, auth=auth)


async def test_item2_a_refresh_token_of_client_a_is_refused_everywhere_else(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    a, b = _confidential(auth, "a"), _confidential(auth, "b")
    pair = (await _password(client, a)).json()
    token = pair["refresh_token"]
    by_b = await _refresh(client, token, b)
    assert by_b.status_code == 400 and error_of(by_b) == "invalid_grant"
    by_nobody = await _refresh(client, token)
    assert by_nobody.status_code == 400 and error_of(by_nobody) == "invalid_grant"
    by_public_form = await _refresh(client, token, client_id=a[0])  # A's id without A's secret
    assert by_public_form.status_code == 401 and error_of(by_public_form) == "invalid_client"
    at_refresh = await client.post("/auth/refresh", json={"refresh_token": token})
    assert at_refresh.status_code == 401 and error_of(at_refresh) == "invalid_grant"
    # None of that rotated the token or revoked the session: A still refreshes with it.
    by_a = await _refresh(client, token, a)
    assert by_a.status_code == 200
    claims = auth.introspect(by_a.json()["access_token"])
    assert claims["client_id"] == a[0] and claims["active"] is True


async def test_item2_a_public_clients_token_refreshes_only_with_its_client_id(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    app = _public(auth)
    pair = (await _password(client, client_id=app)).json()
    assert (await _refresh(client, pair["refresh_token"])).status_code == 400
    other = _public(auth)
    assert (await _refresh(client, pair["refresh_token"], client_id=other)).status_code == 400
    ok = await _refresh(client, pair["refresh_token"], client_id=app)
    assert ok.status_code == 200


async def test_item2_first_party_sessions_stay_refreshable_where_they_were(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    a = _confidential(auth, "a")
    first = await login(client)
    by_client = await _refresh(client, first["refresh_token"], a)
    assert by_client.status_code == 400 and error_of(by_client) == "invalid_grant"
    second = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    third = await _refresh(client, second.json()["refresh_token"])
    assert third.status_code == 200


async def test_item2_revoke_by_another_client_does_nothing(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    a, b = _confidential(auth, "a"), _confidential(auth, "b")
    pair = (await _password(client, a)).json()
    for token in (pair["refresh_token"], pair["access_token"]):
        for who in (b, None):
            response = await client.post("/auth/revoke", data={"token": token}, auth=who)
            assert response.status_code == 200
    assert auth.introspect(pair["access_token"])["active"] is True
    assert auth.introspect(pair["refresh_token"])["active"] is True
    revoked = await client.post("/auth/revoke", data={"token": pair["refresh_token"]}, auth=a)
    assert revoked.status_code == 200
    assert auth.introspect(pair["access_token"]) == {"active": False}
    assert (await _refresh(client, pair["refresh_token"], a)).status_code == 400


async def test_item2_a_public_client_revokes_its_own_tokens_with_its_client_id(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    app = _public(auth)
    pair = (await _password(client, client_id=app)).json()
    await client.post("/auth/revoke", data={"token": pair["refresh_token"]})
    assert auth.introspect(pair["refresh_token"])["active"] is True
    await client.post("/auth/revoke", data={"token": pair["refresh_token"], "client_id": app})
    assert auth.introspect(pair["refresh_token"]) == {"active": False}


def _basic(user: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


@pytest.mark.parametrize("where", ["token", "revoke", "introspect"])
async def test_item14_an_empty_secret_is_invalid_client_not_a_public_client(
    client: httpx.AsyncClient, auth: AuthService, where: str
) -> None:
    a = _confidential(auth, "a")
    pair = (await _password(client, a)).json()
    form = {"token": pair["refresh_token"]}
    if where == "token":
        form = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    empty = await client.post(
        f"/auth/{where}", data={**form, "client_id": a[0], "client_secret": ""}
    )
    assert empty.status_code == 401 and error_of(empty) == "invalid_client"
    no_id = await client.post(f"/auth/{where}", data=form, headers=_basic("", a[1]))
    assert no_id.status_code == 401 and error_of(no_id) == "invalid_client"
    empty_basic = await client.post(f"/auth/{where}", data=form, headers=_basic(a[0], ""))
    assert empty_basic.status_code == 401 and error_of(empty_basic) == "invalid_client"
    assert auth.introspect(pair["refresh_token"])["active"] is True


async def test_the_password_grant_is_refused_without_a_client_by_default(
    client: httpx.AsyncClient,
) -> None:
    response = await _password(client)
    assert response.status_code == 400 and error_of(response) == "unsupported_grant_type"
    assert "JWTGATE_ALLOW_PASSWORD_GRANT" in response.json()["error_description"]
    # The first-party JSON login is not the password grant and stays.
    assert (await login(client))["refresh_token"]


async def test_the_password_grant_needs_a_client_that_lists_it(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    service, secret = auth.create_client("svc")  # client_credentials only
    assert secret is not None
    response = await _password(client, (service.client_id, secret))
    assert response.status_code == 400 and error_of(response) == "unauthorized_client"
    listed = await _password(client, _confidential(auth, "legacy"))
    assert listed.status_code == 200


async def test_allow_password_grant_lets_requests_without_a_client_use_it(
    make_server: Callable[..., Server],
) -> None:
    async with make_client(make_server(allow_password_grant=True).app) as client:
        response = await _password(client)
        assert response.status_code == 200
        me = await client.get("/auth/me", headers=bearer(response.json()["access_token"]))
        assert me.json()["username"] == "alice"
