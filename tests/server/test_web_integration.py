"""The app factory installs the web pages: a browser signs in with the form, and the JSON API
accepts its session cookie (CSRF-checked for writes) exactly like a bearer token."""

from __future__ import annotations

import re

import httpx

from .serverkit import PASSWORD, make_client

LOOPBACK = "http://127.0.0.1:8000"


async def test_pages_and_cookie_auth_on_the_api(server) -> None:  # type: ignore[no-untyped-def]
    async with make_client(server.app) as c:
        c.base_url = httpx.URL(LOOPBACK)
        page = await c.get("/web/login")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        signed_in = await c.post(
            "/web/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": csrf.group(1)},
            headers={"origin": LOOPBACK},
        )
        assert signed_in.status_code == 303
        me = await c.get("/auth/me")
        assert me.status_code == 200 and me.json()["username"] == "alice"
        forged = await c.post("/auth/logout", headers={"origin": "https://evil.example"})
        assert forged.status_code == 403
        assert (await c.get("/auth/me")).status_code == 200
