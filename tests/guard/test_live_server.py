"""End to end: a real ``jwtgate serve`` (temp SQLite, cheap argon2) and the two example
services (``examples/fastapi_service.py``, ``examples/flask_service.py``) as real processes,
their Guards following the server's JWKS and revocation feed over HTTP.

The server's tokens are accepted, forged, expired and revoked ones refused; a key rotation is
picked up with no restart; a logout is enforced within the feed interval + 1 s; the server
going down does not take authentication down. Tests run in file order (the last stops the
server).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jwtgate import Key, encode, unverified_header

from ..server.live import ADMIN_PASSWORD, LIVE_ISSUER, Live, free_port, jwtgate_command, serve
from .guardkit import BARE_CHALLENGE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ACCESS_TTL = 5  # short, so that the expiry test waits only that long
FEED_INTERVAL = 1.0
BOB_PASSWORD = "correct horse battery staple 42"


@dataclass
class Example:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.get(self.url + path, headers=headers, timeout=10)


@dataclass
class World:
    live: Live
    examples: list[Example]

    def login(self, username: str = "bob", password: str = BOB_PASSWORD) -> dict[str, Any]:
        response = httpx.post(
            self.live.url + "/auth/login",
            json={"username": username, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def token(self, username: str = "bob") -> str:
        password = ADMIN_PASSWORD if username == "admin" else BOB_PASSWORD
        return str(self.login(username, password)["access_token"])


def create_client(live: Live, workdir: Path) -> tuple[str, str]:
    out = subprocess.run(
        [*jwtgate_command(), "clients", "add", "guard-examples"],
        env=live.env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return fields["client_id"].strip(), fields["client_secret"].strip()


def start_example(name: str, live: Live, client: tuple[str, str], workdir: Path) -> Example:
    port = free_port()
    log = workdir / f"{name}-{port}.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_ISSUER": LIVE_ISSUER,
        "JWTGATE_JWKS_URL": live.url + "/.well-known/jwks.json",
        "JWTGATE_REVOCATION_URL": live.url + "/auth/revocations",
        "JWTGATE_CLIENT_ID": client[0],
        "JWTGATE_CLIENT_SECRET": client[1],
        "JWTGATE_REVOCATION_INTERVAL": str(FEED_INTERVAL),
        "JWTGATE_LEEWAY": "0",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    example = Example(name, f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            pytest.fail(f"{name} exited early:\n{log.read_text()}", pytrace=False)
        try:
            if example.get("/users").status_code == 401:
                return example
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{name} did not start:\n{log.read_text()}", pytrace=False)
        time.sleep(0.1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("guard-live")
    with serve(workdir, JWTGATE_ACCESS_TTL=str(ACCESS_TTL)) as live:
        client = create_client(live, workdir)
        examples = [
            start_example(name, live, client, workdir)
            for name in ("fastapi_service", "flask_service")
        ]
        world = World(live, examples)
        admin = world.token("admin")
        created = httpx.post(
            live.url + "/admin/users",
            json={"username": "bob", "password": BOB_PASSWORD, "roles": ["user"]},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        try:
            yield world
        finally:
            for example in examples:
                example.process.terminate()
                try:
                    example.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    example.process.kill()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_the_server_tokens_are_accepted_with_their_roles(world: World) -> None:
    admin, bob = world.token("admin"), world.token("bob")
    for example in world.examples:
        users = example.get("/users", bob)
        assert users.status_code == 200, (example.name, users.text)
        assert users.json()["requested_by"] == claims_of(bob)["sub"]
        assert example.get("/admin/report", admin).json()["requested_by"] == "admin"
        forbidden = example.get("/admin/report", bob)
        assert forbidden.status_code == 403
        assert forbidden.json()["error"] == "insufficient_scope"
        missing = example.get("/users")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == BARE_CHALLENGE


def test_forged_tokens_are_refused(world: World) -> None:
    bob = world.token("bob")
    header, _, signature = bob.split(".")
    elevated = {**claims_of(bob), "roles": ["admin"]}
    tampered = f"{header}.{b64(json.dumps(elevated).encode())}.{signature}"
    kid = unverified_header(bob)["kid"]
    impostor = encode(elevated, Key.generate("ES256", kid=kid), headers={"typ": "at+jwt"})
    none_header = b64(json.dumps({"alg": "none", "typ": "at+jwt", "kid": kid}).encode())
    unsigned = f"{none_header}.{b64(json.dumps(elevated).encode())}."
    for example in world.examples:
        for forged in (tampered, impostor, unsigned):
            response = example.get("/admin/report", forged)
            assert response.status_code == 401, (example.name, response.text)
            assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_logout_is_enforced_within_the_interval_plus_one_second(world: World) -> None:
    pair = world.login()
    token = pair["access_token"]
    for example in world.examples:
        assert example.get("/users", token).status_code == 200
    logout = httpx.post(
        world.live.url + "/auth/logout",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert logout.status_code == 204
    revoked_at = time.monotonic()
    pending = list(world.examples)
    while pending and time.monotonic() - revoked_at < FEED_INTERVAL + 1.0:
        pending = [e for e in pending if e.get("/users", token).status_code != 401]
        time.sleep(0.05)
    assert not pending, [e.name for e in pending]
    for example in world.examples:
        assert "revoked" in example.get("/users", token).json()["error_description"]
        assert example.get("/users", world.token()).status_code == 200  # a new session is fine


def test_a_key_rotation_is_picked_up_without_restart(world: World) -> None:
    before = world.token("admin")
    rotated = httpx.post(
        world.live.url + "/admin/keys/rotate",
        headers={"Authorization": f"Bearer {before}"},
        timeout=10,
    )
    assert rotated.status_code == 201, rotated.text
    after = world.token("bob")
    assert unverified_header(after)["kid"] != unverified_header(before)["kid"]
    for example in world.examples:
        assert example.get("/users", after).status_code == 200, example.name
        assert example.get("/admin/report", before).status_code == 200, example.name


def test_an_expired_token_is_refused(world: World) -> None:
    token = world.token("bob")
    for example in world.examples:
        assert example.get("/users", token).status_code == 200
    time.sleep(max(0.0, claims_of(token)["exp"] - time.time()) + 0.2)
    for example in world.examples:
        response = example.get("/users", token)
        assert response.status_code == 401
        assert "expired" in response.json()["error_description"]


def test_the_server_going_down_does_not_take_authentication_down(world: World) -> None:
    seen, unseen = world.token("bob"), world.token("admin")
    for example in world.examples:
        assert example.get("/users", seen).status_code == 200
    world.live.stop()
    time.sleep(FEED_INTERVAL + 0.5)  # the feed has failed at least once by now
    for example in world.examples:
        assert example.get("/users", seen).status_code == 200, example.name
        assert example.get("/admin/report", unseen).status_code == 200, example.name
        assert example.get("/users", "garbage").status_code == 401
        assert example.process.poll() is None
    assert "revocation feed" in world.examples[0].log.read_text()
