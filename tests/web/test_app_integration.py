"""Browser mode inside the real app (create_app): the API's own routes by cookie, with CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from jwtgate.auth import AuthService, build_auth
from jwtgate.config import Settings
from jwtgate.server import create_app

from .webkit import ADMIN, ALICE, LOOPBACK, client, sign_in


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/app.db",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        issuer=LOOPBACK,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FastAPI, AuthService]]:
    settings = _settings(tmp_path, cors_origins=["https://app.example.com"])
    service = build_auth(settings)
    service.create_user(*ADMIN, roles=["admin"])
    service.create_user(*ALICE)
    yield create_app(settings, auth=service), service
    service.close()


def _write_headers(c) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrf-token": c.cookies["jwtgate_csrf"], "origin": LOOPBACK}


def test_the_api_answers_to_the_cookie(served: tuple[FastAPI, AuthService]) -> None:
    app, _ = served
    c = client(app)
    assert c.get("/auth/me").status_code == 401
    sign_in(c)
    me = c.get("/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"
    admin = client(app)
    sign_in(admin, ADMIN)
    users = admin.get("/admin/users")
    assert users.status_code == 200 and {u["username"] for u in users.json()["items"]} >= {"alice"}
    assert c.get("/admin/users").status_code == 403  # alice is no admin, cookie or not


def test_cookie_writes_need_csrf_then_work(served: tuple[FastAPI, AuthService]) -> None:
    app, service = served
    c = client(app)
    sign_in(c)
    refused = c.post("/auth/logout-all", headers={"origin": LOOPBACK})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error_description"]
    password = c.post(
        "/auth/password",
        json={"current_password": ALICE[1], "new_password": "Alice-new-pass-2"},
        headers=_write_headers(c),
    )
    assert password.status_code == 204
    out = c.post("/auth/logout", headers=_write_headers(c))
    assert out.status_code == 204
    assert "jwtgate_at" not in c.cookies
    sessions = service.list_sessions(service.find_user("alice").id)
    assert sessions and all(not s.active for s in sessions)


def test_a_revoked_cookie_gets_the_apis_401(served: tuple[FastAPI, AuthService]) -> None:
    app, service = served
    c = client(app)
    sign_in(c)
    service.logout_all(service.authenticate(c.cookies["jwtgate_at"]))
    response = c.get("/auth/me")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_json_login_contract_is_unchanged(served: tuple[FastAPI, AuthService]) -> None:
    app, _ = served
    c = client(app)
    response = c.post("/auth/login", json={"username": ALICE[0], "password": ALICE[1]})
    assert response.status_code == 200
    assert {"access_token", "refresh_token", "expires_in"} <= set(response.json())
    assert "set-cookie" not in response.headers  # the JSON API never sets cookies
    bearer = {"authorization": f"Bearer {response.json()['access_token']}"}
    assert c.post("/auth/logout", headers=bearer).status_code == 204  # no CSRF for bearer


def test_pages_headers_and_cors_inside_the_app(served: tuple[FastAPI, AuthService]) -> None:
    app, _ = served
    c = client(app)
    page = c.get("/web/login")
    assert (
        page.status_code == 200
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )
    assert "content-security-policy" not in c.get("/healthz").headers
    ok = c.options(
        "/auth/me",
        headers={"origin": "https://app.example.com", "access-control-request-method": "GET"},
    )
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    evil = c.get("/auth/me", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers


def test_a_wildcard_cors_origin_stops_the_app(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        create_app(_settings(tmp_path, cors_origins=["*"]))
