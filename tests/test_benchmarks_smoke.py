"""benchmarks/tokens.py runs and prints every row (a smoke test, never a timing assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = str(ROOT / "benchmarks" / "tokens.py")
ROWS = (
    "decode HS256",
    "decode ES256",
    "decode EdDSA",
    "decode RS256",
    "encode HS256",
    "encode ES256",
    "encode EdDSA",
)
PEERS = ("PyJWT", "joserfc", "jwcrypto", "authlib")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=300
    )


def test_every_row_times_jwtgate_the_floor_and_the_peers() -> None:
    done = run("--quick")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for row in ROWS:
        assert f"### {row}" in out
        section = out.split(f"### {row}")[1].split("###")[0]
        for name in ("floor", "jwtgate", *PEERS):
            assert f"| {name} |" in section, (row, name)
        assert "jwtgate is" in section and "fastest peer" in section
        # Every contender rejected the wrong-audience, wrong-issuer and expired tokens.
        assert "excluded" not in section
        assert ("| python-jose |" in section) == ("EdDSA" not in row)
        # One progress line per row on stderr, none of it on stdout.
        assert f"{row} (pool" in done.stderr
    assert "round 1/" not in out
    assert "cpu clock" in out.splitlines()[0]


def test_only_runs_the_rows_asked_for() -> None:
    done = run("--quick", "--only", "encode-HS256", "--clock", "wall")
    assert done.returncode == 0, done.stderr
    assert "wall clock" in done.stdout.splitlines()[0]
    assert "### encode HS256" in done.stdout
    assert done.stdout.count("### ") == 1


def test_an_unknown_row_or_zero_rounds_is_refused() -> None:
    done = run("--only", "decode-HS999")
    assert done.returncode == 2
    assert "unknown row decode-HS999" in done.stderr and "decode-HS256" in done.stderr
    assert done.stdout == ""
    done = run("--rounds", "0")
    assert done.returncode == 2 and "at least 1" in done.stderr


def test_a_decoder_that_skips_a_check_is_reported_and_excluded() -> None:
    import importlib.util

    import jwtgate

    spec = importlib.util.spec_from_file_location("bench_tokens", SCRIPT)
    assert spec is not None and spec.loader is not None
    tokens = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tokens)
    m = tokens.Material("HS256")
    good = jwtgate.encode(tokens.claims(1), m.key)

    def no_audience_check(t: str) -> object:
        return jwtgate.decode(t, m.key, issuer=tokens.ISS, audience="other")

    def signature_only(t: str) -> object:
        return json.loads(jwtgate.verify_jws(t, m.key))

    kept, notes = tokens.checked_decoders(
        m,
        {
            "strict": lambda t: jwtgate.decode(t, m.key, issuer=tokens.ISS, audience=tokens.AUD),
            "picky": no_audience_check,
            "lax": signature_only,
        },
        good,
    )
    assert list(kept) == ["strict"]
    assert notes == [
        "picky rejected a valid HS256 token (InvalidAudience): excluded",
        "lax accepted a token from another audience, another issuer, expired an hour ago: excluded",
    ]


SERVERS = str(ROOT / "benchmarks" / "servers.py")
BENCH_VENV = ROOT / ".venv-bench"


def test_servers_benchmark_runs_every_row_for_jwtgate_and_a_peer() -> None:
    """benchmarks/servers.py --quick against Flask-JWT-Extended (the quickest peer to set up).

    The peers live in .venv-bench (`make bench-servers` makes it; `make test` does not install
    them, since their pins would downgrade .venv): without it this test skips, under CI too.
    """
    import shutil

    import pytest

    if not (BENCH_VENV / "bin" / "gunicorn").exists():
        pytest.skip(".venv-bench is missing (make bench-venv): the peers are not in make test")
    if shutil.which("wrk") is None:
        from tests.backends import unreachable

        unreachable("wrk is missing (make scale-deps)")
    done = subprocess.run(
        [sys.executable, SERVERS, "--quick", "--only", "jwtgate,flask-jwt-extended"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for row in ("protected GET", "refresh", "login (argon2id t=2 19 MiB p=1)"):
        section = out.split(f"### {row}")[1].split("###")[0]
        assert "| jwtgate |" in section and "| flask-jwt-extended |" in section, row
        assert "jwtgate req/s ÷ fastest peer (flask-jwt-extended)" in section
    assert "/auth/me ÷ /healthz" in out
    assert "| jwtgate |" in out.split("### memory")[1]
    assert "scrypt" in out  # the peer's default hasher is named
    assert "round 1/1" in done.stderr and "round 1/" not in out


def test_servers_benchmark_refuses_an_unknown_contender() -> None:
    done = subprocess.run(
        [sys.executable, SERVERS, "--only", "jwtgate,pyramid-jwt"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "pyramid-jwt" in done.stderr and done.stdout == ""


def test_growth_benchmark_measures_each_size_prints_plans_and_prunes_while_serving() -> None:
    """benchmarks/growth.py --quick on SQLite (PostgreSQL is the same code with COPY)."""
    import shutil

    if shutil.which("wrk") is None:
        from tests.backends import unreachable

        unreachable("wrk is missing (make scale-deps)")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "growth.py"),
            "--quick",
            "--plans",
            "--backends",
            "sqlite",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "## sqlite" in out and "| 100 |" in out and "| 2,000 |" in out
    # Every hot statement is on an index: no table scan in any plan.
    plans = out.split("Query plans")[1].split("`jwtgate db prune`")[0]
    assert plans.count("- ") == 6 and "SCAN" not in plans
    assert "ix_sessions_expires_at" in plans
    assert "`jwtgate db prune` of 2,000 expired sessions" in out and "nan" not in out
