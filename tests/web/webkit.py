"""Helpers for the web tests: an app with the web layer on a fake auth, and form posts."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from jwtgate import InvalidToken
from jwtgate.config import Settings
from jwtgate.server.web import install

from .fakeauth import FakeAuth

LOOPBACK = "http://127.0.0.1:8000"
ADMIN = ("root", "admin-password-1")
ALICE = ("alice", "alice-password-1")

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(auth: FakeAuth, **settings: Any) -> FastAPI:
    """An app with the web layer installed, plus two bearer routes standing in for the API."""
    app = FastAPI()

    def bearer(request: Request) -> dict[str, Any] | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        try:
            return auth.authenticate(header[7:])
        except InvalidToken:
            return None

    @app.get("/auth/me")
    def me(request: Request) -> Response:
        claims = bearer(request)
        if claims is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(auth.me(claims))

    @app.post("/auth/logout")
    def logout(request: Request) -> Response:
        claims = bearer(request)
        if claims is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        auth.logout(claims)
        return Response(status_code=204)

    @app.post("/auth/login")
    def json_login() -> Response:
        return JSONResponse({"public": True})

    install(app, auth, Settings(**settings), clock=auth.clock)  # type: ignore[arg-type]
    return app


def client(app: FastAPI, base_url: str = LOOPBACK) -> TestClient:
    """A browser-like client: cookies kept, redirects not followed unless asked."""
    return TestClient(app, base_url=base_url, follow_redirects=False)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token rendered into a page's forms."""
    match = _CSRF_INPUT.search(page.text)
    assert match, "no CSRF field on the page"
    return match.group(1)


def origin(c: TestClient) -> dict[str, str]:
    """The Origin header a browser sends on a same-origin POST."""
    url = c.base_url
    return {"origin": f"{url.scheme}://{url.netloc.decode()}"}


def post_form(c: TestClient, path: str, data: dict[str, str], *, page: str) -> httpx.Response:
    """Load ``page``, then submit a form to ``path`` with its CSRF token, as a browser does."""
    token = csrf_of(c.get(page))
    return c.post(path, data={**data, "csrf_token": token}, headers=origin(c))


def sign_in(c: TestClient, who: tuple[str, str] = ALICE) -> httpx.Response:
    """Sign in through the login form; asserts the redirect that means success."""
    response = post_form(
        c, "/web/login", {"username": who[0], "password": who[1]}, page="/web/login"
    )
    assert response.status_code == 303, response.text
    return response


_NEXT_INPUT = re.compile(r'name="next" value="([^"]*)"')


def visit(c: TestClient, path: str) -> httpx.Response:
    """Open a page as a person would: follow redirects, and on the renewal page (where an
    expired access cookie leads) press its button, which POSTs the renewal."""
    page = c.get(path, follow_redirects=True)
    if page.url.path != "/web/session/refresh":
        return page
    match = _NEXT_INPUT.search(page.text)
    assert match, "no next field on the renewal page"
    data = {"csrf_token": csrf_of(page), "next": html.unescape(match.group(1))}
    return c.post("/web/session/refresh", data=data, headers=origin(c), follow_redirects=True)
