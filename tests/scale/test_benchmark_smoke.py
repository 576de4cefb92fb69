"""The scale-out benchmark runs end to end and prints every row (never a timing assertion)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..backends import unreachable
from .cluster import nginx_binary

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_scale_out_benchmark_prints_every_row(redis_url: str, postgres_url: str) -> None:
    nginx_binary()
    if shutil.which("wrk") is None:
        unreachable("wrk is not installed (make scale-deps, or apt-get install wrk)")
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "http.py"),
            "--scale-out",
            "--seconds=1",
            "--tokens=200",
            "--revocations=5",
            "--poll-revocations=1",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    ).stdout
    for row in (
        "refreshes/s (successful)",
        "GET /auth/me req/s",
        "Redis pub/sub",
        "database polling",
    ):
        assert f"| {row}" in out, out
