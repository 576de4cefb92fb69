"""Small pieces of the web layer: device names, times, redirect targets, word lists."""

from __future__ import annotations

import pytest

from jwtgate.server.web.admin_routes import split_words
from jwtgate.server.web.context import safe_next
from jwtgate.server.web.timefmt import absolute, readable, relative
from jwtgate.server.web.useragent import describe_device


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1",
            "Chrome on iPhone",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/120.0.0.0 Safari/537.36",
            "Chrome (headless) on Linux",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox on Linux",
        ),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.28.1", "Python httpx"),
        ("SomeBot/1.0 (+https://bot.example)", "SomeBot/1.0"),
        ("x" * 100, "x" * 39 + "…"),
        (None, "Unknown device"),
        ("   ", "Unknown device"),
    ],
)
def test_describe_device(agent: str | None, device: str) -> None:
    assert describe_device(agent) == device


def test_times_read_naturally() -> None:
    now = 1_800_000_000.0
    assert absolute(now) == "2027-01-15 08:00:00 UTC"
    assert absolute(None) == "—" and relative(None, now) == "" and readable(None, now) == "—"
    assert relative(now + 2, now) == "just now"
    assert relative(now - 90, now) == "1 min ago"
    assert relative(now + 7200, now) == "in 2 h"
    assert relative(now - 3 * 86400, now) == "3 d ago"
    assert relative(now - 30, now) == "30 s ago"
    assert readable(now - 600, now) == "2027-01-15 07:50:00 UTC (10 min ago)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/web/admin/keys", "/web/admin/keys"),
        ("/web/account?tab=1", "/web/account?tab=1"),
        (None, "/web/account"),
        ("", "/web/account"),
        ("https://evil.example/web/", "/web/account"),
        ("//evil.example/web/", "/web/account"),
        ("/web\\@evil", "/web/account"),
        ("/auth/me", "/web/account"),
        ("web/account", "/web/account"),
    ],
)
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_split_words() -> None:
    assert split_words(" admin, editor  admin\tviewer,,") == ["admin", "editor", "viewer"]
    assert split_words("") == []


def test_audit_detail_values_read_as_text() -> None:
    from jwtgate.server.web.context import detail_text

    assert detail_text(["read", "write"]) == "read, write"
    assert detail_text([]) == "none"
    assert detail_text(None) == ""
    assert detail_text(3) == "3"
