"""benchmarks/guard.py runs and prints every row (a smoke test, never a timing assertion)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_guard_benchmark_prints_every_row() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "guard.py"), "--quick"]
    if shutil.which("wrk") is None:
        command.append("--no-http")
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True).stdout
    cold = out.split("### cold")[1].split("###")[0]
    for row in ("| Guard.verify |", "| jwtgate.decode |", "| PyJWT decode |"):
        assert row in cold
    warm = out.split("### warm")[1].split("###")[0]
    assert "| Guard.verify |" in warm and "| PyJWT decode |" in warm
    cpu = out.split("### ASGI in process")[1].split("###")[0]
    for row in ("| unprotected |", "| `GuardMiddleware` + `@requires()` |", "DPoP token and proof"):
        assert row in cpu
    if shutil.which("wrk") is not None:
        for row in (
            "| unprotected |",
            "`Depends(guard.require())`",
            "PyJWT dependency",
            "| `GuardMiddleware` + `@requires()` |",
            "| `GuardMiddleware` + `Depends(guard.require())` |",
            "DPoP token and proof",
        ):
            assert row in out
        assert "jwtgate / PyJWT dependency:" in out
        assert "middleware / dependency:" in out
        assert "DPoP / Bearer (both behind the middleware):" in out
