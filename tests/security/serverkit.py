"""A real ``jwtgate serve`` for the security tests: its own process on a free loopback port,
a temporary SQLite database, cheap argon2, an admin and a plain user ready.

Requests can claim another client address with X-Forwarded-For: uvicorn (which ``jwtgate
serve`` runs) trusts that header from 127.0.0.1 only, its default, and the tests talk to it
from 127.0.0.1. The throttle tests use this to stand for many addresses.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jwtgate import Key
from jwtgate.auth import build_auth
from jwtgate.config import Settings

ADMIN_PASSWORD = "Security-admin-pass-42"
USER = "alice"
USER_PASSWORD = "correct horse battery staple 42"


@dataclass
class Server:
    """A running ``jwtgate serve`` and what the tests need to attack it."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    settings: Settings
    client: httpx.Client

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")

    def login(self, username: str, password: str, address: str = "192.0.2.1") -> httpx.Response:
        """POST /auth/login as if from ``address`` (X-Forwarded-For)."""
        return self.client.post(
            "/auth/login",
            json={"username": username, "password": password},
            headers={"X-Forwarded-For": address},
        )

    def token(self, username: str = USER, password: str = USER_PASSWORD) -> dict[str, str]:
        """A fresh token pair for ``username``."""
        response = self.login(username, password, address="192.0.2.200")
        assert response.status_code == 200, response.text
        body: dict[str, str] = response.json()
        return body

    def signing_key(self) -> Key:
        """The server's own private signing key, read from its database the way a second
        instance would (for tokens that are wrong in exactly one way besides the signature)."""
        auth = build_auth(self.settings)
        try:
            key: Key = auth._ctx.keyring.signing_key
            return key
        finally:
            auth.close()


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jwtgate_command() -> list[str]:
    """The installed ``jwtgate`` script of this virtualenv."""
    script = Path(sys.executable).with_name("jwtgate")
    found = str(script) if script.is_file() else shutil.which("jwtgate")
    if found is None:
        pytest.fail("the jwtgate command is not installed (pip install -e .)", pytrace=False)
    return [found]


@contextmanager
def serve(workdir: Path, **env: str) -> Iterator[Server]:
    """Start ``jwtgate serve``, wait for /healthz, create the plain user; stop it after."""
    port = free_port()
    database = f"sqlite:///{workdir}/jwtgate-{port}.db"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_DATABASE_URL": database,
        "JWTGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWTGATE_ARGON2_TIME_COST": "1",
        "JWTGATE_ARGON2_MEMORY_COST": "1024",
        **env,
    }
    settings = Settings(
        database_url=database,
        issuer=f"http://127.0.0.1:{port}",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
    )
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*jwtgate_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=workdir,
        )
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=10)
    server = Server(url, process, log, settings, client)
    try:
        _wait_until_healthy(server)
        admin = server.login("admin", ADMIN_PASSWORD, address="192.0.2.201")
        assert admin.status_code == 200, admin.text
        created = client.post(
            "/admin/users",
            json={"username": USER, "password": USER_PASSWORD, "roles": ["user"]},
            headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
        )
        assert created.status_code == 201, created.text
        yield server
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"jwtgate serve exited early:\n{server.output()}", pytrace=False)
        try:
            if server.client.get("/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"jwtgate serve did not start:\n{server.output()}", pytrace=False)
        time.sleep(0.1)
