"""The JSON API authenticated by cookie: reads just work, writes need the CSRF header."""

from __future__ import annotations

from fastapi import FastAPI

from .fakeauth import FakeAuth
from .webkit import LOOPBACK, client, make_app, sign_in


def test_get_me_by_cookie(app: FastAPI) -> None:
    c = client(app)
    assert c.get("/auth/me").status_code == 401
    sign_in(c)
    response = c.get("/auth/me")
    assert response.status_code == 200 and response.json()["username"] == "alice"


def test_logout_by_cookie_needs_the_csrf_header_and_origin(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    csrf = c.cookies["jwtgate_csrf"]
    for headers, reason in (
        ({"origin": LOOPBACK}, "CSRF token is missing"),
        ({"x-csrf-token": csrf, "origin": "https://evil.example"}, "another site"),
        ({"x-csrf-token": csrf}, "no Origin or Referer"),
    ):
        rejected = c.post("/auth/logout", headers=headers)
        assert rejected.status_code == 403
        body = rejected.json()
        assert body["error"] == "invalid_request" and reason in body["error_description"]
    assert all(s.revoked_at is None for s in auth.sessions.values())
    done = c.post("/auth/logout", headers={"x-csrf-token": csrf, "origin": LOOPBACK})
    assert done.status_code == 204
    assert all(s.revoked_at is not None for s in auth.sessions.values())
    assert "jwtgate_at" not in c.cookies  # the middleware cleared the dead cookies
    assert c.get("/auth/me").status_code == 401


def test_bearer_requests_are_unaffected_by_cookies_and_csrf(app: FastAPI, auth: FakeAuth) -> None:
    bearer = auth.login("root", "admin-password-1").access_token
    c = client(app)
    sign_in(c)  # alice's cookies are there too; the bearer header wins, no CSRF asked
    me = c.get("/auth/me", headers={"authorization": f"Bearer {bearer}"})
    assert me.json()["username"] == "root"
    out = c.post("/auth/logout", headers={"authorization": f"Bearer {bearer}"})
    assert out.status_code == 204
    assert "jwtgate_at" in c.cookies  # not a cookie logout: alice's cookies stay


def test_public_api_paths_never_read_the_cookie(app: FastAPI) -> None:
    c = client(app)
    sign_in(c)
    # POST /auth/login is not a cookie-authenticated path: no CSRF demanded, no bearer added.
    assert c.post("/auth/login", headers={"origin": "https://evil.example"}).json() == {
        "public": True
    }


def test_cookie_auth_works_with_secure_names_over_https(auth: FakeAuth) -> None:
    c = client(make_app(auth), "https://auth.example.com")
    sign_in(c)
    assert c.get("/auth/me").json()["username"] == "alice"
