"""The web layer on the real auth service (SQLite in a temp folder, cheap argon2)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from jwtgate.auth import AuthService, InvalidGrant, build_auth
from jwtgate.config import Settings
from jwtgate.server.web import install

from .fakeauth import Clock
from .test_inspector import tamper
from .webkit import ADMIN, ALICE, LOOPBACK, client, post_form, sign_in, visit


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def real(tmp_path: Path, clock: Clock) -> Iterator[tuple[FastAPI, AuthService]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/web.db",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        issuer=LOOPBACK,
    )
    service = build_auth(settings, clock=clock)
    service.create_user(*ADMIN, roles=["admin"])
    service.create_user(*ALICE)
    app = FastAPI()
    install(app, service, settings, clock=clock)
    yield app, service
    service.close()


def test_sign_in_account_and_sessions(real: tuple[FastAPI, AuthService]) -> None:
    app, service = real
    first, second = client(app), client(app)
    first.headers["user-agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"
    sign_in(first)
    sign_in(second)
    page = second.get("/web/account").text
    assert 'id="me-username">alice<' in page and "Firefox on Linux" in page
    assert page.count('class="session') == 2
    sid = next(
        s.sid
        for s in service.list_sessions(service.find_user("alice").id)
        if s.user_agent and "Firefox" in s.user_agent
    )
    post_form(second, f"/web/account/sessions/{sid}/revoke", {}, page="/web/account")
    assert visit(first, "/web/account").url.path == "/web/login"
    assert second.get("/web/account").status_code == 200
    latest = service.list_events(limit=1).items[0]
    assert latest.type == "logout" and latest.detail.get("sid") == sid  # the user's own act


def test_silent_refresh_on_the_real_rotation(
    real: tuple[FastAPI, AuthService], clock: Clock
) -> None:
    app, _ = real
    c = client(app)
    sign_in(c)
    clock.now += 3600  # access token long expired, refresh token alive
    page = visit(c, "/web/account")
    assert page.url.path == "/web/account" and page.status_code == 200


def test_admin_creates_a_user_who_signs_in(real: tuple[FastAPI, AuthService]) -> None:
    app, _ = real
    admin = client(app)
    sign_in(admin, ADMIN)
    form = {"username": "erin", "email": "", "password": "erin-Strong-pass-9", "roles": "ops"}
    created = post_form(admin, "/web/admin/users", form, page="/web/admin/users")
    assert created.status_code == 303, created.text
    assert "erin" in admin.get(created.headers["location"]).text
    weak = post_form(
        admin,
        "/web/admin/users",
        {**form, "username": "f", "password": "password"},
        page="/web/admin/users",
    )
    assert weak.status_code == 400
    erin = client(app)
    sign_in(erin, ("erin", "erin-Strong-pass-9"))
    assert "ops" in erin.get("/web/account").text
    for path in ("/web/admin/keys", "/web/admin/clients", "/web/admin/events"):
        assert admin.get(path).status_code == 200, path
    rotated = post_form(admin, "/web/admin/keys/rotate", {"alg": "EdDSA"}, page="/web/admin/keys")
    assert rotated.status_code == 303
    assert "(EdDSA) now signs." in admin.get("/web/admin/keys").text
    assert "erin" in admin.get("/web/admin/events", params={"type": "user_created"}).text


def test_inspector_verdicts(real: tuple[FastAPI, AuthService], clock: Clock) -> None:
    app, service = real
    token = service.login(*ALICE).access_token
    c = client(app)

    def verdict(t: str) -> str:
        return html.unescape(post_form(c, "/web/inspect", {"token": t}, page="/web/inspect").text)

    assert "✔ Valid" in verdict(token)
    assert "✘ Signature does not verify" in verdict(tamper(token))
    clock.now += 3600
    assert "✘ Expired" in verdict(token) and "The token expired" in verdict(token)


def test_odd_ids_in_admin_urls_are_404_pages_not_errors(real: tuple[FastAPI, AuthService]) -> None:
    app, _ = real
    admin = client(app)
    sign_in(admin, ADMIN)
    for odd in ("nope", "0", "x" * 300, "%00", "1;drop"):
        assert admin.get(f"/web/admin/users/{odd}").status_code == 404, odd
        gone = post_form(
            admin, f"/web/admin/users/{odd}/delete", {"confirm": "yes"}, page="/web/admin/users"
        )
        assert gone.status_code == 303, odd
        revoke = post_form(admin, f"/web/admin/sessions/{odd}/revoke", {}, page="/web/admin/users")
        assert revoke.status_code == 303, odd
        edit = post_form(
            admin, f"/web/admin/users/{odd}", {"action": "disable"}, page="/web/admin/users"
        )
        assert edit.status_code == 404, odd


def test_sign_out_after_the_access_cookie_expired_kills_the_session(
    real: tuple[FastAPI, AuthService], clock: Clock
) -> None:
    app, service = real
    c = client(app)
    sign_in(c)
    refresh = c.cookies["jwtgate_rt"]
    clock.now += 3600
    c.cookies.delete("jwtgate_at")
    post_form(c, "/web/session/logout", {}, page="/web/login")
    assert all(not s.active for s in service.list_sessions(service.find_user("alice").id))
    with pytest.raises(InvalidGrant):
        service.refresh(refresh)


def test_tabs_renewing_with_one_refresh_cookie_all_stay_signed_in(
    real: tuple[FastAPI, AuthService], clock: Clock
) -> None:
    """Three tabs restored together each POST the renewal with the one refresh cookie the
    browser held: the first rotates it, the others get the same successor (the reuse
    interval), and the session lives."""
    app, service = real
    c = client(app)
    sign_in(c)
    clock.now += 3600  # the access cookie has lapsed
    rt, csrf = c.cookies["jwtgate_rt"], c.cookies["jwtgate_csrf"]
    tabs = [client(app) for _ in range(3)]
    for tab in tabs:
        tab.cookies.set("jwtgate_rt", rt, path="/web/session")
        tab.cookies.set("jwtgate_csrf", csrf)
    successors = set()
    for tab in tabs:
        answer = tab.post(
            "/web/session/refresh",
            data={"csrf_token": csrf, "next": "/web/account"},
            headers={"origin": LOOPBACK},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/web/account"
        successors.add(answer.cookies["jwtgate_rt"])
    assert len(successors) == 1 and rt not in successors
    for tab in tabs:
        assert tab.get("/web/account").status_code == 200
    assert not service.list_events(type="refresh_reuse").items
