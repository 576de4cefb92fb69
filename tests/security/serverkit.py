"""A real ``jwtgate serve`` for the security tests: its own process on a free loopback port
(started by the browser tests' launcher), a temporary SQLite database, cheap argon2, an admin
and a plain user ready.

Requests can claim another client address with X-Forwarded-For: the server is started with
``JWTGATE_FORWARDED_ALLOW_IPS=127.0.0.1`` (as behind a proxy on the same machine; the default
trusts no one), and the tests talk to it from 127.0.0.1. The throttle tests use this to stand
for many addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import httpx

from jwtgate import Key
from jwtgate.auth import build_auth
from jwtgate.config import Settings

from ..web.browserkit import serve as serve_process

ADMIN_PASSWORD = "Security-admin-pass-42"
USER = "alice"
USER_PASSWORD = "correct horse battery staple 42"


@dataclass
class Server:
    """A running ``jwtgate serve`` and what the tests need to attack it."""

    url: str
    process: Popen[bytes]
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


@contextmanager
def serve(workdir: Path) -> Iterator[Server]:
    """Start ``jwtgate serve`` (the browser tests' launcher, with a database of our own),
    then log the admin in and create the plain user; stop it after."""
    database = f"sqlite:///{workdir}/security.db"
    with serve_process(
        workdir,
        JWTGATE_DATABASE_URL=database,
        JWTGATE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        JWTGATE_FORWARDED_ALLOW_IPS="127.0.0.1",
    ) as process:
        settings = Settings(
            database_url=database, issuer=process.url, argon2_time_cost=1, argon2_memory_cost=1024
        )
        with httpx.Client(base_url=process.url, timeout=10) as client:
            server = Server(process.url, process.process, process.log, settings, client)
            admin = server.login("admin", ADMIN_PASSWORD, address="192.0.2.201")
            assert admin.status_code == 200, admin.text
            created = client.post(
                "/admin/users",
                json={"username": USER, "password": USER_PASSWORD, "roles": ["user"]},
                headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
            )
            assert created.status_code == 201, created.text
            yield server
