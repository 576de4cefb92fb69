"""The atheris harnesses (fuzz/) in `make test`: every corpus input replayed in-process, then
each harness run under libFuzzer for a few seconds in a subprocess.

FUZZ_TEST_SECONDS sets the run per harness (default 8: about 25 s for the three). For long
runs use `make fuzz` (FUZZ_SECONDS each, default 600); see fuzz/README.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fuzz.checks import RefreshProbe, check_jwks, check_token
from fuzz.fuzzkit import CORPUS_DIR

ROOT = CORPUS_DIR.parents[1]
HARNESSES = ("decode", "jwks", "refresh_token")
SECONDS = int(os.environ.get("FUZZ_TEST_SECONDS", "8"))


def corpus(harness: str) -> list[Path]:
    files = sorted((CORPUS_DIR / harness).iterdir())
    assert any(f.name.startswith("seed-") for f in files), f"no seeds for {harness}"
    return files


@pytest.mark.parametrize(("harness", "check"), [("decode", check_token), ("jwks", check_jwks)])
def test_corpus_replays_cleanly(harness: str, check: Callable[[bytes], None]) -> None:
    """Every seed and every past crash (regress-*) passes the harness's oracles."""
    for path in corpus(harness):
        check(path.read_bytes())


def test_refresh_token_corpus_replays_cleanly(tmp_path: Path) -> None:
    probe = RefreshProbe(str(tmp_path))
    try:
        for path in corpus("refresh_token"):
            probe.check(path.read_bytes())
        live = probe.live
        for near in (live.upper(), live[:-1], live + "=", " " + live, live[::-1]):
            probe.check(near.encode())
    finally:
        probe.close()


def test_seed_tokens_verify_so_fuzzing_starts_past_the_signature() -> None:
    """The decode seeds are real tokens under the harness policy (else the fuzzer would
    spend its time on signature failures)."""
    from fuzz.fuzzkit import AUDIENCE, ISSUER, NOW, verification_keys

    from jwtgate import decode

    valid = [p for p in corpus("decode") if p.name.startswith(("seed-valid-", "seed-at-jwt-"))]
    assert len(valid) >= 10
    for path in valid:
        decode(path.read_bytes(), verification_keys(), issuer=ISSUER, audience=AUDIENCE, now=NOW)


@pytest.mark.timeout(SECONDS + 120)
@pytest.mark.parametrize("harness", HARNESSES)
def test_harness_finds_nothing_in_a_short_run(harness: str, tmp_path: Path) -> None:
    """libFuzzer with the harness's structured mutator, bounded in time; a crash fails the
    test and names the input file to turn into a regression test."""
    work = tmp_path / "corpus"
    work.mkdir()
    command = [
        sys.executable,
        "-m",
        f"fuzz.fuzz_{harness}",
        f"-max_total_time={SECONDS}",
        "-timeout=20",
        f"-artifact_prefix={tmp_path}/",
        "-print_final_stats=1",
        str(work),
        str(CORPUS_DIR / harness),
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 100, check=False
    )
    crashes = sorted(str(p) for p in tmp_path.iterdir() if p.is_file())
    log = done.stderr[-4000:]
    assert done.returncode == 0 and not crashes, f"fuzz_{harness} failed: {crashes}\n{log}"
    runs = [line for line in done.stderr.splitlines() if "stat::number_of_executed_units" in line]
    assert runs and int(runs[0].split(":")[-1]) > 100, log
