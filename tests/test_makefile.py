"""The Makefile's serve target: what it installs and where it listens (``make -n``: shown,
not run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*args: str, **env: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        # --no-print-directory: under `make test` this make is a sub-make, which would
        # otherwise print "Entering directory" lines around the commands.
        ["make", "--no-print-directory", "-n", "-B", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in {**os.environ, **env}.items() if k not in ("MAKEFLAGS", "MFLAGS")},
        timeout=60,
        check=True,
    )
    return result.stdout


def test_make_serve_installs_only_what_serving_needs() -> None:
    serve = dry_run("serve")
    assert "pip install -q -e .\n" in serve and ".[dev]" not in serve
    assert serve.rstrip().endswith(".venv/bin/jwtgate serve")
    test = dry_run("test")
    assert "pip install -q -e '.[dev]'" in test


def test_make_serve_takes_port_and_host_from_its_command_line() -> None:
    assert (
        dry_run("serve", "PORT=8080", "HOST=0.0.0.0")
        .rstrip()
        .endswith(".venv/bin/jwtgate serve --host 0.0.0.0 --port 8080")
    )
    # A shell's own HOST (zsh sets one) is not an address to listen on: jwtgate serve then
    # reads JWTGATE_HOST / JWTGATE_PORT itself.
    assert dry_run("serve", HOST="laptop", PORT="3000").rstrip().endswith("jwtgate serve")
