"""Cost as the database grows: refreshes/s and ``GET /auth/me`` req/s of one ``jwtgate serve``
worker with 1 thousand, 100 thousand (and, with ``--million``, 1 million) sessions in the
database, each with two refresh tokens (one rotated, one live) and two audit events, on SQLite
and on PostgreSQL; then ``jwtgate db prune`` of expired rows while a refresh load runs.

Rows are bulk-loaded (sqlite3 ``executemany``, PostgreSQL ``COPY``), not through the API. One
server per size runs at once and the sizes are measured in interleaved rounds, so the ratio
of each size to the smallest is free of the machine's drift; CPU per request comes from
/proc. ``--plans`` prints the query plans of the statements every refresh and prune runs
(``EXPLAIN QUERY PLAN`` / ``EXPLAIN``) on the largest database.

    .venv/bin/python benchmarks/growth.py [--sizes 1000,100000] [--million]
        [--backends sqlite,postgresql] [--rounds 3] [--seconds 5] [--prune-rows 100000]
        [--plans] [--quick]
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import base64  # noqa: E402
import contextlib  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import psycopg  # noqa: E402

sys.path.append(_HERE)  # after the standard library: benchmarks/http.py must not shadow it
sys.path.append(str(Path(_HERE).parent))  # the tests package: fresh_database
from servers import REFRESH_LUA, free_port, stop_process, tree_cpu, wrk  # noqa: E402
from tests.store.dbkit import PG_DSN, fresh_database  # noqa: E402

from jwtgate.auth import build_auth  # noqa: E402
from jwtgate.auth.errors import Conflict  # noqa: E402
from jwtgate.config import Settings  # noqa: E402
from jwtgate.store import upgrade  # noqa: E402

ROOT = Path(_HERE).parent
USER, PASSWORD = "bench", "bench user password for wrk 1"
DAY = 86400.0
# One master key for the in-process minting and the servers (a PostgreSQL database has no
# key file beside it; each process must open the same stored signing key).
MASTER_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
USERS = 1000
CHUNK = 20000
JSON_REFRESH = (
    'return wrk.format("POST", "/auth/refresh", {["Content-Type"] = "application/json"}, '
    "'{\"refresh_token\": \"' .. t .. '\"}')"
)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def database(backend: str, work: Path, name: str) -> Iterator[str]:
    """A SQLAlchemy URL of a fresh database (tests/store/dbkit.py: a SQLite file, or a
    PostgreSQL schema dropped afterwards)."""
    folder = work / backend / name
    folder.mkdir(parents=True)
    with fresh_database(backend, folder) as url:
        yield url


def _schema(url: str) -> str:
    return url.rsplit("%3D", 1)[1]


def rows(
    count: int, *, expired: bool, start: int = 0
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, rows) chunks: ``count`` sessions of USERS users, each with a rotated and a live
    refresh token and two audit events; ``expired`` sessions died over a day ago."""
    now = time.time()
    for base in range(0, count, CHUNK):
        n = min(CHUNK, count - base)
        sessions, tokens, events = [], [], []
        for i in range(start + base, start + base + n):
            sid = f"g{i:09d}{secrets.token_hex(6)}"
            user = f"growth-user-{i % USERS:05d}"
            created = now - (30 * DAY if expired else 3600.0)
            expires = now - 2 * DAY if expired else now + 7 * DAY
            sessions.append(
                (
                    sid,
                    user,
                    None,
                    "",
                    created,
                    created,
                    expires,
                    expires,
                    None,
                    None,
                    "bench",
                    "127.0.0.1",
                )
            )
            tokens.append((secrets.token_hex(32), sid, created, expires, created + 60))
            tokens.append((secrets.token_hex(32), sid, created + 60, expires, None))
            events.append(
                ("login_success", created, user, user, None, "127.0.0.1", f'{{"sid": "{sid}"}}')
            )
            events.append(
                ("refresh", created + 60, user, user, None, "127.0.0.1", f'{{"sid": "{sid}"}}')
            )
        yield "sessions", sessions
        yield "refresh_tokens", tokens
        yield "audit_events", events


COLUMNS = {
    "users": (
        "id",
        "username",
        "username_key",
        "email",
        "password_hash",
        "roles",
        "disabled",
        "created_at",
        "updated_at",
        "not_before",
        "email_verified",
    ),
    "sessions": (
        "sid",
        "user_id",
        "client_id",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "absolute_expires_at",
        "revoked_at",
        "revoked_reason",
        "user_agent",
        "ip",
    ),
    "refresh_tokens": ("token_hash", "sid", "created_at", "expires_at", "used_at"),
    "audit_events": ("type", "at", "user_id", "username", "actor", "ip", "detail"),
}


