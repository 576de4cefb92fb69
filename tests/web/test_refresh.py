"""Silent refresh: an expired access cookie is renewed through the refresh cookie."""

from __future__ import annotations

from fastapi import FastAPI

from .fakeauth import FakeAuth
from .webkit import LOOPBACK, client, csrf_of, sign_in, visit


def test_an_expired_access_cookie_is_renewed_on_the_next_page(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    old, rt = c.cookies["jwtgate_at"], c.cookies["jwtgate_rt"]
    auth.clock.now += 901  # the access token has expired; the refresh token has not
    first = c.get("/web/account?tab=x")
    assert first.status_code == 303
    assert first.headers["location"] == "/web/session/refresh?next=/web/account%3Ftab%3Dx"
    page = c.get(first.headers["location"])
    # A GET renews nothing: it answers the renewal page, whose form POSTs the renewal.
    assert page.status_code == 200 and 'id="silent-refresh"' in page.text
    assert 'action="/web/session/refresh"' in page.text
    assert 'name="next" value="/web/account?tab=x"' in page.text
    assert "set-cookie" not in page.headers or "jwtgate_rt" not in page.headers["set-cookie"]
    assert list(auth.refresh_tokens) == [rt]
    back = c.post(
        "/web/session/refresh",
        data={"csrf_token": csrf_of(page), "next": "/web/account?tab=x"},
        headers={"origin": LOOPBACK},
    )
    assert back.status_code == 303 and back.headers["location"] == "/web/account?tab=x"
    assert c.cookies["jwtgate_at"] != old and c.cookies["jwtgate_rt"] != rt
    assert c.get("/web/account").status_code == 200
    sessions = [s for s in auth.sessions.values() if s.revoked_at is None]
    assert len(sessions) == 1  # the same session, refreshed


def test_no_get_rotates_the_refresh_token(app: FastAPI, auth: FakeAuth) -> None:
    """Six tabs restored together, or <img> tags on any page of the site, each GET the
    renewal URL with the one refresh cookie: none of them may rotate it."""
    c = client(app)
    sign_in(c)
    rt = c.cookies["jwtgate_rt"]
    auth.clock.now += 901
    for _ in range(6):
        page = c.get("/web/session/refresh", params={"next": "/web/account"})
        assert page.status_code == 200 and 'id="silent-refresh"' in page.text
        assert c.cookies["jwtgate_rt"] == rt
    assert list(auth.refresh_tokens) == [rt]
    assert all(s.revoked_at is None for s in auth.sessions.values())


def test_the_renewal_form_needs_a_same_origin_post(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    rt = c.cookies["jwtgate_rt"]
    auth.clock.now += 901
    page = c.get("/web/session/refresh", params={"next": "/web/account"})
    data = {"csrf_token": csrf_of(page), "next": "/web/account"}
    for headers, form in (
        ({}, data),  # no Origin, no Referer
        ({"origin": "http://evil.example"}, data),
        ({"origin": "http://127.0.0.1:8001"}, data),  # same site, other origin
        ({"origin": LOOPBACK}, {**data, "csrf_token": "x" * 43}),
        ({"origin": LOOPBACK}, {"next": "/web/account"}),
    ):
        refused = c.post("/web/session/refresh", data=form, headers=headers)
        assert refused.status_code == 403, (headers, form)
    assert list(auth.refresh_tokens) == [rt]  # nothing rotated
    done = c.post("/web/session/refresh", data=data, headers={"origin": LOOPBACK})
    assert done.status_code == 303 and done.headers["location"] == "/web/account"
    assert list(auth.refresh_tokens) != [rt]


def test_the_renewal_form_of_an_ended_session_goes_to_sign_in(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    auth.clock.now += 901
    page = c.get("/web/session/refresh", params={"next": "/web/admin/keys"})
    for s in list(auth.sessions):
        auth.revoke_session(s)
    data = {"csrf_token": csrf_of(page), "next": "/web/admin/keys"}
    ended = c.post("/web/session/refresh", data=data, headers={"origin": LOOPBACK})
    assert ended.headers["location"] == "/web/login?ended=1&next=/web/admin/keys"
    assert "jwtgate_rt" not in c.cookies and "jwtgate_at" not in c.cookies


def test_a_renewal_page_opened_after_another_tab_renewed_goes_straight_back(
    app: FastAPI,
) -> None:
    c = client(app)
    sign_in(c)  # a valid access cookie: nothing to renew
    response = c.get("/web/session/refresh", params={"next": "/web/admin/keys"})
    assert response.status_code == 303 and response.headers["location"] == "/web/admin/keys"


def test_with_the_session_revoked_the_browser_lands_on_sign_in(
    app: FastAPI, auth: FakeAuth
) -> None:
    c = client(app, LOOPBACK)
    sign_in(c)
    for s in list(auth.sessions):
        auth.revoke_session(s)
    page = visit(c, "/web/account")
    assert page.url.path == "/web/login"
    assert "Your session has ended" in page.text
    assert "jwtgate_at" not in c.cookies and "jwtgate_rt" not in c.cookies


def test_without_any_cookie_a_page_goes_to_sign_in_and_back_after(app: FastAPI) -> None:
    c = client(app)
    page = visit(c, "/web/admin/keys")
    assert page.url.path == "/web/login"
    assert 'name="next" value="/web/admin/keys"' in page.text
    assert "Your session has ended" not in page.text


def test_script_refresh_needs_csrf_and_answers_no_token(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    assert c.post("/web/session/refresh", headers={"origin": LOOPBACK}).status_code == 403
    auth.clock.now += 600  # issued a while ago: worth renewing
    csrf = c.cookies["jwtgate_csrf"]
    old = c.cookies["jwtgate_rt"]
    response = c.post("/web/session/refresh", headers={"x-csrf-token": csrf, "origin": LOOPBACK})
    assert response.status_code == 200
    assert response.json() == {
        "token_type": "cookie",
        "expires_in": 900,
        "refresh_expires_in": 3600,
        "scope": "",
        "renewed": True,
    }
    assert response.headers["cache-control"] == "no-store"
    assert c.cookies["jwtgate_rt"] != old


def test_a_second_tab_does_not_rotate_a_freshly_renewed_session(
    app: FastAPI, auth: FakeAuth
) -> None:
    """Two tabs share the cookies; the one that asks second must not present the refresh
    token again (that would look like reuse and end the session)."""
    c = client(app)
    sign_in(c)
    headers = {"x-csrf-token": c.cookies["jwtgate_csrf"], "origin": LOOPBACK}
    auth.clock.now += 3  # the first tab renewed 3 s ago (here: the sign-in itself)
    rt = c.cookies["jwtgate_rt"]
    second = c.post("/web/session/refresh", headers=headers)
    assert second.json() == {"token_type": "cookie", "expires_in": 897, "renewed": False}
    assert "set-cookie" not in second.headers and c.cookies["jwtgate_rt"] == rt
    assert list(auth.refresh_tokens) == [rt]  # nothing was rotated


def test_script_refresh_with_a_dead_refresh_token_is_401_and_clears(app: FastAPI) -> None:
    c = client(app)
    csrf = c.get("/web/csrf").json()["csrf_token"]
    headers = {"x-csrf-token": csrf, "origin": LOOPBACK}
    assert c.post("/web/session/refresh", headers=headers).status_code == 401  # no cookie at all
    c.cookies.set("jwtgate_rt", "forged", path="/web/session")
    response = c.post("/web/session/refresh", headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "invalid_grant"
    assert "max-age=0" in response.headers["set-cookie"].lower()


def test_next_cannot_send_the_browser_to_another_site(app: FastAPI) -> None:
    c = client(app)
    for evil in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/auth/me",
        "javascript:alert(1)",
    ):
        response = c.get("/web/session/refresh", params={"next": evil})
        assert response.headers["location"] == "/web/login?next=/web/account", evil


def test_sign_out_with_an_expired_access_cookie_still_revokes_the_session(
    app: FastAPI, auth: FakeAuth
) -> None:
    c = client(app)
    sign_in(c)
    csrf = c.cookies["jwtgate_csrf"]
    auth.clock.now += 901
    c.cookies.delete("jwtgate_at")  # the browser drops it at Max-Age
    response = c.post(
        "/web/session/logout", data={"csrf_token": csrf}, headers={"origin": LOOPBACK}
    )
    assert response.headers["location"] == "/web/login"
    assert all(s.revoked_at is not None for s in auth.sessions.values())


def test_sign_out_everywhere_with_an_expired_access_cookie(app: FastAPI, auth: FakeAuth) -> None:
    other, c = client(app), client(app)
    sign_in(other)
    sign_in(c)
    csrf = c.cookies["jwtgate_csrf"]
    auth.clock.now += 901
    c.cookies.delete("jwtgate_at")
    response = c.post(
        "/web/session/logout-all", data={"csrf_token": csrf}, headers={"origin": LOOPBACK}
    )
    assert response.headers["location"] == "/web/login"
    assert all(s.revoked_at is not None for s in auth.sessions.values())
    stranger = client(app)
    token = stranger.get("/web/csrf").json()["csrf_token"]
    ended = stranger.post(
        "/web/session/logout-all", data={"csrf_token": token}, headers={"origin": LOOPBACK}
    )
    assert ended.headers["location"] == "/web/login"
    assert "already ended" in stranger.get("/web/login").text
