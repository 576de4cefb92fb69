"""End to end against a real ``jwtgate serve``: the seed's flow, races with real concurrency,
durability across kill -9, and several workers on one database."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .live import ADMIN_PASSWORD, Live, serve, start
from .serverkit import PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("live"), JWTGATE_ALLOW_REGISTRATION="true") as server:
        yield server


def admin_headers(url: str) -> dict[str, str]:
    response = httpx.post(
        url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"authorization": "Bearer " + response.json()["access_token"]}


def add_user(url: str, admin: dict[str, str], username: str) -> None:
    response = httpx.post(
        url + "/admin/users", headers=admin, json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text


def test_the_seed_flow(live: Live) -> None:
    url = live.url
    add_user(url, admin_headers(url), "alice")
    with httpx.Client(base_url=url) as http:
        login = http.post("/auth/login", json={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200
        first = login.json()
        me = http.get("/auth/me", headers={"authorization": "Bearer " + first["access_token"]})
        assert me.status_code == 200 and me.json()["username"] == "alice"

        refresh = http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert refresh.status_code == 200
        second = refresh.json()
        current = {"authorization": "Bearer " + second["access_token"]}
        assert http.get("/auth/me", headers=current).status_code == 200

        assert http.post("/auth/logout", headers=current).status_code == 204
        for token in (first["access_token"], second["access_token"]):
            rejected = http.get("/auth/me", headers={"authorization": "Bearer " + token})
            assert rejected.status_code == 401
            assert rejected.json()["error"] == "invalid_token"
        for token in (first["refresh_token"], second["refresh_token"]):
            dead = http.post("/auth/refresh", json={"refresh_token": token})
            assert dead.status_code == 401 and dead.json()["error"] == "invalid_grant"

    output = live.output()
    for secret in (PASSWORD, ADMIN_PASSWORD, first["refresh_token"], second["access_token"]):
        assert secret not in output
    assert '"route":"/auth/refresh"' in output  # the JSON access log is there
    assert "curl -s -X POST" in output and "/auth/login" in output


def race(n: int, send: Any) -> list[httpx.Response]:
    """Run ``send(client)`` in n threads released at once; their responses."""
    barrier = threading.Barrier(n)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            response = send(http)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_simultaneous_refreshes_rotate_the_token_once(live: Live) -> None:
    """Within the reuse interval every request gets the one successor; the session lives."""
    add_user(live.url, admin_headers(live.url), "racer")
    tokens = httpx.post(
        live.url + "/auth/login", json={"username": "racer", "password": PASSWORD}
    ).json()
    results = race(
        20,
        lambda http: http.post(
            live.url + "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ),
    )
    assert [r.status_code for r in results] == [200] * 20, [r.text for r in results]
    successors = {r.json()["refresh_token"] for r in results}
    assert len(successors) == 1
    again = httpx.post(live.url + "/auth/refresh", json={"refresh_token": successors.pop()})
    assert again.status_code == 200


def test_simultaneous_registrations_of_one_name_give_exactly_one_201(live: Live) -> None:
    results = race(
        20,
        lambda http: http.post(
            live.url + "/auth/register", json={"username": "samename", "password": PASSWORD}
        ),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 19
    login = httpx.post(
        live.url + "/auth/login", json={"username": "samename", "password": PASSWORD}
    )
    assert login.status_code == 200


class Stream:
    """Threads that create users and refresh token chains until told to stop, recording
    what the server acknowledged."""

    def __init__(self, url: str, admin: dict[str, str], chains: list[str]) -> None:
        self.url, self.admin = url, admin
        self.stop = threading.Event()
        self.created: list[str] = []
        self.chains = [[token] for token in chains]  # acknowledged tokens, oldest first
        self.in_flight = [False] * len(chains)
        self.threads = [threading.Thread(target=self.create_users, args=(n,)) for n in range(2)]
        self.threads += [
            threading.Thread(target=self.refresh, args=(i,)) for i in range(len(chains))
        ]

    def create_users(self, worker: int) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            for n in range(10_000):
                if self.stop.is_set():
                    return
                name = f"user-{worker}-{n}"
                try:
                    response = http.post(
                        "/admin/users",
                        headers=self.admin,
                        json={"username": name, "password": PASSWORD},
                    )
                except httpx.TransportError:
                    return
                if response.status_code == 201:
                    self.created.append(name)

    def refresh(self, chain: int) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self.stop.is_set():
                self.in_flight[chain] = True
                try:
                    response = http.post(
                        "/auth/refresh", json={"refresh_token": self.chains[chain][-1]}
                    )
                except httpx.TransportError:
                    return
                if response.status_code == 200:
                    self.chains[chain].append(response.json()["refresh_token"])
                self.in_flight[chain] = False

    def busy_enough(self) -> bool:
        """Users created and every chain rotated enough for the checks to mean something."""
        return len(self.created) > 5 and all(len(c) > 3 for c in self.chains)

    def __enter__(self) -> Stream:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def test_kill_9_loses_nothing_that_was_acknowledged(tmp_path: Path) -> None:
    server = start(tmp_path)
    admin = admin_headers(server.url)
    client = httpx.post(
        server.url + "/admin/clients", headers=admin, json={"name": "checker"}
    ).json()
    chains = []
    for n in range(4):
        add_user(server.url, admin, f"chain{n}")
        login = httpx.post(
            server.url + "/auth/login", json={"username": f"chain{n}", "password": PASSWORD}
        )
        chains.append(login.json()["refresh_token"])
    try:
        with Stream(server.url, admin, chains) as stream:
            # Kill once every chain has rotated a few times (how long that takes depends on
            # the machine), with requests in flight.
            deadline = time.monotonic() + 60
            while not stream.busy_enough() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            server.kill9()
            # Read after the kill: a chain marked idle now sent nothing that could have been
            # committed unacknowledged (its flag is set before each request is sent).
            in_flight = list(stream.in_flight)
    finally:
        if server.process.poll() is None:
            server.kill9()
    assert stream.busy_enough()

    db = tmp_path / "jwtgate.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with serve(tmp_path) as again:
        admin = admin_headers(again.url)
        names: set[str] = set()
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(again.url + "/admin/users", headers=admin, params=params).json()
            names.update(u["username"] for u in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        missing = [name for name in stream.created if name not in names]
        assert missing == []

        auth = (client["client_id"], client["client_secret"])

        def active(token: str) -> bool:
            response = httpx.post(again.url + "/auth/introspect", data={"token": token}, auth=auth)
            assert response.status_code == 200
            return bool(response.json()["active"])

        for chain, busy in zip(stream.chains, in_flight, strict=True):
            # Every acknowledged rotation is durable: the token it consumed stays dead...
            assert not active(chain[-2])
            # ...and the token it handed out is alive, unless a request with it was cut short
            # by the kill (then it may have been consumed just before the crash).
            if not busy:
                assert active(chain[-1])
        # The restarted server still answers the whole flow.
        login = httpx.post(
            again.url + "/auth/login", json={"username": "chain0", "password": PASSWORD}
        )
        assert login.status_code == 200


def test_several_workers_share_revocations(tmp_path: Path) -> None:
    with serve(tmp_path, "--workers", "2", JWTGATE_REVOCATION_POLL_INTERVAL="0.2") as server:
        add_user(server.url, admin_headers(server.url), "alice")
        tokens = httpx.post(
            server.url + "/auth/login", json={"username": "alice", "password": PASSWORD}
        ).json()
        headers = {"authorization": "Bearer " + tokens["access_token"]}
        assert httpx.get(server.url + "/auth/me", headers=headers).status_code == 200
        assert httpx.post(server.url + "/auth/logout", headers=headers).status_code == 204
        time.sleep(0.6)  # two poll intervals, plus scheduling slack on a busy machine
        # New connections land on either worker; none may accept the revoked token.
        statuses = {
            httpx.get(server.url + "/auth/me", headers=headers).status_code for _ in range(20)
        }
        assert statuses == {401}


def test_metrics_answer_a_direct_loopback_peer_and_refuse_a_forwarded_one(live: Live) -> None:
    """uvicorn resolves X-Forwarded-For from loopback proxies into the client address; the
    metrics check does not take that address on trust: a forwarded request is refused."""
    assert httpx.get(live.url + "/metrics").status_code == 200
    for value in ("127.0.0.1", "203.0.113.1", "::1"):
        forwarded = httpx.get(live.url + "/metrics", headers={"x-forwarded-for": value})
        assert forwarded.status_code == 403, value
        assert forwarded.json()["error"] == "access_denied"