def users() -> list[tuple[Any, ...]]:
    now = time.time()
    return [
        (
            f"growth-user-{i:05d}",
            f"growth-user-{i:05d}",
            f"growth-user-{i:05d}",
            None,
            "x",
            '["user"]',
            False,
            now,
            now,
            None,
            False,
        )
        for i in range(USERS)
    ]


def bulk_load(url: str, count: int, *, expired: bool, with_users: bool = True) -> float:
    """Insert the rows straight into the tables; returns the seconds it took."""
    started = time.perf_counter()
    chunks: Iterator[tuple[str, list[tuple[Any, ...]]]] = rows(
        count, expired=expired, start=0 if not expired else 10**8
    )
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA synchronous = OFF")
        if with_users:
            conn.executemany(_insert("users", "?"), users())
        for table, batch in chunks:
            conn.executemany(_insert(table, "?"), batch)
            conn.commit()
        conn.commit()
        conn.close()
    else:
        with psycopg.connect(PG_DSN) as conn:
            conn.execute(f'SET search_path TO "{_schema(url)}"')
            everything = ([("users", users())] if with_users else []) + list(chunks)
            for table, batch in everything:
                with conn.cursor().copy(
                    f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
                conn.commit()
            conn.execute("ANALYZE")
            conn.commit()
    return time.perf_counter() - started


def _insert(table: str, mark: str) -> str:
    cols = COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(mark for _ in cols)})"


def mint(url: str, count: int) -> list[str]:
    """``count`` fresh refresh tokens of the bench user (logins with a cheap hash)."""
    cheap = Settings(
        database_url=url,
        master_key=MASTER_KEY,
        argon2_time_cost=1,
        argon2_memory_cost=8,
        throttle_ip_failures=10**6,
        throttle_user_failures=10**6,
    )
    auth = build_auth(cheap)
    with contextlib.suppress(Conflict):  # made by an earlier call
        auth.create_user(USER, PASSWORD, roles=["user"])
    tokens = [auth.login(USER, PASSWORD).refresh_token for _ in range(count)]
    auth.close()
    return tokens


