"""The root URL: a landing page for browsers, the same links as JSON for API clients, and the
favicon browsers ask for."""

from __future__ import annotations

import httpx
import pytest

from jwtgate.server.web.home_routes import prefers_html

from .serverkit import ISSUER

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


async def test_a_browser_on_the_root_url_gets_a_landing_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/", headers={"accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "jwtgate authentication server" in html and ISSUER in html
    for link in (
        'href="/web/login"',
        'href="/docs"',
        'href="/.well-known/openid-configuration"',
        'href="/.well-known/jwks.json"',
        'href="/web/inspect"',
        'href="/favicon.ico"',
    ):
        assert link in html, link
    # The pages' headers: no inline script, no framing, no caching.
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store" and page.headers["vary"] == "Accept"
    for target in ("/docs", "/.well-known/openid-configuration", "/.well-known/jwks.json"):
        assert (await client.get(target)).status_code == 200, target


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "text/html;q=0.5, application/json"]
)
async def test_api_clients_on_the_root_url_get_json(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"accept": accept} if accept else {}
    answer = await client.get("/", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["service"] == "jwtgate" and body["issuer"] == ISSUER
    assert body["discovery"] == ISSUER + "/.well-known/openid-configuration"
    assert body["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert body["docs"] == ISSUER + "/docs" and body["sign_in"] == ISSUER + "/web/login"


async def test_the_favicon_is_served(client: httpx.AsyncClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in icon.headers["cache-control"]
    svg = await client.get("/web/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("application/xhtml+xml", True),
        ("*/*", False),
        ("", False),
        ("application/json, text/html", False),
        ("text/html;q=0.9, application/json;q=0.8", True),
        ("text/html;q=0", False),
        ("text/html;q=bogus", False),
        ("TEXT/HTML", True),
    ],
)
def test_prefers_html(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html
