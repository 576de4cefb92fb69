"""Races against a real ``jwtgate serve`` process, with real concurrent requests: the
invariants hold whatever the interleaving (one rotation, nothing accepted after revocation, no
request failing because of a key rotation)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ..security.serverkit import ADMIN_PASSWORD, USER, USER_PASSWORD, Server, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("races")) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def together(n: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run ``fn(0..n-1)`` in n threads released at the same instant."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def admin_token(server: Server) -> str:
    return server.token("admin", ADMIN_PASSWORD)["access_token"]


def test_concurrent_logout_and_refresh_leave_nothing_alive(server: Server) -> None:
    for _ in range(5):
        pair = server.token()

        def act(i: int, pair: dict[str, str] = pair) -> httpx.Response:
            with httpx.Client(base_url=server.url, timeout=10) as c:
                if i == 0:
                    return c.post("/auth/logout", headers=bearer(pair["access_token"]))
                return c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})

        logout, *refreshes = together(6, act)
        # 401 when the session had already ended (a refresh seen as reuse) before the logout
        # arrived; within the reuse interval the racing refreshes all get one successor.
        assert logout.status_code in (204, 401)
        assert all(r.status_code in (200, 401) for r in refreshes)
        # Whatever won the race, the session is dead now: no new pair works.
        for r in refreshes:
            if r.status_code == 200:
                new = r.json()
                assert (
                    server.client.get("/auth/me", headers=bearer(new["access_token"])).status_code
                    == 401
                )
                again = server.client.post(
                    "/auth/refresh", json={"refresh_token": new["refresh_token"]}
                )
                assert again.status_code == 401
        assert (
            server.client.get("/auth/me", headers=bearer(pair["access_token"])).status_code == 401
        )


def test_role_change_during_logins_takes_effect_for_every_token(server: Server) -> None:
    admin = admin_token(server)
    created = server.client.post(
        "/admin/users",
        json={"username": "racer", "password": USER_PASSWORD, "roles": ["admin"]},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    tokens: list[str] = []

    def act(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            if i == 0:
                patched = c.patch(
                    f"/admin/users/{user_id}", json={"roles": ["user"]}, headers=bearer(admin)
                )
                assert patched.status_code == 200, patched.text
                return
            for _ in range(3):
                r = c.post(
                    "/auth/login",
                    json={"username": "racer", "password": USER_PASSWORD},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"},
                )
                assert r.status_code == 200, r.text
                tokens.append(r.json()["access_token"])

    together(6, act)
    # After the change is acknowledged, no token may still carry the old role.
    for token in tokens:
        me = server.client.get("/auth/me", headers=bearer(token))
        assert me.status_code in (200, 401)
        if me.status_code == 200:
            assert me.json()["roles"] == ["user"]
        admin_only = server.client.get("/admin/users", headers=bearer(token))
        assert admin_only.status_code in (401, 403)


def test_key_rotation_during_verification_fails_no_request(server: Server) -> None:
    admin = admin_token(server)
    stop = threading.Event()
    failures: list[str] = []
    checked = [0]

    def verify_loop() -> None:
        try:
            verify(stop)
        except Exception as exc:  # a dead thread must fail the test
            failures.append(repr(exc))

    def verify(stop: threading.Event) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            token = server.token()["access_token"]
            while not stop.is_set():
                r = c.get("/auth/me", headers=bearer(token))
                checked[0] += 1
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                # Tokens signed by the newest key must verify at once, too.
                token = server.token()["access_token"] if checked[0] % 5 == 0 else token

    threads = [threading.Thread(target=verify_loop) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(1, 5):
            # Rotate only while verifications are in flight, and let some pass in between.
            deadline = time.monotonic() + 30
            while checked[0] < 10 * n and time.monotonic() < deadline and not failures:
                time.sleep(0.01)
            r = server.client.post("/admin/keys/rotate", headers=bearer(admin))
            assert r.status_code == 201, r.text
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert checked[0] > 0
    assert not failures, failures[:5]
    jwks = server.client.get("/.well-known/jwks.json").json()
    assert len(jwks["keys"]) >= 5  # the retired keys stay until their tokens expire


def test_concurrent_refresh_rotates_once_and_an_older_token_still_revokes(
    server: Server,
) -> None:
    """20 presentations at once: one rotation, and every request gets its successor (the
    reuse interval); the token two rotations back is reuse and ends the session."""
    pair = server.token(USER, USER_PASSWORD)

    def act(i: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            return c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})

    answers = together(20, act)
    assert [r.status_code for r in answers] == [200] * 20, [r.text for r in answers]
    (successor,) = {r.json()["refresh_token"] for r in answers}
    latest = server.client.post("/auth/refresh", json={"refresh_token": successor})
    assert latest.status_code == 200
    reuse = server.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reuse.status_code == 401
    me = server.client.get("/auth/me", headers=bearer(latest.json()["access_token"]))
    assert me.status_code == 401
