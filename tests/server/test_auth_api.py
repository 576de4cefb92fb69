"""The JSON login API through httpx: login, me, refresh, logout, logout-all, password,
register, with every failure path."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from jwtgate.auth import AuthService

from .serverkit import NEW_PASSWORD, PASSWORD, Server, bearer, error_of, login, make_client

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def assert_no_store(response: httpx.Response) -> None:
    for name, value in NO_STORE.items():
        assert response.headers[name] == value


async def test_login_answers_a_token_pair_that_is_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert 604_700 < body["refresh_expires_in"] <= 604_800
    assert body["access_token"].count(".") == 2 and len(body["refresh_token"]) >= 43
    assert_no_store(response)


async def test_me_accepts_the_bearer_scheme_in_any_case(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
        response = await client.get("/auth/me", headers=bearer(tokens["access_token"], scheme))
        assert response.status_code == 200, scheme
        me = response.json()
        assert me["username"] == "alice" and me["roles"] == ["user"] and me["sid"]


async def test_no_token_gets_a_bare_challenge(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"authorization": "Basic YTpi"}, {"authorization": "Token abc"}):
        response = await client.get("/auth/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="jwtgate"'


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "x" * 20000, "é.é.é"],
)
async def test_a_bad_token_gets_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    header = f"Bearer {token}".encode()  # raw UTF-8 bytes for the non-ASCII case
    response = await client.get("/auth/me", headers={"authorization": header})
    assert response.status_code == 401
    assert error_of(response) == "invalid_token"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(
        'Bearer realm="jwtgate", error="invalid_token", error_description="'
    )


async def test_an_expired_token_is_rejected(make_server: Callable[..., Server]) -> None:
    now = [1_800_000_000.0]
    server = make_server(clock=lambda: now[0], leeway=0)
    async with make_client(server.app) as c:
        tokens = await login(c)
        now[0] += 901
        response = await c.get("/auth/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


async def test_unknown_user_wrong_password_and_disabled_get_one_answer(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    auth.create_user("carol", PASSWORD)
    auth.update_user(auth.find_user("carol").id, disabled=True)
    answers = []
    for username, password in (
        ("nobody", PASSWORD),
        ("alice", "wrong password!"),
        ("carol", PASSWORD),
    ):
        response = await client.post(
            "/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["error"] == "invalid_grant"


async def test_throttled_logins_get_429_with_retry_after(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(throttle_user_failures=2)
    async with make_client(server.app) as c:
        for _ in range(2):
            response = await c.post("/auth/login", json={"username": "alice", "password": "nope!"})
            assert response.status_code == 401
        response = await c.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert error_of(response) == "too_many_requests"
    assert int(response.headers["retry-after"]) >= 1


async def test_refresh_rotates_and_reuse_revokes_the_session(client: httpx.AsyncClient) -> None:
    first = await login(client)
    response = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    assert_no_store(response)
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get("/auth/me", headers=bearer(second["access_token"]))
    assert (
        me.json()["sid"]
        == (await client.get("/auth/me", headers=bearer(first["access_token"]))).json()["sid"]
    )

    # Within the reuse interval the token just rotated gets the successor already minted.
    repeat = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert repeat.status_code == 200
    assert repeat.json()["refresh_token"] == second["refresh_token"]
    rotated = await client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    third = rotated.json()
    # An older token is reuse, interval or not.
    reuse = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and error_of(reuse) == "invalid_grant"
    # Reuse detection revoked the whole session: the winner's tokens die too.
    for token in (first["access_token"], second["access_token"], third["access_token"]):
        assert (await client.get("/auth/me", headers=bearer(token))).status_code == 401
    again = await client.post("/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert again.status_code == 401


@pytest.mark.parametrize("refresh_token", ["nope", "x" * 100, "a.b.c", "\u00e9" * 10])
async def test_refresh_with_a_bad_token_is_invalid_grant(
    client: httpx.AsyncClient, refresh_token: str
) -> None:
    response = await client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert response.status_code == 401
    assert error_of(response) == "invalid_grant"


async def test_logout_revokes_the_session_and_its_tokens(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    other = await login(client)
    response = await client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 204 and response.content == b""
    assert (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    # Another session of the same user lives on.
    assert (await client.get("/auth/me", headers=bearer(other["access_token"]))).status_code == 200


async def test_logout_with_a_refresh_token_body(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    response = await client.post(
        "/auth/logout",
        headers=bearer(tokens["access_token"]),
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert response.status_code == 204
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_logout_needs_a_valid_token(client: httpx.AsyncClient) -> None:
    assert (await client.post("/auth/logout")).status_code == 401
    response = await client.post("/auth/logout", headers=bearer("junk"))
    assert response.status_code == 401 and error_of(response) == "invalid_token"
    tokens = await login(client)
    await client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    again = await client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    assert again.status_code == 401


async def test_logout_all_revokes_every_session(client: httpx.AsyncClient) -> None:
    sessions = [await login(client) for _ in range(3)]
    response = await client.post("/auth/logout-all", headers=bearer(sessions[0]["access_token"]))
    assert response.status_code == 204
    for tokens in sessions:
        me = await client.get("/auth/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 401
        refresh = await client.post(
            "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refresh.status_code == 401
    admin = await login(client, "root")
    assert (await client.get("/auth/me", headers=bearer(admin["access_token"]))).status_code == 200


async def test_password_change_keeps_this_session_and_revokes_the_others(
    client: httpx.AsyncClient,
) -> None:
    mine, other = await login(client), await login(client)
    response = await client.post(
        "/auth/password",
        headers=bearer(mine["access_token"]),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204
    assert (await client.get("/auth/me", headers=bearer(mine["access_token"]))).status_code == 200
    assert (await client.get("/auth/me", headers=bearer(other["access_token"]))).status_code == 401
    old = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert old.status_code == 401
    await login(client, "alice", NEW_PASSWORD)


async def test_password_change_failures(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    headers = bearer(tokens["access_token"])
    wrong = await client.post(
        "/auth/password",
        headers=headers,
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and error_of(wrong) == "invalid_grant"
    weak = await client.post(
        "/auth/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "password"},
    )
    assert weak.status_code == 400 and error_of(weak) == "weak_password"
    assert weak.json()["reasons"]
    missing = await client.post("/auth/password", headers=headers, json={"new_password": "x"})
    assert missing.status_code == 400 and "current_password" in missing.json()["error_description"]
    anonymous = await client.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert anonymous.status_code == 401
    # Nothing changed.
    await login(client)


async def test_register_is_404_when_disabled(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register", json={"username": "dave", "password": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert response.json()["error_description"] == "registration is disabled"


async def test_register_when_enabled(make_server: Callable[..., Server]) -> None:
    server = make_server(allow_registration=True)
    async with make_client(server.app) as c:
        response = await c.post(
            "/auth/register",
            json={"username": "dave", "password": NEW_PASSWORD, "email": "dave@example.com"},
        )
        assert response.status_code == 201
        user = response.json()
        assert set(user) == {
            "id",
            "username",
            "email",
            "email_verified",
            "roles",
            "disabled",
            "created_at",
        }
        assert user["username"] == "dave" and user["disabled"] is False
        taken = await c.post("/auth/register", json={"username": "DAVE", "password": NEW_PASSWORD})
        assert taken.status_code == 409 and error_of(taken) == "conflict"
        weak = await c.post("/auth/register", json={"username": "erin", "password": "123"})
        assert weak.status_code == 400 and error_of(weak) == "weak_password"
        bad = await c.post("/auth/register", json={"username": "a b/c", "password": NEW_PASSWORD})
        assert bad.status_code == 400 and error_of(bad) == "invalid_request"
        await login(c, "dave", NEW_PASSWORD)
