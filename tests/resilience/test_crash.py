"""kill -9 during mixed load: after a restart on the same database, every acknowledged write
is present, nothing acknowledged as revoked has come back, and SQLite's integrity check passes.
Real processes: the server is a ``jwtgate serve`` subprocess killed with SIGKILL."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx

from ..web.browserkit import ADMIN_PASSWORD, serve

USER_PASSWORD = "crash test dummy password 7"


class Ledger:
    """What the server acknowledged before it died."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: dict[str, str] = {}  # id -> username
        self.revoked_access: list[str] = []
        self.revoked_refresh: list[str] = []
        self.rotated_refresh: list[str] = []
        self.live_refresh: dict[str, str] = {}  # username -> refresh token
        self.unexpected: list[str] = []


def admin_token(url: str) -> str:
    r = httpx.post(f"{url}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def load(url: str, admin: str, worker: int, ledger: Ledger, stop: threading.Event) -> None:
    n = 0
    with httpx.Client(base_url=url, timeout=5) as c:
        while not stop.is_set():
            n += 1
            name = f"w{worker}-{n}"
            try:
                r = c.post(
                    "/admin/users",
                    json={"username": name, "password": USER_PASSWORD},
                    headers={"authorization": f"Bearer {admin}"},
                )
                if r.status_code == 201:
                    with ledger.lock:
                        ledger.users[r.json()["id"]] = name
                login = c.post("/auth/login", json={"username": name, "password": USER_PASSWORD})
                if login.status_code != 200:
                    continue
                pair = login.json()
                refreshed = c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
                if refreshed.status_code != 200:
                    with ledger.lock:
                        ledger.unexpected.append(
                            f"refresh {refreshed.status_code} {refreshed.text}"
                        )
                    continue
                with ledger.lock:
                    ledger.rotated_refresh.append(pair["refresh_token"])
                pair = refreshed.json()
                if n % 2:
                    out = c.post(
                        "/auth/logout", headers={"authorization": f"Bearer {pair['access_token']}"}
                    )
                    if out.status_code == 204:
                        with ledger.lock:
                            ledger.revoked_access.append(pair["access_token"])
                            ledger.revoked_refresh.append(pair["refresh_token"])
                else:
                    with ledger.lock:
                        ledger.live_refresh[name] = pair["refresh_token"]
            except httpx.TransportError:
                return  # the server is gone: whatever was not acknowledged may be lost


def test_kill_9_under_mixed_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    database = tmp_path / "crash.db"
    # No reuse interval: every token rotated before the crash must count as reuse after it,
    # however soon the restart comes.
    env = {"JWTGATE_DATABASE_URL": f"sqlite:///{database}", "JWTGATE_REFRESH_REUSE_INTERVAL": "0"}
    ledger = Ledger()
    stop = threading.Event()
    with serve(tmp_path, **env) as server:
        admin = admin_token(server.url)
        workers = [
            threading.Thread(target=load, args=(server.url, admin, i, ledger, stop))
            for i in range(4)
        ]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 30
        while len(ledger.revoked_access) < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.process.kill()  # SIGKILL mid-load: no shutdown hook runs
        server.process.wait()
        stop.set()
        for w in workers:
            w.join()
    assert len(ledger.users) >= 15 and len(ledger.revoked_access) >= 15
    assert not ledger.unexpected, ledger.unexpected[:5]

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with serve(tmp_path, **env) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        admin = admin_token(server.url)
        auth = {"authorization": f"Bearer {admin}"}
        for user_id, name in ledger.users.items():
            r = c.get(f"/admin/users/{user_id}", headers=auth)
            assert r.status_code == 200, (name, r.status_code)
            assert r.json()["username"] == name
        for token in ledger.revoked_access:
            assert (
                c.get("/auth/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
            )
        # Sessions that were alive still are: the crash revoked nothing by itself.
        assert ledger.live_refresh
        for name, token in list(ledger.live_refresh.items())[:10]:
            r = c.post("/auth/refresh", json={"refresh_token": token})
            assert r.status_code == 200, (name, r.text)
        # Checked last: presenting a rotated token revokes its session (reuse detection).
        for token in ledger.revoked_refresh + ledger.rotated_refresh[:50]:
            assert c.post("/auth/refresh", json={"refresh_token": token}).status_code == 401
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
