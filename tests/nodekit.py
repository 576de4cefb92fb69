"""Node.js and the npm packages of tests/node (openid-client, oauth4webapi, oidc-provider, jose).

``make node-deps`` runs ``npm ci`` in tests/node from the committed package-lock.json. A test
that needs them calls :func:`require_node_modules`: skipped with the reason when Node or the
installed packages are missing, failed under ``CI=true`` (through tests.backends.unreachable).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.backends import unreachable

NODE_DIR = Path(__file__).resolve().parent / "node"


def require_node_modules(*packages: str) -> tuple[str, Path]:
    """The ``node`` executable and tests/node, once every named package is installed there."""
    node = shutil.which("node")
    if node is None:
        unreachable("Node.js is not installed (apt-get install nodejs npm, then make node-deps)")
    for package in packages:
        if not (NODE_DIR / "node_modules" / package / "package.json").is_file():
            unreachable(f"npm package {package} is not installed: run make node-deps")
    return node, NODE_DIR


def run_node(script: Path | str, *args: str, timeout: float = 60, **kwargs: object) -> str:
    """Run a Node script (ESM) from tests/node; its stdout, or AssertionError with stderr."""
    node, cwd = require_node_modules()
    result = subprocess.run(
        [node, str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"node {script} exited {result.returncode}:\n{result.stderr[-4000:]}")
    return result.stdout


@contextmanager
def node_process(script: str, *args: str, timeout: float = 30) -> Iterator[dict[str, Any]]:
    """Start a long-running Node script of tests/node; yield the JSON object of its first
    stdout line (its "ready" message), and kill it afterwards."""
    node, cwd = require_node_modules()
    proc = subprocess.Popen(
        [node, script, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not ready or not ready[0].strip():
            proc.kill()
            _, err = proc.communicate(timeout=5)
            raise AssertionError(f"node {script} did not start:\n{err[-4000:]}")
        yield json.loads(ready[0])
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
