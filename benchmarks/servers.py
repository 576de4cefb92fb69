"""jwtgate against the servers teams would build instead, side by side in one run.

Peers (benchmarks/peers/, run from ``.venv-bench``: ``make bench-servers`` makes it):
djangorestframework-simplejwt (rotation + blacklist app, gunicorn), Flask-JWT-Extended (a
database blocklist, gunicorn) and fastapi-users (JWT strategy, uvicorn), one worker each, SQLite
in WAL mode for all, access tokens of 900 s, refresh tokens of 7 days. jwtgate runs as
``jwtgate serve`` from the project's virtualenv (the one running this script).

Every server runs in every round, in rotating order, driven by wrk: the protected GET (each
library's "who am I" route behind its bearer check), refreshes (a Lua script walking a pool of
fresh refresh tokens, each used once) and, for jwtgate, ``GET /healthz``. Reported per row: the
median req/s, p50/p99 latency and the server's CPU per request from /proc/<pid>/stat
(utime+stime deltas of the server and its children): on a shared machine CPU per request is
steady where req/s is not. Logins are timed at argon2id t=2, 19 MiB, p=1 for everyone and at
each library's default hasher; RSS idle (after start, before any request but a health check)
and peak (VmHWM, after the run, and jwtgate's through ``--login-connections`` concurrent logins).

    .venv/bin/python benchmarks/servers.py [--rounds 3] [--seconds 5] [--connections 16]
        [--only jwtgate,flask-jwt-extended] [--quick]

``--quick`` (1 round of 1 s, small pools) is the smoke test's; its figures mean nothing.
"""

from __future__ import annotations

import os
import sys

# Like benchmarks/http.py: this folder must not shadow the standard library for httpx.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

ROOT = Path(_HERE).parent
PEERS = ROOT / "benchmarks" / "peers"
BENCH_VENV = Path(os.environ.get("JWTGATE_BENCH_VENV", ROOT / ".venv-bench"))
USER, PASSWORD = "bench", "bench user password for wrk 1"
EMAIL = "bench@example.com"
TICKS = os.sysconf("SC_CLK_TCK")

# Each wrk thread walks its own stride of the pool: every token is presented exactly once.
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
  local t = tokens[(counter - 1) * step + offset + 1] or "exhausted"
  %(request)s
end
"""
JSON_BODY = (
    'return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"}, '
    "'{\"%(field)s\": \"' .. t .. '\"}')"
)
BEARER = 'return wrk.format("POST", "%(path)s", {["Authorization"] = "Bearer " .. t})'


@dataclass
class Contender:
    """One server: how to set it up, start it, and call it."""

    name: str
    login_path: str
    login_form: bool  # fastapi-users logs in with a form, username = e-mail
    me_path: str
    refresh_path: str | None  # None: the library has no refresh tokens
    refresh_lua: str
    default_hasher: str  # what BENCH_HASHER=default means for this library
    app: str = ""  # peers: module:object
    access_field: str = "access_token"
    server: str = "gunicorn"
    health_path: str | None = None
    results: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    idle_rss: float = float("nan")
    peak_rss: float = float("nan")
    login_peak_rss: float = float("nan")

    @property
    def is_jwtgate(self) -> bool:
        return self.name == "jwtgate"

    def login_request(self, base: str) -> httpx.Response:
        if self.login_form:
            data = {"username": EMAIL, "password": PASSWORD}
            return httpx.post(base + self.login_path, data=data, timeout=30)
        body = {"username": USER, "password": PASSWORD}
        return httpx.post(base + self.login_path, json=body, timeout=30)

    def login_lua(self) -> str:
        if self.login_form:
            body = f"username={EMAIL.replace('@', '%40')}&password={PASSWORD.replace(' ', '+')}"
            kind = "application/x-www-form-urlencoded"
        else:
            body = f'{{"username": "{USER}", "password": "{PASSWORD}"}}'
            kind = "application/json"
        return (
            f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "{kind}"\nwrk.body = \'{body}\'\n'
        )


CONTENDERS = [
    Contender(
        "jwtgate",
        "/auth/login",
        False,
        "/auth/me",
        "/auth/refresh",
        JSON_BODY % {"path": "/auth/refresh", "field": "refresh_token"},
        "argon2id t=2 19 MiB p=1 (its default)",
        health_path="/healthz",
    ),
    Contender(
        "simplejwt",
        "/api/token/",
        False,
        "/api/me/",
        "/api/token/refresh/",
        JSON_BODY % {"path": "/api/token/refresh/", "field": "refresh"},
        "PBKDF2-SHA256, 1,000,000 iterations (Django 5.2)",
        app="simplejwt_app:application",
        access_field="access",
    ),
    Contender(
        "flask-jwt-extended",
        "/login",
        False,
        "/me",
        "/refresh",
        BEARER % {"path": "/refresh"},
        "scrypt n=2^15 r=8 p=1 (werkzeug)",
        app="flask_jwt_app:app",
    ),
    Contender(
        "fastapi-users",
        "/auth/jwt/login",
        True,
        "/me",
        None,
        "",
        "argon2id t=3 64 MiB p=4 (pwdlib's recommended)",
        app="fastapi_users_app:app",
        server="uvicorn",
    ),
]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its live children, with what finished children used."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid = int(fields[1])
        if int(entry.name) == pid or ppid == pid:
            utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
            total += utime + stime + cutime + cstime
    return total / TICKS


def status_mib(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_pid(pid: int) -> int:
    """The process that serves: gunicorn's one worker (the master's child), else ``pid``."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                return int(entry.name)
    return pid


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str,
    seconds: float,
    connections: int,
    threads: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, float]:
    """Run wrk --latency: req/s of 2xx answers, requests, failures, p50 and p99 in ms."""
    cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(connections)]
    cmd += ["-d", f"{max(1, int(seconds))}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (
        sum(int(g) for g in errors.groups()) if errors else 0
    )

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")

    return {
        "rps": rate * max(total - failed, 0) / max(total, 1),
        "requests": float(total),
        "failed": float(failed),
        "p50": pct("50"),
        "p99": pct("99"),
    }


