"""A real ``jwtgate serve`` process on a free port, for the end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ADMIN_PASSWORD = "live admin password 42"
LIVE_ISSUER = "http://jwtgate.live.test"


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jwtgate_command() -> list[str]:
    """The installed console script of this virtualenv."""
    script = Path(sys.executable).with_name("jwtgate")
    if not script.is_file():
        pytest.fail("the jwtgate command is not installed (pip install -e .)", pytrace=False)
    return [str(script)]


@dataclass
class Live:
    """A running server: its URL, process and combined output."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(repr=False)

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        """SIGKILL the server and every worker (no clean shutdown at all)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the group), then kill if it hangs."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill9()


def start(workdir: Path, *args: str, port: int | None = None, **env: str) -> Live:
    """Start ``jwtgate serve`` on a temp SQLite database; wait until /healthz answers."""
    port = port or free_port()
    log = workdir / f"serve-{port}.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_DATABASE_URL": f"sqlite:///{workdir}/jwtgate.db",
        "JWTGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWTGATE_ISSUER": LIVE_ISSUER,
        "JWTGATE_ARGON2_TIME_COST": "1",
        "JWTGATE_ARGON2_MEMORY_COST": "8",
        **env,
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*jwtgate_command(), "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=workdir,
            start_new_session=True,  # its own process group, so kill9 reaches the workers
        )
    live = Live(f"http://127.0.0.1:{port}", process, log, environment)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            pytest.fail(f"jwtgate serve exited early:\n{live.output()}", pytrace=False)
        try:
            if httpx.get(live.url + "/healthz", timeout=1).status_code == 200:
                return live
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            live.kill9()
            pytest.fail(f"jwtgate serve did not start:\n{live.output()}", pytrace=False)
        time.sleep(0.05)


@contextmanager
def serve(workdir: Path, *args: str, port: int | None = None, **env: str) -> Iterator[Live]:
    """``start`` as a context manager that always stops the server."""
    live = start(workdir, *args, port=port, **env)
    try:
        yield live
    finally:
        live.stop()
