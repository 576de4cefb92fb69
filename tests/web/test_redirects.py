"""``next`` only ever names one of our pages, in normal form (issue 11 item 13)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from jwtgate.server.web.redirects import NEXT_PATHS, NEXT_PREFIXES, safe_next

from .webkit import client

KEPT = [
    "/web/account",
    "/web/admin/keys",
    "/web/account?tab=1",
    "/web/admin/users/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "/web/admin/events?type=login_failed&user=x%20y",
    "/web/account?next=../../auth/me",  # dots in the query change no path
    "/web/inspect/",
    "/web/%61ccount",  # an encoded letter is still a page under /web/
]

REFUSED = [
    None,
    "",
    "web/account",
    "https://evil.example/web/",
    "//evil.example/web/",
    "/web\\@evil",
    "/auth/me",
    "/web",
    # Dot segments, plain and percent-encoded in every case mix (a browser resolves them all).
    "/web/..//evil.example",
    "/web/../auth/me",
    "/web/./account",
    "/web/.",
    "/web/..",
    "/web/%2e%2e/auth/me",
    "/web/%2E%2E/auth/me",
    "/web/.%2e/auth/me",
    "/web/%2e./auth/me",
    "/web/%2e/account",
    "/web/%2e%2e%2fauth/me",
    "/web/admin/%2e%2e/%2e%2e/auth/me",
    # Encoded twice: whoever decodes again would see dots.
    "/web/%252e%252e/auth/me",
    # Backslashes (read as "/" by browsers), raw and encoded.
    "/web/\\..\\auth/me",
    "/web/%5c%5cevil.example",
    "/web/%5C..%5Cauth/me",
    # Tab, newline, CR, NUL and space: dropped or mangled by browsers and headers.
    "/web/.\t./auth/me",
    "/web/..\n/auth/me",
    "/web/account\r\nSet-Cookie: x=1",
    "/web/account%0d%0aSet-Cookie:%20x=1",
    "/web/acc\x00ount",
    "/web/ account",
    # Empty segments: "/web//evil.example" is one resolution away from a host.
    "/web//evil.example",
    "/web/%2f/evil.example",
    "/web/account#fragment",
    "/web/%ff%fe",  # not UTF-8
    "/%77eb/../auth/me",
    "/web/" + "a" * 3000,
]


@pytest.mark.parametrize("value", KEPT)
def test_a_page_under_web_in_normal_form_is_kept(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize("value", REFUSED)
def test_anything_else_falls_back_to_the_default(value: str | None) -> None:
    assert safe_next(value) == "/web/account"
    assert safe_next(value, "/web/login") == "/web/login"


def test_the_allow_list_takes_exact_paths_beside_prefixes() -> None:
    """The authorization endpoint sends its sign-in through the pages: an exact path is
    allowed with its query, nothing under it or beside it, and dot segments never."""
    assert NEXT_PREFIXES == ("/web/",) and NEXT_PATHS == ("/auth/authorize",)
    paths = ("/auth/authorize",)
    target = "/auth/authorize?client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"
    assert safe_next(target, paths=paths) == target
    assert safe_next(target) == target  # the default allow-list has it
    assert safe_next(target, paths=()) == "/web/account"  # and only the allow-list allows it
    for refused in (
        "/auth/authorize/",
        "/auth/authorizeX",
        "/auth/authorize/../me",
        "/auth/%61uthorize/../me",
        "/web/../auth/authorize",
        "/auth/token",
    ):
        assert safe_next(refused, paths=paths) == "/web/account", refused
        assert safe_next(refused) == "/web/account", refused
    assert safe_next("/web/account", paths=paths) == "/web/account"
    assert safe_next("/web/account", "/web/login", prefixes=(), paths=paths) == "/web/login"


@pytest.mark.parametrize("evil", ["/web/..//evil.example", "/web/../auth/me", "/web/%2e%2e/x"])
def test_sign_in_and_refresh_never_send_the_browser_out_of_the_pages(
    app: FastAPI, evil: str
) -> None:
    c = client(app)
    page = c.get("/web/login", params={"next": evil})
    assert 'name="next" value="/web/account"' in page.text
    response = c.get("/web/session/refresh", params={"next": evil})
    assert response.headers["location"] == "/web/login?next=/web/account", evil
