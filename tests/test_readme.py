"""README.md as a new user runs it: every ``sh`` block pasted, in order, into one bash.

The test starts a real ``jwtgate serve`` (as ``make serve`` would) and then runs the README's
shell blocks against it, in the order they appear, with only what a user would fill in or
that differs on a test machine replaced: the admin password, the ports (free ones instead of
8000 and 8001), ``.venv/bin/`` (this virtualenv) and ``~`` (a temporary home). After a step,
the ``#>`` lines that follow it in the README are the output it must print (``...`` stands for
anything; whitespace is ignored). A block noted ``<!-- readme-test: in the background ... -->``
runs as a server; one noted ``not run`` is not run (``make serve`` itself, ``make test``). A
Python block whose first line is ``# ~/path`` is saved there, as the README asks.

The README's Guard service then runs for real (installed with pip from this checkout into
its own virtualenv): a logout at the server is refused at the service within the revocation
feed's interval plus one second.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.docblocks import Block, fenced_blocks
from tests.server.live import ADMIN_PASSWORD, free_port, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PLACEHOLDER = re.compile(r"^PASSWORD='the password make serve printed'$", re.MULTILINE)
VENV_BIN = re.compile(r"(?<![\w/.~-])\.venv/bin/")
FEED_INTERVAL = 5.0  # revocation_interval in the README's service


@dataclass
class Step:
    """Lines of shell run together, and the output they must print (None: not checked)."""

    code: list[str] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)
    line: int = 0


def steps(block: Block) -> list[Step]:
    """A block cut after each run of ``#>`` lines."""
    out: list[Step] = []
    current = Step(line=block.line)
    for offset, line in enumerate(block.body.splitlines()):
        if line.startswith("#>"):
            current.expect.append(line[2:])
            continue
        if current.expect:
            out.append(current)
            current = Step(line=block.line + offset)
        current.code.append(line)
    out.append(current)
    return [s for s in out if any(c.strip() and not c.startswith("#") for c in s.code)]


