"""A single-page app on another site signs in with the authorization code flow and PKCE in a
real browser (issue 13): the SPA (oauth4webapi from tests/node) is served at
``http://localhost:<port>``, jwtgate at ``http://127.0.0.1:<port>`` (two sites to the
browser, as in production). Click sign in, sign in on jwtgate's page, allow the app, come back
signed in, call the SPA's API, protected by a Guard for that API's audience. A second sign-in
rides the SSO cookie (SameSite=Lax) without a password prompt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from jwtgate import Guard, InvalidToken

from ..nodekit import NODE_DIR, require_node_modules
from .browserkit import ADMIN_PASSWORD, CHROMIUM_FLAGS, chromium_path, free_port, serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SPA = Path(__file__).with_name("spa")
API_AUDIENCE = "https://orders.api.example"


class Spa:
    """The SPA's own origin: its files, its config, and its API (a Guard in front)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        self.config: dict[str, str] = {}
        self.guard: Guard | None = None
        self.api_calls: list[int] = []

    def files(self) -> dict[str, tuple[str, bytes]]:
        module = NODE_DIR / "node_modules" / "oauth4webapi" / "build" / "index.js"
        return {
            "/": ("text/html", (SPA / "index.html").read_bytes()),
            "/callback": ("text/html", (SPA / "index.html").read_bytes()),
            "/app.js": ("text/javascript", (SPA / "app.js").read_bytes()),
            "/oauth4webapi.js": ("text/javascript", module.read_bytes()),
        }


def spa_server(spa: Spa) -> ThreadingHTTPServer:
    files = spa.files()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/config.json":
                self._send(200, "application/json", json.dumps(spa.config).encode())
            elif path == "/api/orders":
                self._api()
            elif path in files:
                self._send(200, *files[path])
            else:
                self._send(404, "text/plain", b"not found")

        def _api(self) -> None:
            header = self.headers.get("authorization", "")
            try:
                assert spa.guard is not None
                principal = spa.guard.verify(header.removeprefix("Bearer "))
            except InvalidToken as exc:
                spa.api_calls.append(401)
                body = {"error": "invalid_token", "why": str(exc)}
                self._send(401, "application/json", json.dumps(body).encode())
                return
            spa.api_calls.append(200)
            claims: dict[str, Any] = dict(principal.claims)
            body = {
                "user": claims.get("preferred_username"),
                "aud": claims["aud"],
                "orders": [1, 2, 3],
            }
            self._send(200, "application/json", json.dumps(body).encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", spa.port), Handler)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def spa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spa]:
    require_node_modules("oauth4webapi")
    app = Spa(free_port())
    httpd = spa_server(app)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    workdir = tmp_path_factory.mktemp("spa")
    try:
        with serve(workdir, JWTGATE_CORS_ORIGINS=json.dumps([app.url])) as jwtgate:
            admin = httpx.post(
                jwtgate.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            ).json()["access_token"]
            client = httpx.post(
                jwtgate.url + "/admin/clients",
                headers={"authorization": f"Bearer {admin}"},
                json={
                    "name": "Orders SPA",
                    "type": "public",
                    "redirect_uris": [app.url + "/callback"],
                    "scopes": ["orders:read"],
                    "audiences": [API_AUDIENCE],
                },
            ).json()
            app.config = {
                "issuer": jwtgate.url,
                "client_id": client["client_id"],
                "redirect_uri": app.url + "/callback",
                "scope": "orders:read",
                "api_audience": API_AUDIENCE,
            }
            app.guard = Guard(
                issuer=jwtgate.url,
                audience=API_AUDIENCE,
                jwks_url=jwtgate.url + "/.well-known/jwks.json",
            )
            yield app
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_spa_on_another_site_signs_in_with_pkce_and_calls_its_api(
    browser: Browser, spa: Spa
) -> None:
    context = browser.new_context()
    violations: list[str] = []
    context.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page = context.new_page()
    page.goto(spa.url + "/")
    page.get_by_role("button", name="Sign in with jwtgate").click()
    # jwtgate's own sign-in page, on the other site.
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    assert page.url.startswith(spa.config["issuer"] + "/web/login")
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    # A third-party app: the consent page, then back to the SPA (the form-action CSP allows it).
    expect(page.get_by_role("heading", name="Allow Orders SPA?")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("#status")).to_have_text("Signed in as admin.", timeout=20_000)
    orders = json.loads(page.locator("#orders").inner_text())
    assert orders["aud"] == API_AUDIENCE and orders["orders"] == [1, 2, 3]
    assert spa.api_calls[-1] == 200
    # Again: the SSO cookie (SameSite=Lax) rides the cross-site navigation, consent is
    # remembered, so the browser comes straight back signed in.
    page.goto(spa.url + "/")
    page.get_by_role("button", name="Sign in with jwtgate").click()
    expect(page.locator("#status")).to_have_text("Signed in as admin.", timeout=20_000)
    sso = [c for c in context.cookies() if c["name"] == "jwtgate_sso"]
    assert sso and sso[0]["sameSite"] == "Lax" and sso[0]["httpOnly"]
    assert violations == []
    context.close()
