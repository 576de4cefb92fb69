"""Forwarded headers against a real ``jwtgate serve``: believed only from the proxies named in
``JWTGATE_FORWARDED_ALLOW_IPS`` (default none). Before, uvicorn's default believed every
loopback peer, so any local process could pick its own client address (and so its own
per-address throttle count) and turn cookies ``Secure`` with ``X-Forwarded-Proto: https``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .live import serve

pytestmark = pytest.mark.slow


def spray(url: str, n: int) -> list[int]:
    """``n`` failed logins for different usernames, each claiming a different address."""
    return [
        httpx.post(
            url + "/auth/login",
            json={"username": f"spray{i}", "password": "guess"},
            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
        ).status_code
        for i in range(n)
    ]


def cookie_names(url: str, proto: str) -> set[str]:
    page = httpx.get(url + "/web/login", headers={"X-Forwarded-Proto": proto})
    assert page.status_code == 200
    return {c.split("=", 1)[0] for c in page.headers.get_list("set-cookie")}


def test_a_local_process_cannot_pick_its_client_address_or_scheme(tmp_path: Path) -> None:
    with serve(tmp_path) as live:
        # Every attempt counts for 127.0.0.1, whatever X-Forwarded-For claims: 20, then 429.
        statuses = spray(live.url, 21)
        assert statuses[:20] == [401] * 20 and statuses[20] == 429, statuses
        # Plain HTTP on loopback keeps plain cookie names; the header does not make it https.
        assert not any(n.startswith("__Host-") for n in cookie_names(live.url, "https"))


def test_the_configured_proxy_is_believed(tmp_path: Path) -> None:
    with serve(tmp_path, JWTGATE_FORWARDED_ALLOW_IPS="127.0.0.1") as live:
        assert spray(live.url, 25) == [401] * 25  # 25 addresses, one failure each
        assert any(n.startswith("__Host-") for n in cookie_names(live.url, "https"))
