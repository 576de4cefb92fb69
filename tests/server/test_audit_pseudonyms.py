"""A password typed into the username box never reaches the audit log: a login for a name that
matches no account records ``unknown:`` and a keyed hash of the name (HMAC under a key derived
from the master key). The same name gives the same value, so an admin still sees repeated
attempts, and ``/admin/events?user=NAME`` finds the attempts with a name one knows."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text

from jwtgate.auth.pseudonyms import PURPOSE, Pseudonyms
from jwtgate.store.crypto import derive_subkey

from ..web.webkit import client, sign_in
from .serverkit import ADMIN, PASSWORD, Server, bearer, login

TYPED = "Tr0ub4dor&3-my-real-password"


async def failures(client: httpx.AsyncClient, admin: str, **params: str) -> list[dict[str, str]]:
    response = await client.get(
        "/admin/events", params={"type": "login_failure", **params}, headers=bearer(admin)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


async def test_an_unknown_username_is_recorded_as_a_keyed_hash(
    server: Server, client: httpx.AsyncClient
) -> None:
    for name in (TYPED, TYPED, "someone-else"):
        response = await client.post("/auth/login", json={"username": name, "password": "x"})
        assert response.status_code == 401
    admin = (await login(client, ADMIN, PASSWORD))["access_token"]
    events = await failures(client, admin)
    names = [e["username"] for e in events]
    assert all(re.fullmatch(r"unknown:[0-9a-f]{16}", n) for n in names), names
    assert names[1] == names[2] != names[0]  # the same name, the same pseudonym (newest first)
    log = await client.get("/admin/events", params={"limit": "200"}, headers=bearer(admin))
    assert TYPED not in log.text and TYPED.lower() not in log.text
    with server.auth.store.read() as uow:
        stored = uow.connection.execute(text("SELECT username, detail FROM audit_events")).all()
    assert TYPED not in repr(stored)
    # Knowing the name, an admin finds its attempts; any case, as usernames are compared.
    found = await failures(client, admin, user=TYPED.upper())
    assert [e["username"] for e in found] == names[1:]
    # A known user's failures keep the username.
    await client.post("/auth/login", json={"username": "alice", "password": "wrong"})
    assert (await failures(client, admin, user="alice"))[0]["username"] == "alice"


def test_the_pseudonym_depends_on_the_server_secret() -> None:
    one, other = (Pseudonyms(derive_subkey(m, PURPOSE)) for m in (b"a" * 32, b"b" * 32))
    assert one.of(TYPED) == one.of(TYPED.upper()) != other.of(TYPED)  # keyed: no guess tests
    assert "hidden" in repr(one) and derive_subkey(b"a" * 32, PURPOSE) != b"a" * 32


def test_the_console_shows_an_unknown_name_as_such(server: Server) -> None:
    browser = client(server.app)
    refused = browser.post("/auth/login", json={"username": TYPED, "password": "x"})
    assert refused.status_code == 401
    sign_in(browser, (ADMIN, PASSWORD))
    page = browser.get("/web/admin/events", params={"type": "login_failure"})
    assert page.status_code == 200
    assert "unknown name" in page.text and TYPED not in page.text
    pseudonym = server.auth._ctx.pseudonyms.of(TYPED)
    assert pseudonym[8:16] in page.text
