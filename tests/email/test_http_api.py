"""The account-email HTTP API: status codes and error bodies, the throttle's 429, the admin
invitation routes, the required-verification 403, and that GET of a mailed link uses nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jwtgate.auth import AuthService, build_auth
from jwtgate.server import create_app

from ..server.serverkit import (
    PASSWORD,
    Server,
    bearer,
    error_of,
    fast_settings,
    login,
    make_client,
    seed,
)
from ..store.dbkit import BACKENDS, fresh_database
from .mailkit import SmtpServer

NEW = "Brand-new-pass-27"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make_server(database_url: str, smtp: SmtpServer) -> Iterator[Callable[..., Server]]:
    built: list[AuthService] = []

    def make(**overrides: Any) -> Server:
        settings = fast_settings(
            database_url, smtp_url=smtp.url, public_url="https://auth.test", **overrides
        )
        service = build_auth(settings)
        built.append(service)
        if service.list_users().items == ():
            seed(service)
            service.update_user(service.find_user("alice").id, email="alice@example.com")
        return Server(create_app(settings, auth=service), service, settings)

    yield make
    for service in built:
        service.close()


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(server.app) as c:
        yield c


async def test_forgot_answers_202_for_known_and_unknown_accounts_and_only_one_gets_mail(
    client: httpx.AsyncClient, server: Server, smtp: SmtpServer
) -> None:
    for login_text in ("alice", "nobody", "alice@example.com", "nobody@example.com"):
        response = await client.post("/auth/password/forgot", json={"login": login_text})
        assert (response.status_code, response.content) == (202, b"")
    server.auth.deliver_mail()
    assert {m.to for m in smtp.wait(2)} == {"alice@example.com"}


async def test_reset_by_code_over_http_revokes_sessions(
    client: httpx.AsyncClient, server: Server, smtp: SmtpServer
) -> None:
    tokens = await login(client)
    await client.post("/auth/password/forgot", json={"login": "alice"})
    server.auth.deliver_mail()
    code = smtp.last("alice@example.com").code
    weak = await client.post(
        "/auth/password/reset", json={"code": code, "login": "alice", "new_password": "short"}
    )
    assert (weak.status_code, error_of(weak)) == (400, "weak_password")
    response = await client.post(
        "/auth/password/reset", json={"code": code, "login": "alice", "new_password": NEW}
    )
    assert response.status_code == 204, response.text
    again = await client.post(
        "/auth/password/reset", json={"code": code, "login": "alice", "new_password": NEW}
    )
    assert (again.status_code, error_of(again)) == (400, "invalid_grant")
    me = await client.get("/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    await login(client, "alice", NEW)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"login": ""},
        {"login": "a\x00b"},
        {"login": "x" * 400},
        {"login": 5},
        {"login": "alice", "extra": 1},
    ],
)
async def test_forgot_refuses_malformed_bodies_with_400(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/auth/password/forgot", json=body)
    assert (response.status_code, error_of(response)) == (400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {"new_password": NEW},
        {"token": "x", "code": "y", "new_password": NEW},
        {"code": "2222-2222", "new_password": NEW},
        {"token": "x" * 200, "new_password": NEW},
    ],
)
async def test_reset_refuses_incomplete_bodies_with_400(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/auth/password/reset", json=body)
    assert response.status_code == 400
    assert error_of(response) in {"invalid_request", "invalid_grant"}


async def test_twenty_forgot_requests_from_one_address_then_429_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    for i in range(20):
        response = await client.post("/auth/password/forgot", json={"login": f"u{i}"})
        assert response.status_code == 202
    response = await client.post("/auth/password/forgot", json={"login": "alice"})
    assert (response.status_code, error_of(response)) == (429, "too_many_requests")
    assert int(response.headers["retry-after"]) > 0


async def test_a_get_of_the_mailed_links_leaves_the_tokens_usable(
    client: httpx.AsyncClient, server: Server, smtp: SmtpServer
) -> None:
    await client.post("/auth/password/forgot", json={"login": "alice"})
    server.auth.deliver_mail()
    mail = smtp.last("alice@example.com")
    path = mail.link.removeprefix("https://auth.test")
    for _ in range(3):  # a mail scanner fetching the link, repeatedly
        page = await client.get(path)
        assert page.status_code == 200
        assert 'method="post"' in page.text and "<button" in page.text
    response = await client.post(
        "/auth/password/reset", json={"token": mail.token, "new_password": NEW}
    )
    assert response.status_code == 204


async def test_verification_over_http_and_email_verified_in_the_user_object(
    client: httpx.AsyncClient, server: Server, smtp: SmtpServer
) -> None:
    alice = bearer((await login(client))["access_token"])
    assert (await client.post("/auth/email/verify/request", headers=alice)).status_code == 202
    server.auth.deliver_mail()
    mail = smtp.last("alice@example.com")
    no_bearer = await client.post("/auth/email/verify", json={"code": mail.code})
    assert (no_bearer.status_code, error_of(no_bearer)) == (400, "invalid_request")
    response = await client.post("/auth/email/verify", headers=alice, json={"code": mail.code})
    assert response.status_code == 204, response.text
    admin = bearer((await login(client, "root"))["access_token"])
    user = (
        await client.get(f"/admin/users/{server.auth.find_user('alice').id}", headers=admin)
    ).json()
    assert user["email_verified"] is True
    again = await client.post("/auth/email/verify/request", headers=alice)
    assert (again.status_code, error_of(again)) == (400, "invalid_request")
    bad = await client.post("/auth/email/verify/request", headers=bearer("not-a-token"))
    assert bad.status_code == 401


async def test_required_verification_answers_403_email_not_verified_with_a_resend_path(
    make_server: Callable[..., Server], smtp: SmtpServer
) -> None:
    server = make_server(require_verified_email=True)
    async with make_client(server.app) as client:
        refused = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
        assert (refused.status_code, error_of(refused)) == (403, "email_not_verified")
        assert "/auth/email/verify/request" in refused.json()["error_description"]
        resend = await client.post("/auth/email/verify/request", json={"login": "alice"})
        assert resend.status_code == 202
        server.auth.deliver_mail()
        token = smtp.last("alice@example.com").token
        verified = await client.post("/auth/email/verify", json={"token": token})
        assert verified.status_code == 204
        await login(client)


async def test_admin_invites_resends_and_revokes_and_the_invitee_sets_a_password(
    client: httpx.AsyncClient, server: Server, smtp: SmtpServer
) -> None:
    admin = bearer((await login(client, "root"))["access_token"])
    both = await client.post(
        "/admin/users",
        headers=admin,
        json={"username": "cat", "password": PASSWORD, "email": "c@example.com", "invite": True},
    )
    assert (both.status_code, error_of(both)) == (400, "invalid_request")
    created = await client.post(
        "/admin/users",
        headers=admin,
        json={"username": "cat", "email": "cat@example.com", "invite": True, "roles": ["user"]},
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email_verified"] is False
    resent = await client.post(f"/admin/users/{user['id']}/invitation", headers=admin)
    assert resent.status_code == 202
    server.auth.deliver_mail()
    token = smtp.last("cat@example.com", count=2).token
    revoked = await client.delete(f"/admin/users/{user['id']}/invitation", headers=admin)
    assert revoked.status_code == 204
    dead = await client.post("/auth/password/reset", json={"token": token, "new_password": NEW})
    assert dead.status_code == 400
    await client.post(f"/admin/users/{user['id']}/invitation", headers=admin)
    server.auth.deliver_mail()
    token = smtp.last("cat@example.com", count=3).token
    accepted = await client.post("/auth/password/reset", json={"token": token, "new_password": NEW})
    assert accepted.status_code == 204
    await login(client, "cat", NEW)
    missing = await client.post("/admin/users/nope/invitation", headers=admin)
    assert missing.status_code == 404
    forbidden = await client.post(
        f"/admin/users/{user['id']}/invitation",
        headers=bearer((await login(client, "cat", NEW))["access_token"]),
    )
    assert forbidden.status_code == 403


async def test_admin_sets_email_and_email_verified_with_patch(
    client: httpx.AsyncClient, server: Server
) -> None:
    admin = bearer((await login(client, "root"))["access_token"])
    alice = server.auth.find_user("alice").id
    changed = await client.patch(
        f"/admin/users/{alice}", headers=admin, json={"email": "a2@example.com"}
    )
    assert (changed.json()["email"], changed.json()["email_verified"]) == ("a2@example.com", False)
    trusted = await client.patch(
        f"/admin/users/{alice}", headers=admin, json={"email_verified": True}
    )
    assert trusted.json()["email_verified"] is True
    removed = await client.patch(f"/admin/users/{alice}", headers=admin, json={"email": None})
    assert (removed.json()["email"], removed.json()["email_verified"]) == (None, False)
    bad = await client.patch(f"/admin/users/{alice}", headers=admin, json={"email": "nope"})
    assert bad.status_code == 400


async def test_email_change_over_http(
    client: httpx.AsyncClient, server: Server, smtp: SmtpServer
) -> None:
    alice = bearer((await login(client))["access_token"])
    wrong = await client.post(
        "/auth/email",
        headers=alice,
        json={"email": "new@example.com", "current_password": "wrong-password-1"},
    )
    assert (wrong.status_code, error_of(wrong)) == (400, "invalid_grant")
    response = await client.post(
        "/auth/email",
        headers=alice,
        json={"email": "new@example.com", "current_password": PASSWORD},
    )
    assert response.status_code == 202
    server.auth.deliver_mail()
    assert "new@example.com" in smtp.last("alice@example.com").text
    confirm = smtp.last("new@example.com")
    verified = await client.post("/auth/email/verify", json={"token": confirm.token})
    assert verified.status_code == 204
    assert server.auth.find_user("alice").email == "new@example.com"


async def test_the_password_grant_of_an_unverified_account_is_invalid_grant_with_the_reason(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(require_verified_email=True, allow_password_grant=True)
    async with make_client(server.app) as client:
        response = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        )
        assert (response.status_code, error_of(response)) == (400, "invalid_grant")
        assert "verify" in response.json()["error_description"]
