"""benchmarks/oauth.py runs and prints its table for both providers (a smoke test, never a
timing assertion)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..nodekit import require_node_modules

SCRIPT = str(Path(__file__).resolve().parents[2] / "benchmarks" / "oauth.py")


def test_the_oauth_benchmark_prints_both_providers_and_the_ratio() -> None:
    require_node_modules("oidc-provider")
    done = subprocess.run(
        [sys.executable, SCRIPT, "--quick"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| jwtgate |" in done.stdout and "| oidc-provider |" in done.stdout
    assert "jwtgate / oidc-provider: code exchanges" in done.stdout
    bad = subprocess.run(
        [sys.executable, SCRIPT, "--codes", "0"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "must be positive" in bad.stderr
