"""The admin API: users, sessions, keys, audit events and clients; role admin required."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .serverkit import NEW_PASSWORD, PASSWORD, bearer, error_of, login

USER_KEYS = {"id", "username", "email", "email_verified", "roles", "disabled", "created_at"}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await login(client, "root"))["access_token"])


async def create(
    client: httpx.AsyncClient, admin: dict[str, str], name: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/admin/users", headers=admin, json={"username": name, "password": PASSWORD, **extra}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


ADMIN_ROUTES = [
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/x"),
    ("PATCH", "/admin/users/x"),
    ("DELETE", "/admin/users/x"),
    ("GET", "/admin/users/x/sessions"),
    ("DELETE", "/admin/sessions/x"),
    ("GET", "/admin/keys"),
    ("POST", "/admin/keys/rotate"),
    ("GET", "/admin/events"),
    ("GET", "/admin/clients"),
    ("POST", "/admin/clients"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_need_a_token_and_role_admin(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    anonymous = await client.request(method, path)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
    garbage = await client.request(method, path, headers=bearer("nope"))
    assert garbage.status_code == 401 and error_of(garbage) == "invalid_token"
    alice = await login(client)
    user = await client.request(method, path, headers=bearer(alice["access_token"]))
    assert user.status_code == 403 and error_of(user) == "insufficient_scope"
    assert user.headers["www-authenticate"].startswith(
        'Bearer realm="jwtgate", error="insufficient_scope"'
    )


async def test_user_lifecycle(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = await create(client, admin, "bob", roles=["editor"], email="bob@example.com")
    assert set(user) == USER_KEYS
    assert user["roles"] == ["editor"] and user["email"] == "bob@example.com"
    read = await client.get(f"/admin/users/{user['id']}", headers=admin)
    assert read.json() == user

    patched = await client.patch(
        f"/admin/users/{user['id']}", headers=admin, json={"roles": ["editor", "ops"]}
    )
    assert patched.status_code == 200
    assert patched.json() == {**user, "roles": ["editor", "ops"]}

    new_password = await client.patch(
        f"/admin/users/{user['id']}", headers=admin, json={"password": NEW_PASSWORD}
    )
    assert new_password.status_code == 200
    await login(client, "bob", NEW_PASSWORD)

    deleted = await client.delete(f"/admin/users/{user['id']}", headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await client.get(f"/admin/users/{user['id']}", headers=admin)
    assert gone.status_code == 404 and error_of(gone) == "not_found"
    again = await client.delete(f"/admin/users/{user['id']}", headers=admin)
    assert again.status_code == 404


async def test_disabling_a_user_revokes_every_session(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tokens = await login(client)
    alice = (await client.get("/admin/users", headers=admin, params={"q": "alice"})).json()
    alice_id = alice["items"][0]["id"]
    response = await client.patch(
        f"/admin/users/{alice_id}", headers=admin, json={"disabled": True}
    )
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    denied = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert denied.status_code == 401
    enabled = await client.patch(
        f"/admin/users/{alice_id}", headers=admin, json={"disabled": False}
    )
    assert enabled.json()["disabled"] is False
    await login(client)


async def test_create_and_update_failures(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    taken = await client.post(
        "/admin/users", headers=admin, json={"username": "ALICE", "password": PASSWORD}
    )
    assert taken.status_code == 409 and error_of(taken) == "conflict"
    weak = await client.post("/admin/users", headers=admin, json={"username": "z", "password": "1"})
    assert weak.status_code == 400 and error_of(weak) == "weak_password"
    bad_role = await client.post(
        "/admin/users",
        headers=admin,
        json={"username": "zed", "password": PASSWORD, "roles": ["no spaces allowed"]},
    )
    assert bad_role.status_code == 400
    not_a_list = await client.post(
        "/admin/users",
        headers=admin,
        json={"username": "zed", "password": PASSWORD, "roles": "admin"},
    )
    assert not_a_list.status_code == 400 and "roles" in not_a_list.json()["error_description"]
    user = await create(client, admin, "zed")
    for body in ({"disabled": "yes"}, {"disabled": 1}, {"roles": [1]}, {"nickname": "z"}):
        response = await client.patch(f"/admin/users/{user['id']}", headers=admin, json=body)
        assert response.status_code == 400, body
    missing = await client.patch("/admin/users/nope", headers=admin, json={"disabled": True})
    assert missing.status_code == 404
    too_long = await client.get("/admin/users/" + "x" * 100, headers=admin)
    assert too_long.status_code == 400


async def test_users_are_paginated(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for i in range(3):
        await create(client, admin, f"user{i}")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/admin/users", headers=admin, params=params)).json()
        assert set(page) == {"items", "next_cursor"} and len(page["items"]) <= 2
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["root", "alice", "user0", "user1", "user2"]
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "x"}, {"cursor": "%%%"}):
        response = await client.get("/admin/users", headers=admin, params=params)
        assert response.status_code == 400, params


async def test_sessions_list_and_revoke(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    tokens = await login(client)
    sid = (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).json()["sid"]
    alice_id = (await client.get("/admin/users", headers=admin, params={"q": "ali"})).json()[
        "items"
    ][0]["id"]
    listed = await client.get(f"/admin/users/{alice_id}/sessions", headers=admin)
    assert listed.status_code == 200
    page = listed.json()
    assert page["next_cursor"] is None and [s["sid"] for s in page["items"]] == [sid]
    assert page["items"][0]["revoked_at"] is None
    revoked = await client.delete(f"/admin/sessions/{sid}", headers=admin)
    assert revoked.status_code == 204
    assert (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).status_code == 401
    after = (await client.get(f"/admin/users/{alice_id}/sessions", headers=admin)).json()
    assert after["items"][0]["revoked_at"] is not None
    assert (await client.delete("/admin/sessions/nope", headers=admin)).status_code == 404
    assert (await client.get("/admin/users/nope/sessions", headers=admin)).status_code == 404


async def test_key_rotation_keeps_old_tokens_valid(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    keys = (await client.get("/admin/keys", headers=admin)).json()
    assert (keys["items"][0]["use"], keys["items"][0]["status"]) == ("access", "active")
    old_kid = keys["items"][0]["kid"]
    tokens = await login(client)
    rotated = await client.post("/admin/keys/rotate", headers=admin)
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["status"] == "active" and new["kid"] != old_kid and new["alg"] == "ES256"
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert {old_kid, new["kid"]} <= {k["kid"] for k in jwks["keys"]}
    assert (await client.get("/auth/me", headers=bearer(tokens["access_token"]))).status_code == 200
    fresh = await login(client)
    me = await client.get("/auth/me", headers=bearer(fresh["access_token"]))
    assert me.status_code == 200
    eddsa = await client.post("/admin/keys/rotate", headers=admin, json={"alg": "EdDSA"})
    assert eddsa.status_code == 201 and eddsa.json()["alg"] == "EdDSA"
    bad = await client.post("/admin/keys/rotate", headers=admin, json={"alg": "none"})
    assert bad.status_code == 400 and error_of(bad) == "invalid_request"
    listed = (await client.get("/admin/keys", headers=admin)).json()["items"]
    access = [k["status"] for k in listed if k["use"] == "access"]
    assert access == ["active", "retired", "retired"]
    id_rs256 = [k for k in listed if k["use"] == "id_token" and k["alg"] == "RS256"]
    rotated = await client.post("/admin/keys/rotate", headers=admin, json={"use": "id_token"})
    assert rotated.status_code == 201 and rotated.json()["use"] == "id_token"
    assert rotated.json()["alg"] == "RS256" and rotated.json()["kid"] != id_rs256[0]["kid"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert {id_rs256[0]["kid"], rotated.json()["kid"]} <= {k["kid"] for k in jwks["keys"]}
    bad = await client.post("/admin/keys/rotate", headers=admin, json={"use": "other"})
    assert bad.status_code == 400


async def test_audit_events(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await client.post("/auth/login", json={"username": "alice", "password": "wrong!"})
    await login(client)
    page = (await client.get("/admin/events", headers=admin, params={"limit": 5})).json()
    assert set(page) == {"items", "next_cursor"}
    ids = [e["id"] for e in page["items"]]
    assert ids == sorted(ids, reverse=True)
    types = {e["type"] for e in page["items"]}
    assert "login_success" in types
    only = (
        await client.get(
            "/admin/events", headers=admin, params={"type": "login_success", "user": "alice"}
        )
    ).json()
    assert only["items"] and {e["type"] for e in only["items"]} == {"login_success"}
    bad = await client.get("/admin/events", headers=admin, params={"cursor": "abc"})
    assert bad.status_code == 400


async def test_clients(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await client.post(
        "/admin/clients", headers=admin, json={"name": "billing", "scopes": ["invoices:read"]}
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert body["client_secret"] and body["scopes"] == ["invoices:read"]
    listed = (await client.get("/admin/clients", headers=admin)).json()
    assert listed["next_cursor"] is None
    # The built-in client of the API docs, then the new one.
    assert [c["client_id"] for c in listed["items"]] == ["jwtgate-docs", body["client_id"]]
    assert all("client_secret" not in c for c in listed["items"])
    grant = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert grant.status_code == 200
    for bad in ({"name": ""}, {"scopes": ["x"]}, {"name": "n", "scopes": ["has space"]}):
        response = await client.post("/admin/clients", headers=admin, json=bad)
        assert response.status_code == 400, bad
