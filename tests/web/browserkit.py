"""Browser-test plumbing: Debian's chromium, a real ``jwtgate serve`` on a free port, an
attacker page on another origin, and screenshots.

Chromium is the one from the Debian package (``make browser-deps`` installs it). When it is
missing the browser tests are skipped with a message, except under ``CI=true``, where a
missing browser is a failure: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from ..backends import unreachable

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "Browser-admin-pass-42"


def chromium_path() -> str:
    """The chromium executable; skips the test (fails under CI=true) when there is none."""
    for candidate in (os.environ.get("JWTGATE_CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    message = (
        "chromium not found (looked for /usr/bin/chromium): run `make browser-deps` "
        "(apt-get install -y chromium) to run the browser tests"
    )
    unreachable(message)


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``jwtgate serve`` process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")


def _jwtgate_command() -> list[str]:
    script = Path(sys.executable).with_name("jwtgate")
    if script.is_file():
        return [str(script)]
    found = shutil.which("jwtgate")
    if found is None:
        pytest.fail("the jwtgate command is not installed (pip install -e .)", pytrace=False)
    return [found]


@contextmanager
def serve(workdir: Path, port: int | None = None, **env: str) -> Iterator[Server]:
    """Start ``jwtgate serve`` on ``port`` (default: a free one) with a temp SQLite database
    and cheap argon2; wait until the sign-in page answers; stop it afterwards."""
    port = port or free_port()
    log = workdir / f"serve-{port}.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_DATABASE_URL": f"sqlite:///{workdir}/jwtgate-{port}.db",
        "JWTGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWTGATE_ARGON2_TIME_COST": "1",
        "JWTGATE_ARGON2_MEMORY_COST": "1024",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_jwtgate_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=workdir,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"jwtgate serve exited early:\n{server.output()}", pytrace=False)
            try:
                if httpx.get(server.url + "/web/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jwtgate serve did not start:\n{server.output()}", pytrace=False)
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def attacker_site(target: str) -> Iterator[str]:
    """A page on another origin (same host, other port: same *site*, so SameSite cookies
    still go along) whose form posts to ``target``. Yields the page's URL."""
    page = (
        "<!doctype html><title>You won!</title><h1>Claim your prize</h1>"
        f'<form method="post" action="{target}">'
        '<input type="hidden" name="csrf_token" value="guessed-token-value">'
        '<button type="submit">Claim</button></form>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/prize"
    finally:
        httpd.shutdown()
        httpd.server_close()


def publish_screenshots() -> None:
    """Copy the latest screenshots to docs/screenshots (``make screenshots`` sets
    JWTGATE_PUBLISH_SCREENSHOTS=1; ordinary runs leave the committed set alone)."""
    if os.environ.get("JWTGATE_PUBLISH_SCREENSHOTS") != "1" or not SCREENSHOTS.is_dir():
        return
    DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for png in sorted(SCREENSHOTS.glob("*.png")):
        shutil.copy2(png, DOC_SCREENSHOTS / png.name)
