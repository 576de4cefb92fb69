"""Concurrent redemption of one authorization code against a real ``jwtgate serve`` (issue
13): 20 racing token requests, on SQLite and on PostgreSQL; exactly one gets tokens, every
other is invalid_grant, and the replays revoke what the winner got (RFC 6749 4.1.2)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ..server.live import ADMIN_PASSWORD, serve
from ..store.dbkit import BACKENDS, fresh_database

REDIRECT = "https://app.example/callback"
RACERS = 20


def _sign_in_and_get_code(base: str, client_id: str, challenge: str) -> str:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as browser:
        page = browser.get("/web/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        signed = browser.post(
            "/web/login",
            data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": csrf.group(1)},
            headers={"origin": base},
        )
        assert signed.status_code == 303, signed.text
        response = browser.get(
            "/auth/authorize",
            params={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": REDIRECT,
                "state": "s",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        assert response.status_code == 303, response.text
        return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_twenty_racing_redemptions_of_one_code_have_exactly_one_winner(
    backend: str, tmp_path: Path
) -> None:
    with (
        fresh_database(backend, tmp_path) as url,
        serve(tmp_path, JWTGATE_DATABASE_URL=url) as live,
    ):
        admin = httpx.post(
            live.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        headers = {"authorization": f"Bearer {admin}"}
        client = httpx.post(
            live.url + "/admin/clients",
            headers=headers,
            json={
                "name": "racer",
                "type": "public",
                "redirect_uris": [REDIRECT],
                "first_party": True,
            },
        ).json()
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        code = _sign_in_and_get_code(live.url, client["client_id"], challenge)
        barrier = threading.Barrier(RACERS)
        results: list[httpx.Response] = []
        lock = threading.Lock()

        def redeem() -> None:
            with httpx.Client(timeout=60) as http:
                barrier.wait()
                response = http.post(
                    live.url + "/auth/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": REDIRECT,
                        "code_verifier": verifier,
                        "client_id": client["client_id"],
                    },
                )
            with lock:
                results.append(response)

        threads = [threading.Thread(target=redeem) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(results) == RACERS
        statuses = sorted(r.status_code for r in results)
        assert statuses.count(200) == 1, statuses
        losers = [r for r in results if r.status_code != 200]
        assert all(r.status_code == 400 and r.json()["error"] == "invalid_grant" for r in losers)
        (winner,) = [r for r in results if r.status_code == 200]
        introspected = httpx.post(
            live.url + "/auth/introspect",
            data={"token": winner.json()["access_token"]},
            headers=headers,
        ).json()
        assert introspected == {"active": False}  # the replays revoked what it issued
