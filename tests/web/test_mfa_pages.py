"""The web sign-in with a second factor and the factor pages, on the real auth service:
set up the app from the account page (QR code drawn by the server, no inline script), sign
in with a code or a recovery code, enrol at sign-in when the role requires it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jwtgate.auth import AuthService, build_auth
from jwtgate.config import Settings
from jwtgate.server.web import install
from jwtgate.server.web.cookies import cookie_names

from .fakeauth import Clock
from .webkit import ADMIN, ALICE, LOOPBACK, client, csrf_of, origin, post_form, sign_in

_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
_TOKEN = re.compile(r'name="mfa_token" value="([^"]+)"')


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _app(tmp_path: Path, clock: Clock, **overrides: object) -> tuple[FastAPI, AuthService]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/web.db",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        issuer=LOOPBACK,
        **overrides,  # type: ignore[arg-type]
    )
    service = build_auth(settings, clock=clock)
    if not service.list_users().items:
        service.create_user(*ADMIN, roles=["admin"])
        service.create_user(*ALICE)
    app = FastAPI()
    install(app, service, settings, clock=clock)
    return app, service


@pytest.fixture
def real(tmp_path: Path, clock: Clock) -> Iterator[tuple[FastAPI, AuthService]]:
    app, service = _app(tmp_path, clock)
    yield app, service
    service.close()


def _set_up_totp(c: TestClient, clock: Clock) -> tuple[str, list[str]]:
    started = post_form(c, "/web/account/mfa/totp", {}, page="/web/account/mfa")
    assert started.status_code == 200 and started.headers["cache-control"] == "no-store"
    assert "<svg" in started.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", started.text)  # the CSP allows no inline
    match = _SECRET.search(started.text)
    assert match
    secret = match.group(1)
    token = csrf_of(started)
    done = c.post(
        "/web/account/mfa/totp/confirm",
        data={"code": pyotp.TOTP(secret).at(clock.now), "csrf_token": token},
        headers=origin(c),
    )
    assert done.status_code == 200, done.text
    codes = re.findall(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4})</code>", done.text)
    assert len(codes) == 10
    return secret, codes


def _password(c: TestClient, who: tuple[str, str] = ALICE) -> TestClient:
    return post_form(c, "/web/login", {"username": who[0], "password": who[1]}, page="/web/login")


def test_set_up_an_app_then_sign_in_with_a_code(
    real: tuple[FastAPI, AuthService], clock: Clock
) -> None:
    app, service = real
    first = client(app)
    sign_in(first)
    assert 'href="/web/account/mfa"' in first.get("/web/account").text
    secret, _ = _set_up_totp(first, clock)
    assert "Set up" in first.get("/web/account/mfa").text

    second = client(app)
    step = _password(second)
    assert step.status_code == 200 and "Code from your authenticator app" in step.text
    assert step.headers["cache-control"] == "no-store"
    sso_name = cookie_names(False).sso
    assert sso_name not in second.cookies  # the password alone opened no sign-in session
    mfa_token = html.unescape(_TOKEN.search(step.text).group(1))  # type: ignore[union-attr]
    wrong = second.post(
        "/web/login/mfa",
        data={
            "mfa_token": mfa_token,
            "method": "totp",
            "code": "000000",
            "csrf_token": csrf_of(step),
        },
        headers=origin(second),
    )
    assert wrong.status_code == 401 and "wrong or was already used" in wrong.text
    clock.now += 30
    right = second.post(
        "/web/login/mfa",
        data={
            "mfa_token": mfa_token,
            "method": "totp",
            "code": pyotp.TOTP(secret).at(clock.now),
            "csrf_token": csrf_of(wrong),
        },
        headers=origin(second),
    )
    assert right.status_code == 303
    assert second.get("/web/account").status_code == 200
    # The second step opened the browser's sign-in session, for /auth/authorize.
    found = service.sso_session(second.cookies.get(sso_name))
    assert found is not None and found.user.id == service.find_user(ALICE[0]).id


def test_a_recovery_code_signs_in_from_the_web_page(
    real: tuple[FastAPI, AuthService], clock: Clock
) -> None:
    app, service = real
    first = client(app)
    sign_in(first)
    _, codes = _set_up_totp(first, clock)
    second = client(app)
    step = _password(second)
    mfa_token = html.unescape(_TOKEN.search(step.text).group(1))  # type: ignore[union-attr]
    done = second.post(
        "/web/login/mfa",
        data={
            "mfa_token": mfa_token,
            "method": "recovery_code",
            "code": codes[0],
            "csrf_token": csrf_of(step),
        },
        headers=origin(second),
    )
    assert done.status_code == 303
    assert service.list_events(type="recovery_code_used").items


def test_a_role_that_must_enrol_is_led_through_enrolment(tmp_path: Path, clock: Clock) -> None:
    app, service = _app(tmp_path, clock, mfa_required_roles=["admin"])
    try:
        c = client(app)
        page = _password(c, ADMIN)
        assert page.status_code == 200 and "Set up a second factor" in page.text
        assert "<svg" in page.text
        secret = _SECRET.search(page.text).group(1)  # type: ignore[union-attr]
        mfa_token = html.unescape(_TOKEN.search(page.text).group(1))  # type: ignore[union-attr]
        done = c.post(
            "/web/login/enrol",
            data={
                "mfa_token": mfa_token,
                "code": pyotp.TOTP(secret).at(clock.now),
                "csrf_token": csrf_of(page),
            },
            headers=origin(c),
        )
        assert done.status_code == 200 and "Your recovery codes" in done.text
        assert c.get("/web/account").status_code == 200
    finally:
        service.close()