class Server:
    """``jwtgate serve`` on one database."""

    def __init__(self, url: str, work: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")}
        env.update(JWTGATE_DATABASE_URL=url, JWTGATE_MASTER_KEY=MASTER_KEY)
        self.log = (work / f"{name}.log").open("wb")
        jwtgate = str(Path(sys.executable).with_name("jwtgate"))
        self.proc = subprocess.Popen(
            [jwtgate, "serve", "--port", str(self.port)],
            env=env,
            cwd=work,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"jwtgate serve exited: see {work / name}.log")
            try:
                httpx.get(self.url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

    def measure(
        self, path: str, seconds: float, conns: int, threads: int, **kw: Any
    ) -> dict[str, float]:
        before = tree_cpu(self.proc.pid)
        result = wrk(self.url + path, seconds, conns, threads, **kw)
        result["cpu_us"] = (tree_cpu(self.proc.pid) - before) / max(result["requests"], 1) * 1e6
        return result

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def refresh_scripts(
    work: Path, name: str, tokens: list[str], rounds: int, threads: int
) -> list[Path]:
    per = len(tokens) // rounds
    out = []
    for r in range(rounds):
        file = work / f"{name}-{r}.tokens"
        file.write_text("\n".join(tokens[r * per : (r + 1) * per]) + "\n")
        script = work / f"{name}-{r}.lua"
        script.write_text(REFRESH_LUA % {"file": file, "threads": threads, "request": JSON_REFRESH})
        out.append(script)
    return out


class Report:
    """The Markdown report, printed line by line as it is made (a long run keeps what it has
    measured when stopped)."""

    def append(self, line: str) -> None:
        print(line, flush=True)


def med(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def plans(url: str) -> list[tuple[str, str]]:
    """The query plan of each statement the refresh path and pruning run, on ``url``."""
    from sqlalchemy import select

    from jwtgate.store.engine import create_db_engine
    from jwtgate.store.sessions import _FIND_REFRESH, _MARK_USED, _TOUCH, SESSIONS, TOKENS
    from jwtgate.store.users import USERS as USERS_TABLE

    now = time.time()
    statements = {
        "refresh: find the token, its session and user": (_FIND_REFRESH, {"p_hash": "0" * 64}),
        "refresh: mark the token used": (_MARK_USED, {"p_id": 1, "p_now": now}),
        "refresh: touch the session": (
            _TOUCH,
            {"p_sid": "x", "p_now": now, "p_expires": now, "p_ip": None, "p_ua": None},
        ),
        "login: the user, by id": (select(USERS_TABLE).where(USERS_TABLE.c.id == "x"), {}),
        "prune: a batch of expired refresh tokens": (
            select(TOKENS.c.id).where(TOKENS.c.expires_at < now).limit(500),
            {},
        ),
        "prune: a batch of dead sessions": (
            select(SESSIONS.c.sid).where(SESSIONS.c.expires_at < now).limit(500),
            {},
        ),
    }
    engine = create_db_engine(url)
    out = []
    try:
        with engine.connect() as conn:
            for title, (stmt, params) in statements.items():
                compiled = stmt.compile(dialect=engine.dialect)
                merged = {**compiled.params, **params}
                if engine.dialect.name == "sqlite":
                    order = compiled.positiontup or []
                    found = conn.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN {compiled}", tuple(merged[k] for k in order)
                    ).all()
                    text = "; ".join(str(r[-1]) for r in found)
                else:
                    found = conn.exec_driver_sql(f"EXPLAIN {compiled}", merged).all()
                    text = "; ".join(str(r[0]).strip() for r in found)
                out.append((title, text))
            conn.rollback()
    finally:
        engine.dispose()
    return out


def prune_while_serving(backend: str, work: Path, args: argparse.Namespace) -> dict[str, float]:
    """p99 of refresh before and during a ``jwtgate db prune`` of ``--prune-rows`` expired
    sessions (with their tokens and events), on a database that also holds live rows."""
    with database(backend, work, "prune") as url:
        upgrade(url)
        progress(f"  {backend}: loading {args.prune_rows} expired sessions ...")
        bulk_load(url, args.prune_rows, expired=True)
        tokens = mint(url, per_prune := args.tokens * 3)
        scripts = refresh_scripts(work, f"{backend}-prune", tokens, 3, args.threads)
        server = Server(url, work, f"{backend}-prune")
        try:
            server.measure("/auth/refresh", 1, args.connections, args.threads, script=scripts[0])
            normal = server.measure(
                "/auth/refresh", args.seconds, args.connections, args.threads, script=scripts[1]
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")}
            env.update(JWTGATE_DATABASE_URL=url, JWTGATE_MASTER_KEY=MASTER_KEY)
            jwtgate = str(Path(sys.executable).with_name("jwtgate"))
            took: dict[str, float] = {}

            def prune() -> None:
                time.sleep(0.5)
                start = time.perf_counter()
                done = subprocess.run(
                    [jwtgate, "db", "prune"],
                    env=env,
                    cwd=work,
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
                took["seconds"] = time.perf_counter() - start
                if done.returncode != 0:
                    progress(f"jwtgate db prune failed: {done.stderr.strip()[-500:]}")
                    took["seconds"] = float("nan")

            pruner = threading.Thread(target=prune)
            pruner.start()
            during: list[dict[str, float]] = []
            # Refresh load for as long as the prune runs (a fresh pool each stretch).
            while pruner.is_alive():
                more = mint(url, args.tokens)
                script = refresh_scripts(
                    work, f"{backend}-prune-more{len(during)}", more, 1, args.threads
                )[0]
                if not pruner.is_alive() and during:
                    break
                during.append(
                    server.measure(
                        "/auth/refresh", args.seconds, args.connections, args.threads, script=script
                    )
                )
            pruner.join()
        finally:
            server.stop()
        del per_prune
        return {
            "rows": float(args.prune_rows),
            "prune_s": took.get("seconds", float("nan")),
            "p99_normal": normal["p99"],
            "p99_during": max(d["p99"] for d in during),
            "rps_normal": normal["rps"],
            "rps_during": statistics.median(d["rps"] for d in during),
            "failed": sum(d["failed"] for d in during),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 to --sizes")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prune-rows", type=int, default=100000)
    parser.add_argument(
        "--tokens", type=int, default=0, help="refresh tokens per round (default 1000/s)"
    )
    parser.add_argument("--plans", action="store_true", help="print the hot queries' plans")
    parser.add_argument("--quick", action="store_true", help="the smoke test's tiny run")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.million and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    if args.quick:
        sizes, args.rounds, args.seconds, args.prune_rows = [100, 2000], 1, 1, 2000
    backends = [b for b in args.backends.split(",") if b]
    if any(b not in ("sqlite", "postgresql") for b in backends) or args.rounds < 1 or not sizes:
        parser.error("--backends takes sqlite and postgresql; --rounds and --sizes at least 1")
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk (make scale-deps)", file=sys.stderr)
        return 2
    if "postgresql" in backends:
        try:
            psycopg.connect(PG_DSN, connect_timeout=3).close()
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL is not reachable at {PG_DSN}: {exc}", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="jwtgate-growth-bench-"))
    per_round = 300 if args.quick else args.tokens or int(1000 * args.seconds)
    args.tokens = per_round
    report = Report()
    load = os.getloadavg()
    report.append(
        f"# jwtgate as the database grows: one worker, wrk -t{args.threads} -c{args.connections}, "
        f"{args.rounds} interleaved rounds of {args.seconds:g} s (load average {load[0]:.1f})"
    )
    for backend in backends:
        with contextlib.ExitStack() as stack:
            servers: dict[int, Server] = {}
            scripts: dict[int, list[Path]] = {}
            access: dict[int, str] = {}
            urls: dict[int, str] = {}
            for size in sizes:
                url = stack.enter_context(database(backend, work, f"s{size}"))
                urls[size] = url
                upgrade(url)
                progress(f"{backend}: loading {size} sessions ...")
                took = bulk_load(url, size, expired=False)
                progress(f"  {5 * size} rows in {took:.1f} s; minting tokens ...")
                tokens = mint(url, per_round * args.rounds)
                scripts[size] = refresh_scripts(
                    work, f"{backend}-{size}", tokens, args.rounds, args.threads
                )
                servers[size] = Server(url, work, f"{backend}-{size}")
                stack.callback(servers[size].stop)
                access[size] = httpx.post(
                    servers[size].url + "/auth/login",
                    json={"username": USER, "password": PASSWORD},
                    timeout=30,
                ).json()["access_token"]
            results: dict[int, dict[str, list[dict[str, float]]]] = {s: {} for s in sizes}
            for r in range(args.rounds):
                order = sizes[r % len(sizes) :] + sizes[: r % len(sizes)]
                progress(f"{backend} round {r + 1}/{args.rounds}")
                for size in order:
                    s, res = servers[size], results[size]
                    w = (args.seconds, args.connections, args.threads)
                    res.setdefault("refresh", []).append(
                        s.measure("/auth/refresh", *w, script=scripts[size][r])
                    )
                    res.setdefault("me", []).append(
                        s.measure(
                            "/auth/me", *w, headers={"Authorization": f"Bearer {access[size]}"}
                        )
                    )
            report.append(f"\n## {backend}\n")
            report.append(
                "| sessions loaded (+ the token pool) | refreshes/s | CPU µs/refresh | p99 ms "
                "| GET /auth/me req/s | CPU µs/GET | refresh ÷ smallest "
                "| GET ÷ smallest | failed |"
            )
            report.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            first = sizes[0]
            for size in sizes:
                ref, me = results[size]["refresh"], results[size]["me"]
                failed = sum(x["failed"] for x in ref + me)
                report.append(
                    f"| {size:,} | {med(ref, 'rps'):.0f} | {med(ref, 'cpu_us'):.0f} | "
                    f"{med(ref, 'p99'):.1f} | {med(me, 'rps'):.0f} | {med(me, 'cpu_us'):.0f} | "
                    f"{med(ref, 'rps') / med(results[first]['refresh'], 'rps'):.2f} | "
                    f"{med(me, 'rps') / med(results[first]['me'], 'rps'):.2f} | {failed:.0f} |"
                )
            if args.plans:
                report.append(f"\nQuery plans at {sizes[-1]:,} sessions ({backend}):\n")
                for title, plan in plans(urls[sizes[-1]]):
                    report.append(f"- {title}: `{plan}`")
        progress(f"{backend}: prune of {args.prune_rows} expired sessions while serving ...")
        pr = prune_while_serving(backend, work, args)
        report.append(
            f"\n`jwtgate db prune` of {int(pr['rows']):,} expired sessions "
            f"({int(pr['rows']) * 5:,} rows with their tokens and events) while serving "
            f"refreshes: {pr['prune_s']:.1f} s; "
            f"refresh p99 {pr['p99_normal']:.1f} ms before, {pr['p99_during']:.1f} ms during "
            f"(x{pr['p99_during'] / pr['p99_normal']:.2f}); refreshes/s {pr['rps_normal']:.0f} "
            f"before, {pr['rps_during']:.0f} during; {pr['failed']:.0f} failed"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
