"""CSRF: every state-changing cookie request needs the double-submit token and our Origin."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from .fakeauth import FakeAuth
from .webkit import ALICE, LOOPBACK, client, csrf_of, make_app, sign_in

CREDS = {"username": ALICE[0], "password": ALICE[1]}


def _live_sessions(auth: FakeAuth) -> int:
    return sum(1 for s in auth.sessions.values() if s.revoked_at is None)


@pytest.mark.parametrize(
    ("headers", "token", "reason"),
    [
        ({"origin": LOOPBACK}, None, "CSRF token is missing"),
        ({"origin": LOOPBACK}, "x" * 43, "does not match"),
        ({"origin": "http://evil.example"}, "good", "comes from another site"),
        ({"origin": "null"}, "good", "comes from another site"),
        ({}, "good", "no Origin or Referer"),
        ({"referer": "http://evil.example/page"}, "good", "comes from another site"),
        ({"origin": "http://127.0.0.1:9999"}, "good", "comes from another site"),
    ],
)
def test_login_form_post_is_rejected_without_token_or_origin(
    app: FastAPI, auth: FakeAuth, headers: dict[str, str], token: str | None, reason: str
) -> None:
    c = client(app)
    good = csrf_of(c.get("/web/login"))
    data = dict(CREDS)
    if token is not None:
        data["csrf_token"] = good if token == "good" else token
    response = c.post("/web/login", data=data, headers=headers)
    assert response.status_code == 403
    assert "Request rejected" in response.text and reason in response.text
    assert (
        "set-cookie" not in response.headers or "jwtgate_at" not in response.headers["set-cookie"]
    )
    assert _live_sessions(auth) == 0


def test_a_form_without_the_csrf_cookie_is_rejected(app: FastAPI) -> None:
    c = client(app)
    token = csrf_of(c.get("/web/login"))
    c.cookies.clear()
    response = c.post(
        "/web/login", data={**CREDS, "csrf_token": token}, headers={"origin": LOOPBACK}
    )
    assert response.status_code == 403 and "CSRF cookie is missing" in response.text


def test_a_same_origin_referer_is_accepted_when_origin_is_absent(app: FastAPI) -> None:
    c = client(app)
    token = csrf_of(c.get("/web/login"))
    response = c.post(
        "/web/login",
        data={**CREDS, "csrf_token": token},
        headers={"referer": LOOPBACK + "/web/login"},
    )
    assert response.status_code == 303


def test_an_allowed_cors_origin_passes_the_origin_check(auth: FakeAuth) -> None:
    c = client(make_app(auth, cors_origins=["https://app.example.com"]))
    token = csrf_of(c.get("/web/login"))
    response = c.post(
        "/web/login",
        data={**CREDS, "csrf_token": token},
        headers={"origin": "https://app.example.com"},
    )
    assert response.status_code == 303


def test_cross_site_post_with_the_victims_cookies_signs_nobody_out(
    app: FastAPI, auth: FakeAuth
) -> None:
    """What a page on another site can do: post a form; the browser adds our cookies when the
    site is the same (another port) or SameSite is bypassed. Without the token it fails."""
    c = client(app)
    sign_in(c)
    for path in (
        "/web/session/logout-all",
        "/web/session/logout",
        "/web/account/password",
        "/web/admin/users",
    ):
        response = c.post(
            path, data={"new_password": "x"}, headers={"origin": "http://127.0.0.1:9999"}
        )
        assert response.status_code == 403, path
    assert _live_sessions(auth) == 1
    assert c.get("/web/account").status_code == 200


def test_every_form_on_every_page_carries_the_token(app: FastAPI) -> None:
    c = client(app)
    sign_in(c, ("root", "admin-password-1"))
    for page in (
        "/web/account",
        "/web/admin/users",
        "/web/admin/users/2",
        "/web/admin/keys",
        "/web/admin/clients",
        "/web/inspect",
    ):
        html = c.get(page).text
        posts = html.count('method="post"')
        assert posts and html.count('name="csrf_token"') == posts, page
