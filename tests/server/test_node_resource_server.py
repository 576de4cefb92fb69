"""docs/resource-servers.md's Node resource server (npm ``jose``), run against a real server.

The script in the doc is tests/node/resource_server.mjs, character for character; here it runs
in Node in front of a real ``jwtgate serve`` signing with each algorithm jose knows, and
accepts, refuses and checks roles as the doc says.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.docblocks import fenced_blocks
from tests.nodekit import require_node_modules
from tests.server.live import ADMIN_PASSWORD, Live, free_port, serve

DOC = Path(__file__).resolve().parents[2] / "docs" / "resource-servers.md"
SCRIPT = "resource_server.mjs"
PASSWORD = "correct horse battery staple"


def test_the_doc_shows_the_script_that_is_tested() -> None:
    node_dir = Path(__file__).resolve().parents[1] / "node"
    script = (node_dir / SCRIPT).read_text()
    shown = [b.body for b in fenced_blocks(DOC) if b.lang == "js"]
    assert script in shown, f"docs/resource-servers.md must show tests/node/{SCRIPT} as it is"


@contextmanager
def node_resource_server(issuer: str) -> Iterator[str]:
    node, node_dir = require_node_modules("jose")
    port = free_port()
    env = {**os.environ, "JWTGATE_ISSUER": issuer, "JWTGATE_AUDIENCE": "api", "PORT": str(port)}
    process = subprocess.Popen(
        [node, SCRIPT],
        cwd=node_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the Node resource server did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def login(live: Live, username: str, password: str) -> dict[str, str]:
    answer = httpx.post(
        f"{live.url}/auth/login", json={"username": username, "password": password}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "PS256", "EdDSA", "Ed25519"])
def test_node_jose_accepts_jwtgate_tokens_as_the_doc_configures_it(
    tmp_path: Path, alg: str
) -> None:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    with (
        serve(tmp_path, port=port, JWTGATE_ISSUER=issuer, JWTGATE_ALGORITHM=alg) as live,
        node_resource_server(issuer) as api,
    ):
        admin = login(live, "admin", ADMIN_PASSWORD)
        created = httpx.post(
            f"{live.url}/admin/users",
            json={"username": "bob", "password": PASSWORD},
            headers=admin,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        bob = login(live, "bob", PASSWORD)

        mine = httpx.get(f"{api}/orders", headers=admin, timeout=10)
        assert mine.status_code == 200, mine.text
        assert mine.json()["for"] == "admin" and mine.json()["roles"] == ["admin"]
        assert httpx.get(f"{api}/admin/report", headers=admin, timeout=10).status_code == 200
        refused = httpx.get(f"{api}/admin/report", headers=bob, timeout=10)
        assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"

        assert httpx.get(f"{api}/orders", timeout=10).status_code == 401
        token = bob["authorization"].split(" ", 1)[1]
        header, claims, signature = token.split(".")
        tampered = {"authorization": f"Bearer {header}.{claims}.{signature[::-1]}"}
        bad = httpx.get(f"{api}/orders", headers=tampered, timeout=10)
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
        assert bad.headers["www-authenticate"] == 'Bearer error="invalid_token"'
