"""OAuth 2.0 endpoints: /auth/token (RFC 6749), /auth/revoke (RFC 7009), /auth/introspect
(RFC 7662) and the revocation feed, with client authentication by HTTP Basic and by form."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.oauth import ClientMetadata

from .serverkit import PASSWORD, Server, bearer, error_of, login, make_client

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client_creds(auth: AuthService) -> tuple[str, str]:
    client, secret = auth.create_client("reports", ["reports:read"])
    assert secret is not None
    return client.client_id, secret


@pytest.fixture
async def client(make_server: Callable[..., Server]) -> AsyncIterator[httpx.AsyncClient]:
    """These tests use the clientless password grant, switched on (it is off by default:
    tests/server/test_client_binding.py covers that)."""
    async with make_client(make_server(allow_password_grant=True).app) as c:
        yield c


@pytest.fixture
def auth(client: httpx.AsyncClient) -> AuthService:
    app = client._transport.app  # type: ignore[attr-defined]
    service: AuthService = app.state.auth
    return service


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"authorization": f"Basic {raw}"}


async def token(client: httpx.AsyncClient, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    return await client.post("/auth/token", data=data, **kwargs)


async def test_password_grant(client: httpx.AsyncClient) -> None:
    response = await token(
        client, {"grant_type": "password", "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    me = await client.get("/auth/me", headers=bearer(body["access_token"]))
    assert me.json()["username"] == "alice"


async def test_swagger_ui_login_form(client: httpx.AsyncClient) -> None:
    """What Swagger UI's Authorize button posts: an empty scope and no client credentials,
    or Basic with an empty client id."""
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": ""}
    assert (await token(client, form)).status_code == 200
    assert (await token(client, form, headers=basic("", ""))).status_code == 200


async def test_password_grant_failures_follow_rfc6749_5_2(client: httpx.AsyncClient) -> None:
    wrong = await token(client, {"grant_type": "password", "username": "alice", "password": "no"})
    assert wrong.status_code == 400 and error_of(wrong) == "invalid_grant"
    missing = await token(client, {"grant_type": "password", "username": "alice"})
    assert missing.status_code == 400 and error_of(missing) == "invalid_request"
    assert "password" in missing.json()["error_description"]
    no_grant = await token(client, {"username": "alice", "password": PASSWORD})
    assert no_grant.status_code == 400 and error_of(no_grant) == "invalid_request"
    unknown = await token(client, {"grant_type": "implicit", "code": "x"})
    assert unknown.status_code == 400 and error_of(unknown) == "unsupported_grant_type"
    scope = await token(
        client,
        {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "admin"},
    )
    assert scope.status_code == 400 and error_of(scope) == "invalid_scope"


async def test_token_endpoint_takes_only_forms(client: httpx.AsyncClient) -> None:
    as_json = await client.post(
        "/auth/token", json={"grant_type": "password", "username": "a", "password": "b"}
    )
    assert as_json.status_code == 415
    multipart = await client.post("/auth/token", files={"grant_type": (None, "password")})
    assert multipart.status_code == 415
    nothing = await client.post("/auth/token")
    assert nothing.status_code == 415


async def test_refresh_token_grant_rotates(client: httpx.AsyncClient) -> None:
    first = await login(client)
    response = await token(
        client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    second = response.json()["refresh_token"]
    assert second != first["refresh_token"]
    grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    repeat = await token(client, grant)  # within the reuse interval: the same successor
    assert repeat.status_code == 200 and repeat.json()["refresh_token"] == second
    await token(client, {"grant_type": "refresh_token", "refresh_token": second})
    reuse = await token(client, grant)  # two rotations back: reuse
    assert reuse.status_code == 400 and error_of(reuse) == "invalid_grant"
    missing = await token(client, {"grant_type": "refresh_token"})
    assert missing.status_code == 400 and error_of(missing) == "invalid_request"


async def test_client_credentials_by_basic_and_by_form(
    client: httpx.AsyncClient, client_creds: tuple[str, str]
) -> None:
    client_id, secret = client_creds
    by_basic = await token(
        client, {"grant_type": "client_credentials"}, headers=basic(*client_creds)
    )
    by_form = await token(
        client,
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    for response in (by_basic, by_form):
        assert response.status_code == 200
        body = response.json()
        assert "refresh_token" not in body
        assert body["scope"] == "reports:read"
        introspected = await client.post(
            "/auth/introspect", data={"token": body["access_token"]}, headers=basic(*client_creds)
        )
        assert introspected.json()["client_id"] == client_id


async def test_client_authentication_failures(
    client: httpx.AsyncClient, client_creds: tuple[str, str]
) -> None:
    client_id, secret = client_creds
    grant = {"grant_type": "client_credentials"}
    cases = [
        ({}, {}),
        ({}, basic(client_id, "wrong")),
        ({}, basic("unknown", secret)),
        ({}, {"authorization": "Basic !!!notbase64"}),
        ({}, {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()}),
        ({"client_secret": secret}, {}),
        ({"client_id": client_id, "client_secret": "wrong"}, {}),
    ]
    for extra, headers in cases:
        response = await token(client, {**grant, **extra}, headers=headers)
        assert response.status_code == 401, (extra, headers)
        assert error_of(response) == "invalid_client"
        assert response.headers["www-authenticate"] == 'Basic realm="jwtgate"'
    both = await token(
        client,
        {**grant, "client_id": client_id, "client_secret": secret},
        headers=basic(*client_creds),
    )
    assert both.status_code == 400 and error_of(both) == "invalid_request"
    scope = await token(client, {**grant, "scope": "admin"}, headers=basic(*client_creds))
    assert scope.status_code == 400 and error_of(scope) == "invalid_scope"


async def test_a_confidential_client_using_the_password_grant_must_authenticate(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    made, secret = auth.create_client(
        "legacy app", meta=ClientMetadata(grant_types=["password", "refresh_token"])
    )
    assert secret is not None
    client_creds = made.client_id, secret
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    ok = await token(client, form, headers=basic(*client_creds))
    assert ok.status_code == 200
    bad = await token(client, form, headers=basic(client_creds[0], "wrong"))
    assert bad.status_code == 401 and error_of(bad) == "invalid_client"


async def test_revoke_an_access_token(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    response = await client.post("/auth/revoke", data={"token": tokens["access_token"]})
    assert response.status_code == 200
    assert (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).status_code == 401
    # Only that token: the session still refreshes.
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 200


async def test_revoke_a_refresh_token_revokes_its_session(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    response = await client.post(
        "/auth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
    )
    assert response.status_code == 200
    assert (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_revoke_unknown_tokens_is_fine_and_bad_requests_are_not(
    client: httpx.AsyncClient, client_creds: tuple[str, str]
) -> None:
    for value in ("garbage", "a.b.c", "x" * 5000):
        assert (await client.post("/auth/revoke", data={"token": value})).status_code == 200
    missing = await client.post("/auth/revoke", data={"token_type_hint": "access_token"})
    assert missing.status_code == 400 and error_of(missing) == "invalid_request"
    wrong_client = await client.post(
        "/auth/revoke", data={"token": "x"}, headers=basic(client_creds[0], "wrong")
    )
    assert wrong_client.status_code == 401
    as_json = await client.post("/auth/revoke", json={"token": "x"})
    assert as_json.status_code == 415


async def test_introspection_by_client(
    client: httpx.AsyncClient, client_creds: tuple[str, str]
) -> None:
    tokens = await login(client)
    client_id, secret = client_creds
    active = await client.post(
        "/auth/introspect", data={"token": tokens["access_token"]}, headers=basic(*client_creds)
    )
    assert active.status_code == 200
    assert active.headers["cache-control"] == "no-store"
    body = active.json()
    assert body["active"] is True and body["username"] == "alice"
    assert body["token_type"] == "access_token"
    by_form = await client.post(
        "/auth/introspect",
        data={"token": tokens["refresh_token"], "client_id": client_id, "client_secret": secret},
    )
    assert by_form.json()["active"] is True
    assert by_form.json()["token_type"] == "refresh_token"
    inactive = await client.post(
        "/auth/introspect", data={"token": "garbage"}, headers=basic(*client_creds)
    )
    assert inactive.json() == {"active": False}


async def test_introspection_by_bearer_needs_role_admin(client: httpx.AsyncClient) -> None:
    alice, root = await login(client), await login(client, "root")
    data = {"token": alice["access_token"]}
    admin = await client.post("/auth/introspect", data=data, headers=bearer(root["access_token"]))
    assert admin.status_code == 200 and admin.json()["active"] is True
    user = await client.post("/auth/introspect", data=data, headers=bearer(alice["access_token"]))
    assert user.status_code == 403 and error_of(user) == "insufficient_scope"
    assert 'error="insufficient_scope"' in user.headers["www-authenticate"]
    bad = await client.post("/auth/introspect", data=data, headers=bearer("junk"))
    assert bad.status_code == 401 and error_of(bad) == "invalid_token"
    anonymous = await client.post("/auth/introspect", data=data)
    assert anonymous.status_code == 401 and error_of(anonymous) == "invalid_client"


async def test_revocation_feed(client: httpx.AsyncClient, client_creds: tuple[str, str]) -> None:
    start = await client.get("/auth/revocations", headers=basic(*client_creds))
    assert start.status_code == 200
    feed = start.json()
    assert set(feed) == {"cursor", "sessions", "tokens", "users", "more"}
    tokens = await login(client)
    await client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    me = await client.get("/auth/me", headers=bearer(tokens["access_token"]))
    introspected = (
        await client.post(
            "/auth/introspect", data={"token": tokens["access_token"]}, headers=basic(*client_creds)
        )
    ).json()
    assert me.status_code == 401 and introspected == {"active": False}
    later = await client.get(
        "/auth/revocations", params={"since": feed["cursor"]}, headers=basic(*client_creds)
    )
    assert len(later.json()["sessions"]) == 1
    by_form = await client.request(
        "GET",
        "/auth/revocations",
        content=f"client_id={client_creds[0]}&client_secret={client_creds[1]}",
        headers=FORM,
    )
    assert by_form.status_code == 200 and len(by_form.json()["sessions"]) == 1


async def test_revocation_feed_failures(
    client: httpx.AsyncClient, client_creds: tuple[str, str]
) -> None:
    anonymous = await client.get("/auth/revocations")
    assert anonymous.status_code == 401 and error_of(anonymous) == "invalid_client"
    wrong = await client.get("/auth/revocations", headers=basic(client_creds[0], "nope"))
    assert wrong.status_code == 401
    tokens = await login(client, "root")
    by_bearer = await client.get("/auth/revocations", headers=bearer(tokens["access_token"]))
    assert by_bearer.status_code == 401
    cursor = await client.get(
        "/auth/revocations", params={"since": "not-a-cursor"}, headers=basic(*client_creds)
    )
    assert cursor.status_code == 400 and error_of(cursor) == "invalid_request"
    long = await client.get(
        "/auth/revocations", params={"since": "9" * 100}, headers=basic(*client_creds)
    )
    assert long.status_code == 400
