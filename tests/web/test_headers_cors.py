"""Security headers on every page, no inline script or style, and the CORS allowlist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from jwtgate.server import web
from jwtgate.server.web import normalize_origins

from .fakeauth import FakeAuth
from .webkit import client, make_app, sign_in

PAGES = (
    "/web/login",
    "/web/account",
    "/web/admin/users",
    "/web/admin/users/2",
    "/web/admin/keys",
    "/web/admin/clients",
    "/web/admin/events",
    "/web/inspect",
    "/web/password/forgot",
    "/web/password/reset",
    "/web/email/verify",
    "/web/account/email",
)


def test_every_page_has_the_security_headers(app: FastAPI) -> None:
    c = client(app)
    sign_in(c, ("root", "admin-password-1"))
    for path in (*PAGES, "/web/nope", "/web/register"):
        response = c.get(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"


def test_static_files_are_cacheable_and_typed(app: FastAPI) -> None:
    c = client(app)
    css = c.get("/web/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "no-store" not in css.headers.get("cache-control", "")
    assert c.get("/web/static/app.js").headers["x-content-type-options"] == "nosniff"


def test_api_responses_do_not_get_the_page_policy(app: FastAPI) -> None:
    assert "content-security-policy" not in client(app).get("/auth/me").headers


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    templates = Path(web.__file__).parent / "templates"
    for path in templates.glob("*.html"):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path.name
        assert not re.search(r"\sstyle\s*=", html), path.name
        assert not re.search(r"\son[a-z]+\s*=", html), path.name
        assert "<style" not in html, path.name


def test_every_input_has_a_label(app: FastAPI) -> None:
    c = client(app)
    sign_in(c, ("root", "admin-password-1"))
    for path in PAGES:
        html = c.get(path).text
        for match in re.finditer(r"<(input|select|textarea)\b([^>]*)>", html):
            attrs = match.group(2)
            if re.search(r'type="(hidden|submit)"|\shidden\b', attrs):
                continue
            ident = re.search(r'id="([^"]+)"', attrs)
            assert ident and f'for="{ident.group(1)}"' in html, (path, attrs)


def test_no_cors_headers_by_default(app: FastAPI) -> None:
    response = client(app).options(
        "/auth/me",
        headers={"origin": "https://app.example.com", "access-control-request-method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_the_configured_origins_with_credentials(auth: FakeAuth) -> None:
    c = client(make_app(auth, cors_origins=["https://app.example.com"]))
    ok = c.options(
        "/auth/me",
        headers={
            "origin": "https://app.example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-csrf-token, content-type",
        },
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    assert ok.headers["access-control-allow-credentials"] == "true"
    bad = c.options(
        "/auth/me",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
    simple = c.get("/auth/me", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize(
    "bad",
    [
        "*",
        "null",
        "https://app.example.com/path",
        "app.example.com",
        "ftp://x.example",
        "https://user@x.example",
    ],
)
def test_cors_origins_must_be_plain_origins(bad: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        normalize_origins([bad])


def test_cors_origins_are_normalised() -> None:
    assert normalize_origins(["https://App.Example.com/", "http://localhost:3000"]) == {
        "https://app.example.com",
        "http://localhost:3000",
    }


def test_a_bad_cors_origin_fails_at_install(auth: FakeAuth) -> None:
    with pytest.raises(ValueError):
        make_app(auth, cors_origins=["*"])
