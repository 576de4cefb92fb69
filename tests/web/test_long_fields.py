"""Web form fields are never cut short: a field longer than the pages accept (1,024
characters, or the password policy's maximum when longer) is refused with a page that says
so, and nothing happens. Before, every field was cut at 1,024 characters, so a longer
password was registered, set or checked as its first 1,024 characters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from jwtgate.auth import AuthService, NotFound, build_auth
from jwtgate.config import Settings
from jwtgate.server.web import install

from .fakeauth import Clock
from .webkit import ADMIN, LOOPBACK, client, post_form, sign_in

LONG = "long password " * 100  # 1,400 characters


def served(tmp_path: Path, **overrides: object) -> tuple[FastAPI, AuthService]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/web.db",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        issuer=LOOPBACK,
        allow_registration=True,
        **overrides,  # type: ignore[arg-type]
    )
    service = build_auth(settings, clock=Clock())
    service.create_user(*ADMIN, roles=["admin"])
    app = FastAPI()
    install(app, service, settings, clock=Clock())
    return app, service


@pytest.fixture
def real(tmp_path: Path) -> Iterator[tuple[FastAPI, AuthService]]:
    app, service = served(tmp_path)
    yield app, service
    service.close()


def test_a_password_past_the_limit_is_refused_not_cut(real: tuple[FastAPI, AuthService]) -> None:
    app, service = real
    browser = client(app)
    form = {"username": "longpass", "password": LONG, "password_repeat": LONG}
    page = post_form(browser, "/web/register", form, page="/web/register")
    assert page.status_code == 400
    assert "at most 1,024 characters" in page.text and "password" in page.text
    with pytest.raises(NotFound):
        service.find_user("longpass")  # nothing was registered
    # The same on a form of a signed-in user: the admin's new-user form.
    admin = client(app)
    sign_in(admin, ADMIN)
    form = {"username": "other", "password": LONG, "roles": ""}
    refused = post_form(admin, "/web/admin/users", form, page="/web/admin/users")
    assert refused.status_code == 400 and "at most 1,024 characters" in refused.text
    with pytest.raises(NotFound):
        service.find_user("other")


def test_a_policy_allowing_longer_passwords_gets_them_whole(tmp_path: Path) -> None:
    app, service = served(tmp_path, password_max_length=2048)
    try:
        service.create_user("longpass", LONG)
        cut = client(app)
        wrong = post_form(
            cut,
            "/web/login",
            {"username": "longpass", "password": LONG[:1024] + "anything"},
            page="/web/login",
        )
        assert wrong.status_code != 303  # its first 1,024 characters are not the password
        sign_in(client(app), ("longpass", LONG))
    finally:
        service.close()
