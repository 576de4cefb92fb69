"""HTTP speed of one ``jwtgate serve`` worker on SQLite, driven by wrk.

Reports, from one run: refreshes per second, ``GET /auth/me`` throughput as a ratio to
``GET /healthz`` on the same server, logins per second with the argon2id hash time that
bounds them (by design), and the worker's peak RSS.

    python benchmarks/http.py [--seconds 8] [--connections 16] [--tokens 6000]

Scale-out (``--scale-out``): refreshes/s and ``GET /auth/me`` req/s through nginx in front of 1
and then 2 instances on PostgreSQL + Redis (the deployment tests/scale/cluster.py starts), and
the revocation propagation delay between two instances: from the moment instance A answers a
logout to the first refusal of that token by instance B, over ``--revocations`` logouts with
Redis and ``--poll-revocations`` by database polling alone.

    python benchmarks/http.py --scale-out [--seconds 8] [--revocations 200]

wrk comes from Debian (``apt-get install wrk``); the script says so when it is missing.
"""

from __future__ import annotations

import os
import sys

# This file is named http.py; its folder (sys.path[0] when run as a script) must not shadow
# the standard library's http package, which httpx imports.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

from jwtgate.auth import build_auth  # noqa: E402
from jwtgate.auth.passwords import PasswordHasher  # noqa: E402
from jwtgate.config import Settings  # noqa: E402

USER, PASSWORD = "bench", "bench user password for wrk 1"

REFRESH_LUA = """
local tokens = {}
for line in io.lines("%(file)s") do tokens[#tokens + 1] = line end
local counter = 0
local step, offset = 1, 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function init(args)
  step = %(threads)d
  offset = tonumber(wrk.thread:get("offset")) or 0
end
request = function()
  counter = counter + 1
  local i = (counter - 1) * step + offset + 1
  local t = tokens[i] or "exhausted"
  return wrk.format("POST", "/auth/refresh", {["Content-Type"] = "application/json"},
                    '{"refresh_token": "' .. t .. '"}')
end
"""

LOGIN_LUA = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{{"username": "{USER}", "password": "{PASSWORD}"}}'
"""


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(
    url: str,
    seconds: float,
    connections: int,
    threads: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[float, int, int]:
    """Run wrk; return (requests/s, requests, non-2xx responses)."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(seconds)}s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, total, int(bad.group(1)) if bad else 0


def _status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM)."""
    return _status_mib(pid, "VmHWM:")


def rss_mib(pid: int) -> float:
    """The process's resident set now (VmRSS)."""
    return _status_mib(pid, "VmRSS:")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=6000, help="refresh tokens prepared")
    parser.add_argument("--scale-out", action="store_true", help="1 vs 2 instances, PG + Redis")
    parser.add_argument("--revocations", type=int, default=200, help="scale-out, with Redis")
    parser.add_argument("--poll-revocations", type=int, default=40, help="scale-out, polling")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    if args.scale_out:
        sys.path.append(_HERE)  # after the standard library: its http package stays first
        from _scaleout import scale_out

        return scale_out(args, wrk=wrk, refresh_lua=REFRESH_LUA)
    work = Path(tempfile.mkdtemp(prefix="jwtgate-http-bench-"))
    database = f"sqlite:///{work}/bench.db"

    # Sessions to refresh, made in-process with a cheap hash so preparing them takes seconds.
    progress(f"preparing {args.tokens} sessions ...")
    cheap = Settings(
        database_url=database,
        argon2_time_cost=1,
        argon2_memory_cost=8,
        throttle_ip_failures=10**6,
        throttle_user_failures=10**6,
    )
    auth = build_auth(cheap)
    auth.create_user(USER, PASSWORD, roles=["user"])
    tokens = [auth.login(USER, PASSWORD).refresh_token for _ in range(args.tokens)]
    auth.close()
    token_file = work / "refresh_tokens.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    (work / "refresh.lua").write_text(REFRESH_LUA % {"file": token_file, "threads": args.threads})
    (work / "login.lua").write_text(LOGIN_LUA)

    defaults = Settings()
    hasher = PasswordHasher.from_settings(defaults)
    digest = hasher.hash(PASSWORD)
    start = time.perf_counter()
    for _ in range(10):
        hasher.verify(digest, PASSWORD)
    hash_ms = (time.perf_counter() - start) / 10 * 1000

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_DATABASE_URL": database,
    }
    jwtgate = Path(sys.executable).with_name("jwtgate")
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(jwtgate), "serve", "--port", str(port)],
        env=env,
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        access = httpx.post(
            url + "/auth/login", json={"username": USER, "password": PASSWORD}
        ).json()["access_token"]
        w = (args.seconds, args.connections, args.threads)
        progress(f"  rss idle {rss_mib(server.pid):.0f} MiB")
        progress("wrk: GET /healthz ...")
        health, _, _ = wrk(url + "/healthz", *w)
        progress("wrk: GET /auth/me ...")
        me, _, me_bad = wrk(url + "/auth/me", *w, headers={"Authorization": f"Bearer {access}"})
        progress(f"  rss {rss_mib(server.pid):.0f} MiB")
        progress("wrk: POST /auth/refresh ...")
        refresh, refresh_total, refresh_bad = wrk(
            url + "/auth/refresh", *w, script=work / "refresh.lua"
        )
        progress(f"  rss {rss_mib(server.pid):.0f} MiB")
        progress("wrk: POST /auth/login ...")
        login, _, login_bad = wrk(
            url + "/auth/login", args.seconds, 4, 2, script=work / "login.lua"
        )
        progress(f"  rss {rss_mib(server.pid):.0f} MiB")
        rss = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    ok_refresh = refresh * (refresh_total - refresh_bad) / max(refresh_total, 1)
    print(
        f"# jwtgate HTTP benchmark: one worker, SQLite, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s\n"
    )
    print("| measure | result | target |")
    print("|---|---:|---|")
    print(f"| refreshes/s (successful) | {ok_refresh:.0f} | >= 500 |")
    print(f"| GET /healthz req/s | {health:.0f} | |")
    print(f"| GET /auth/me req/s | {me:.0f} | |")
    print(f"| /auth/me ÷ /healthz | {me / health:.2f} | >= 0.85 |")
    print(f"| logins/s (argon2id defaults) | {login:.1f} | bounded by the hash |")
    print(f"| argon2id verify, default parameters | {hash_ms:.1f} ms | |")
    print(f"| peak RSS of the worker | {rss:.0f} MiB | < 150 MB |")
    if me_bad or login_bad:
        print(f"\nnon-2xx: /auth/me {me_bad}, login {login_bad}")
    if refresh_bad:
        print(
            f"\nrefresh non-2xx: {refresh_bad} of {refresh_total} (tokens exhausted: "
            "raise --tokens)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
