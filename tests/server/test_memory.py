"""The allocator settings of a server process (glibc): argon2's block is reused from one hash to
the next instead of being mapped afresh (no page faults per hash), and the idle trimmer gives it
back once hashing stops. Run in a fresh interpreter: mallopt changes the whole process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, resource, threading
from jwtgate.server.memory import IdleTrimmer, tune_allocator
from jwtgate.auth.passwords import PasswordHasher
from jwtgate.config import Settings

tuned = tune_allocator()
hasher = PasswordHasher.from_settings(Settings())  # 19 MiB, as served
digest = hasher.hash("a password for the allocator test")

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

def logins(n):
    for _ in range(n):
        hasher.verify(digest, "a password for the allocator test")

worker = threading.Thread(target=logins, args=(2,)); worker.start(); worker.join()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
worker = threading.Thread(target=logins, args=(5,)); worker.start(); worker.join()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5
busy = rss()
trimmer = IdleTrimmer()
first, second = trimmer.tick(), trimmer.tick()
print(json.dumps({"tuned": tuned, "faults": faults, "busy": busy, "idle": rss(),
                  "available": trimmer.available, "ticks": [first, second],
                  "third": trimmer.tick()}))
"""


@pytest.fixture(scope="module")
def measured() -> dict[str, object]:
    if not sys.platform.startswith("linux"):
        pytest.skip("the allocator settings are glibc's")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    if not result["tuned"] or not result["available"]:
        pytest.skip("not glibc (musl has no mallopt): nothing is tuned")
    return result


def test_a_login_reuses_argon2s_memory_instead_of_faulting_19_mib_in(
    measured: dict[str, object],
) -> None:
    # 19 MiB mapped afresh is about 4,900 faults of 4 KiB; a reused block needs none.
    assert float(measured["faults"]) < 200  # type: ignore[arg-type]


def test_the_idle_trimmer_returns_the_block_on_its_second_look_and_then_rests(
    measured: dict[str, object],
) -> None:
    # Over the bound at the first look (nothing trimmed yet), again at the second: trimmed.
    assert measured["ticks"] == [False, True]
    assert measured["third"] is False  # nothing held any more
    assert float(measured["busy"]) - float(measured["idle"]) > 10  # type: ignore[arg-type]