class Running:
    """A started server: its URL and process."""

    def __init__(self, c: Contender, work: Path, db: Path, hasher: str, log_name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JWTGATE_", "BENCH_"))}
        if c.is_jwtgate:
            env["JWTGATE_DATABASE_URL"] = f"sqlite:///{db}"
            cmd = [
                str(Path(sys.executable).with_name("jwtgate")),
                "serve",
                "--port",
                str(self.port),
            ]
        else:
            env.update(BENCH_DB=str(db), BENCH_HASHER=hasher, PYTHONPATH=str(PEERS))
            bind = f"127.0.0.1:{self.port}"
            if c.server == "gunicorn":
                cmd = [str(BENCH_VENV / "bin" / "gunicorn"), "-w", "1", "-b", bind, c.app]
            else:
                cmd = [str(BENCH_VENV / "bin" / "uvicorn"), c.app, "--port", str(self.port)]
                cmd += ["--workers", "1", "--no-access-log"]
        self.log = (work / log_name).open("wb")
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=work, stdout=self.log, stderr=subprocess.STDOUT
        )
        probe = c.health_path or c.me_path
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{c.name} exited: see {work / log_name}")
            try:
                httpx.get(self.url + probe, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{c.name} did not start: see {work / log_name}")
        time.sleep(0.5)
        self.worker = worker_pid(self.proc.pid)

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server we started, killing it when it does not exit in 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def setup_jwtgate(db: Path, tokens: int) -> list[str]:
    """The bench user at the server's own argon2 settings, and ``tokens`` sessions of a
    second user made with a cheap hash (so preparing them takes seconds, not minutes)."""
    from jwtgate.auth import build_auth
    from jwtgate.config import Settings

    url = f"sqlite:///{db}"
    auth = build_auth(Settings(database_url=url))
    auth.create_user(USER, PASSWORD, roles=["user"])
    auth.close()
    cheap = Settings(
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_cost=8,
        throttle_ip_failures=10**6,
        throttle_user_failures=10**6,
    )
    auth = build_auth(cheap)
    auth.create_user("pool", PASSWORD, roles=["user"])
    out = [auth.login("pool", PASSWORD).refresh_token for _ in range(tokens)]
    auth.close()
    return out


def setup_peer(c: Contender, work: Path, db: Path, hasher: str, tokens: int) -> list[str]:
    out = work / f"{c.name}-{hasher}.tokens"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(BENCH_DB=str(db), BENCH_HASHER=hasher, PYTHONPATH=str(PEERS))
    script = PEERS / f"{c.app.split(':')[0]}.py"
    subprocess.run(
        [str(BENCH_VENV / "bin" / "python"), str(script), "setup", str(tokens), str(out)],
        env=env,
        cwd=work,
        check=True,
        timeout=1800,
    )
    return [t for t in out.read_text().splitlines() if t]


def measure(server: Running, path: str, *wrk_args: object, **wrk_kw: object) -> dict[str, float]:
    """One wrk run against ``server`` with its CPU per request (µs) measured around it."""
    before = tree_cpu(server.proc.pid)
    result = wrk(server.url + path, *wrk_args, **wrk_kw)  # type: ignore[arg-type]
    used = tree_cpu(server.proc.pid) - before
    result["cpu_us"] = used / max(result["requests"], 1) * 1e6
    return result


def med(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--login-seconds", type=float, default=4)
    parser.add_argument("--login-connections", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=0, help="refresh tokens per round")
    parser.add_argument("--only", default="", help="comma-separated contender names")
    parser.add_argument("--quick", action="store_true", help="the smoke test's tiny run")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.login_seconds, args.login_connections = 1, 1, 1, 8
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk (make scale-deps)", file=sys.stderr)
        return 2
    chosen = [c for c in CONTENDERS if not args.only or c.name in args.only.split(",")]
    unknown = set(filter(None, args.only.split(","))) - {c.name for c in CONTENDERS}
    if unknown:
        parser.error(f"unknown contender {sorted(unknown)}: {[c.name for c in CONTENDERS]}")
    if any(not c.is_jwtgate for c in chosen) and not (BENCH_VENV / "bin" / "gunicorn").exists():
        print(f"{BENCH_VENV} is missing: make bench-servers creates it", file=sys.stderr)
        return 2
    # A pool per round, large enough for the fastest refresher: each token is good once.
    per_round = args.tokens or (300 if args.quick else int(1500 * args.seconds))
    work = Path(tempfile.mkdtemp(prefix="jwtgate-servers-bench-"))
    threads, conns = args.threads, args.connections
    running: dict[str, Running] = {}
    pools: dict[str, list[list[str]]] = {}
    access: dict[str, str] = {}
    try:
        for c in chosen:
            db = work / f"{c.name}.db"
            progress(f"preparing {c.name} ({per_round * args.rounds} refresh tokens) ...")
            if c.is_jwtgate:
                tokens = setup_jwtgate(db, per_round * args.rounds)
            else:
                count = per_round * args.rounds if c.refresh_path else 0
                tokens = setup_peer(c, work, db, "argon2", count)
            pools[c.name] = [
                tokens[r * per_round : (r + 1) * per_round] for r in range(args.rounds)
            ]
            for r, pool in enumerate(pools[c.name]):
                file = work / f"{c.name}-round{r}.tokens"
                file.write_text("\n".join(pool) + "\n")
                lua = REFRESH_LUA % {"file": file, "threads": threads, "request": c.refresh_lua}
                (work / f"{c.name}-refresh{r}.lua").write_text(lua)
            (work / f"{c.name}-login.lua").write_text(c.login_lua())
            server = Running(c, work, db, "argon2", f"{c.name}.log")
            running[c.name] = server
            c.idle_rss = status_mib(server.worker, "VmRSS:")
            answer = c.login_request(server.url)
            answer.raise_for_status()
            access[c.name] = answer.json()[c.access_field]
            check = httpx.get(
                server.url + c.me_path, headers={"Authorization": f"Bearer {access[c.name]}"}
            )
            if check.status_code != 200 or httpx.get(server.url + c.me_path).status_code != 401:
                raise RuntimeError(f"{c.name}: {c.me_path} does not check the bearer")
            progress(f"  {c.name}: idle RSS {c.idle_rss:.0f} MiB; warming up ...")
            wrk(
                server.url + c.me_path,
                1,
                conns,
                threads,
                headers={"Authorization": f"Bearer {access[c.name]}"},
            )

        for r in range(args.rounds):
            order = chosen[r % len(chosen) :] + chosen[: r % len(chosen)]
            progress(f"round {r + 1}/{args.rounds}: {', '.join(c.name for c in order)}")
            for c in order:
                s = running[c.name]
                auth = {"Authorization": f"Bearer {access[c.name]}"}
                rows = c.results
                rows.setdefault("protected GET", []).append(
                    measure(s, c.me_path, args.seconds, conns, threads, headers=auth)
                )
                if c.health_path:
                    rows.setdefault("GET /healthz", []).append(
                        measure(s, c.health_path, args.seconds, conns, threads)
                    )
                if c.refresh_path:
                    script = work / f"{c.name}-refresh{r}.lua"
                    rows.setdefault("refresh", []).append(
                        measure(s, c.refresh_path, args.seconds, conns, threads, script)
                    )
                login_script = work / f"{c.name}-login.lua"
                rows.setdefault("login (argon2id t=2 19 MiB p=1)", []).append(
                    measure(s, c.login_path, args.login_seconds, 4, 2, login_script)
                )
        for c in chosen:
            s = running[c.name]
            c.peak_rss = status_mib(s.worker, "VmHWM:")
            if c.is_jwtgate:
                progress(f"jwtgate: {args.login_connections} concurrent logins ...")
                script = work / f"{c.name}-login.lua"
                # Peak RSS from here on only (writing 5 to clear_refs resets VmHWM).
                Path(f"/proc/{s.worker}/clear_refs").write_text("5")
                c.results["login, concurrent"] = [
                    measure(
                        s, c.login_path, args.login_seconds * 2, args.login_connections, 2, script
                    )
                ]
                c.login_peak_rss = status_mib(s.worker, "VmHWM:")
            s.stop()
            del running[c.name]
        # Each peer at its library's default hasher (a server of its own for it).
        for c in chosen:
            if c.is_jwtgate:
                c.results["login (default hasher)"] = c.results["login (argon2id t=2 19 MiB p=1)"]
                continue
            progress(f"{c.name}: logins at its default hasher ...")
            db = work / f"{c.name}-default.db"
            setup_peer(c, work, db, "default", 0)
            s = Running(c, work, db, "default", f"{c.name}-default.log")
            try:
                script = work / f"{c.name}-login.lua"
                c.results["login (default hasher)"] = [
                    measure(s, c.login_path, args.login_seconds, 4, 2, script)
                    for _ in range(args.rounds)
                ]
            finally:
                s.stop()
    finally:
        for s in running.values():
            s.stop()
    report(chosen, args)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def report(chosen: list[Contender], args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(
        f"# jwtgate and its peers over HTTP: one worker each, SQLite WAL, wrk -t{args.threads} "
        f"-c{args.connections}, {args.rounds} interleaved rounds of {args.seconds:g} s "
        f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"
    )
    rows = ["protected GET", "refresh", "login (argon2id t=2 19 MiB p=1)", "login (default hasher)"]
    ours = next((c for c in chosen if c.is_jwtgate), None)
    for row in rows:
        have = [c for c in chosen if row in c.results]
        if not have:
            continue
        print(f"\n### {row}\n")
        print("| server | req/s | p50 ms | p99 ms | CPU µs/request | failed |")
        print("|---|---:|---:|---:|---:|---:|")
        for c in sorted(have, key=lambda c: med(c.results[row], "cpu_us")):
            res = c.results[row]
            failed = sum(x["failed"] for x in res)
            print(
                f"| {c.name} | {med(res, 'rps'):.1f} | {med(res, 'p50'):.2f} | "
                f"{med(res, 'p99'):.2f} | {med(res, 'cpu_us'):.0f} | {failed:.0f} |"
            )
        peers = [c for c in have if not c.is_jwtgate]
        if ours is not None and row in ours.results and peers:
            fast = max(peers, key=lambda c: med(c.results[row], "rps"))
            cheap = min(peers, key=lambda c: med(c.results[row], "cpu_us"))
            mine = ours.results[row]
            print(
                f"\njwtgate req/s ÷ fastest peer ({fast.name}): "
                f"{med(mine, 'rps') / med(fast.results[row], 'rps'):.2f}x; "
                f"jwtgate CPU per request ÷ cheapest peer ({cheap.name}): "
                f"{med(mine, 'cpu_us') / med(cheap.results[row], 'cpu_us'):.2f}x"
            )
            for p in peers:
                print(
                    f"- vs {p.name}: req/s {med(mine, 'rps') / med(p.results[row], 'rps'):.2f}x, "
                    f"CPU per request {med(mine, 'cpu_us') / med(p.results[row], 'cpu_us'):.2f}x"
                )
        if row == "login (default hasher)":
            for c in have:
                print(f"- {c.name}: {c.default_hasher}")
    if ours is not None and "GET /healthz" in ours.results:
        health, me = ours.results["GET /healthz"], ours.results["protected GET"]
        print("\n### jwtgate: GET /auth/me against GET /healthz on the same server\n")
        print("| route | req/s | CPU µs/request |")
        print("|---|---:|---:|")
        print(f"| GET /healthz | {med(health, 'rps'):.1f} | {med(health, 'cpu_us'):.0f} |")
        print(f"| GET /auth/me | {med(me, 'rps'):.1f} | {med(me, 'cpu_us'):.0f} |")
        print(f"\n/auth/me ÷ /healthz: {med(me, 'rps') / med(health, 'rps'):.2f}x (req/s)")
    print("\n### memory (the serving process)\n")
    print("| server | RSS idle MiB | peak RSS MiB |")
    print("|---|---:|---:|")
    for c in chosen:
        print(f"| {c.name} | {c.idle_rss:.0f} | {c.peak_rss:.0f} |")
    if ours is not None and "login, concurrent" in ours.results:
        res = ours.results["login, concurrent"][0]
        print(
            f"\njwtgate through {args.login_connections} concurrent logins: peak RSS "
            f"{ours.login_peak_rss:.0f} MiB, {res['rps']:.1f} logins/s, "
            f"{res['cpu_us'] / 1000:.1f} ms CPU per login, {res['failed']:.0f} failed"
        )


if __name__ == "__main__":
    raise SystemExit(main())
