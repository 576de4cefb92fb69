"""The benchmarks run and print every row (a smoke test, never a timing assertion)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_token_benchmark_prints_every_row() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tokens.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    for row in (
        "decode HS256",
        "decode ES256",
        "decode EdDSA",
        "decode RS256",
        "encode HS256",
        "encode ES256",
        "encode EdDSA",
    ):
        assert f"### {row}" in out
        section = out.split(f"### {row}")[1].split("###")[0]
        assert "| jwtgate |" in section and "| floor |" in section