def matches(expected: list[str], actual: str) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` standing for anything, ignoring
    whitespace."""
    pattern = "".join(expected).split("...")
    regex = ".*?".join(re.escape(re.sub(r"\s+", "", part)) for part in pattern)
    return re.fullmatch(regex, re.sub(r"\s+", "", actual), re.DOTALL) is not None


def localize(text: str, *, auth_port: int, service_port: int) -> str:
    """The README's text with this machine's ports and virtualenv."""
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{auth_port}")
    text = text.replace("127.0.0.1:8001", f"127.0.0.1:{service_port}")
    text = text.replace("--port 8001", f"--port {service_port}")
    text = PLACEHOLDER.sub(f"PASSWORD={shlex.quote(ADMIN_PASSWORD)}", text)
    return VENV_BIN.sub(f"{Path(sys.executable).parent}/", text)


def script(blocks: list[Block], *, auth_port: int, service_port: int, run_dir: Path) -> str:
    """One bash script of the README's blocks, a marker line before each checked step."""
    out = ["set -eo pipefail", "exec 2>&1"]
    for index, block in enumerate(blocks):
        body = localize(block.body, auth_port=auth_port, service_port=service_port)
        if block.lang == "python" and body.startswith("# ~/"):
            path = body.splitlines()[0][2:].strip()
            out += [f"mkdir -p $(dirname {path})", f"cat > {path} <<'README_PY'", body, "README_PY"]
        elif block.lang != "sh" or (block.note or "").startswith("not run"):
            continue
        elif (block.note or "").startswith("in the background"):
            log, pid = run_dir / f"background-{index}.log", run_dir / f"background-{index}.pid"
            out += [
                f"setsid bash -c {shlex.quote(body)} > {log} 2>&1 & echo $! > {pid}",
                f"for _ in $(seq 600); do curl -s -o /dev/null 127.0.0.1:{service_port}/ "
                "&& break; sleep 0.1; done",
            ]
        else:
            ports = {"auth_port": auth_port, "service_port": service_port}
            for number, step in enumerate(steps(block)):
                code = localize("\n".join(step.code), **ports)
                out += [f"printf '\\n@@step {index}.{number}@@\\n'", code]
    return "\n".join(out) + "\n"


def checked_steps(blocks: list[Block]) -> dict[str, Step]:
    return {
        f"{index}.{number}": step
        for index, block in enumerate(blocks)
        if block.lang == "sh" and not (block.note or "").startswith(("not run", "in the back"))
        for number, step in enumerate(steps(block))
    }


def outputs(printed: str) -> dict[str, str]:
    parts = re.split(r"\n@@step (\d+\.\d+)@@\n", printed)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def stop_background(run_dir: Path) -> None:
    for pid_file in run_dir.glob("background-*.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)


def test_the_readme_blocks_parse_into_what_the_test_runs() -> None:
    blocks = fenced_blocks(README)
    notes = [b.note for b in blocks if b.note]
    assert all(n.startswith(("not run (", "in the background (")) for n in notes), notes
    shell = [b for b in blocks if b.lang == "sh"]
    assert not [b for b in blocks if b.lang in ("console", "bash", "shell")], "use sh blocks"
    assert any(PLACEHOLDER.search(b.body) for b in shell)
    checked = checked_steps(blocks)
    assert sum(1 for s in checked.values() if s.expect) >= 8
    assert matches(['{"a":1,...}'], '{"a": 1, "b": 2}') and not matches(["204"], "200")


def test_the_readme_runs_as_pasted(tmp_path: Path) -> None:
    blocks = fenced_blocks(README)
    auth_port, service_port = free_port(), free_port()
    home, run_dir = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    run_dir.mkdir()
    auth = f"http://127.0.0.1:{auth_port}"
    with serve(tmp_path, port=auth_port, JWTGATE_ISSUER=auth) as live:
        environment = {
            **{k: v for k, v in live.env.items() if not k.startswith("JWTGATE_")},
            "HOME": str(home),
            "JWTGATE_DATABASE_URL": live.env["JWTGATE_DATABASE_URL"],
            "JWTGATE_ARGON2_TIME_COST": "1",
            "JWTGATE_ARGON2_MEMORY_COST": "8",
        }
        try:
            text = script(blocks, auth_port=auth_port, service_port=service_port, run_dir=run_dir)
            ran = subprocess.run(
                ["bash", "-c", text],
                cwd=ROOT,  # "in the jwtgate checkout"
                env=environment,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            printed = outputs(ran.stdout)
            assert ran.returncode == 0, f"the README stopped:\n{ran.stdout[-4000:]}"
            for key, step in checked_steps(blocks).items():
                assert key in printed, f"README.md line {step.line} did not run"
                if step.expect:
                    assert matches(step.expect, printed[key]), (
                        f"README.md line {step.line}: expected\n"
                        + "\n".join(step.expect)
                        + f"\ngot\n{printed[key]}"
                    )
            service_refuses_a_logout_within_the_feed_interval(auth, service_port, run_dir)
        finally:
            stop_background(run_dir)


def service_refuses_a_logout_within_the_feed_interval(
    auth: str, service_port: int, run_dir: Path
) -> None:
    service = f"http://127.0.0.1:{service_port}"
    logs = "\n".join(p.read_text() for p in run_dir.glob("background-*.log"))
    login = httpx.post(
        f"{auth}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10
    )
    bearer = {"authorization": f"Bearer {login.json()['access_token']}"}
    first = httpx.get(f"{service}/orders", headers=bearer, timeout=20)
    assert first.status_code == 200, f"{first.text}\n{logs}"
    assert first.json() == {"for": "admin", "orders": []}
    assert httpx.get(f"{service}/admin/report", headers=bearer, timeout=10).status_code == 200
    assert httpx.get(f"{service}/orders", timeout=10).status_code == 401

    assert httpx.post(f"{auth}/auth/logout", headers=bearer, timeout=10).status_code == 204
    logged_out = time.monotonic()
    while True:
        answer = httpx.get(f"{service}/orders", headers=bearer, timeout=10)
        waited = time.monotonic() - logged_out
        if answer.status_code != 200:
            break
        assert waited <= FEED_INTERVAL + 1, "the service still accepts a logged-out token"
        time.sleep(0.1)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert "revoked" in answer.json()["error_description"]
    assert waited <= FEED_INTERVAL + 1
