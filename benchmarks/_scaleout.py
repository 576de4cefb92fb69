"""The scale-out part of benchmarks/http.py: 1 vs 2 instances on PostgreSQL + Redis behind
nginx, and the revocation propagation delay between instances (with Redis, and by polling).

It runs the very deployment the multi-instance tests check (tests/scale/cluster.py): Debian's
nginx round-robin in front of ``jwtgate serve`` processes sharing a fresh PostgreSQL schema
(dropped afterwards) and a Redis key prefix of its own (deleted afterwards).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # the tests package: the deployment helpers

from tests.backends import redis_namespace, require_redis  # noqa: E402
from tests.scale.cluster import cluster, new_master_key, nginx_binary  # noqa: E402
from tests.server.live import LIVE_ISSUER  # noqa: E402
from tests.store.dbkit import fresh_database  # noqa: E402

from jwtgate.auth import build_auth  # noqa: E402
from jwtgate.config import Settings  # noqa: E402

USER, PASSWORD = "bench", "bench user password for wrk 1"
WARM_SECONDS = 2
WARM_TOKENS = 600
"""A fresh instance is slow for its first seconds (connections opened, code paths first run):
each configuration is warmed with a short run of both requests before it is measured."""
POLL_INTERVAL = 2.0


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(database_url: str, master_key: str, sessions: int) -> list[tuple[str, str]]:
    """``sessions`` logins made in process: (access token, refresh token) pairs."""
    auth = build_auth(
        Settings(
            database_url=database_url,
            master_key=master_key,
            issuer=LIVE_ISSUER,
            argon2_time_cost=1,
            argon2_memory_cost=8,
            throttle_ip_failures=10**6,
            # Concurrent logins reserve throttle attempts until they succeed: minting the pool
            # eight at a time for one user must not look like a password-guessing burst.
            throttle_user_failures=10**6,
        )
    )
    try:
        auth.create_user(USER, PASSWORD, roles=["user"])
        with ThreadPoolExecutor(8) as pool:  # commits overlap: minutes become seconds
            made = list(pool.map(lambda _: auth.login(USER, PASSWORD), range(sessions)))
        return [(pair.access_token, pair.refresh_token) for pair in made]
    finally:
        auth.close()


def propagation(a: str, b: str, tokens: Sequence[str], spread: float = 0.0) -> list[float]:
    """For each token: log out at ``a``; seconds from its 204 to ``b``'s first 401.

    Each logout waits a random part of ``spread`` first: measured right after the previous
    detection, polling would always be caught just after B's poll (a full interval to wait).
    """
    delays = []
    with httpx.Client(base_url=a, timeout=10) as at_a, httpx.Client(base_url=b, timeout=10) as at_b:
        for token in tokens:
            auth = {"authorization": f"Bearer {token}"}
            time.sleep(random.uniform(0, spread))
            if at_b.get("/auth/me", headers=auth).status_code != 200:
                raise RuntimeError("B refused a live token")
            if at_a.post("/auth/logout", headers=auth).status_code != 204:
                raise RuntimeError("logout failed")
            acknowledged = time.perf_counter()
            while at_b.get("/auth/me", headers=auth).status_code == 200:
                if time.perf_counter() - acknowledged > 30:
                    raise RuntimeError("B never refused the token")
            delays.append(time.perf_counter() - acknowledged)
    return delays


def refresh_script(
    stem: Path, pairs: Sequence[tuple[str, str]], refresh_lua: str, args: argparse.Namespace
) -> Path:
    """A wrk script that presents each of these refresh tokens once."""
    tokens = stem.with_suffix(".txt")
    tokens.write_text("\n".join(r for _, r in pairs) + "\n")
    script = stem.with_suffix(".lua")
    script.write_text(refresh_lua % {"file": tokens, "threads": args.threads})
    return script


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_jiffies(pids: Sequence[int]) -> int:
    """User + system CPU time of these processes, in jiffies."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def busy_during(
    pids: Sequence[int], run: Callable[..., tuple[float, int, int]], *args: Any, **kwargs: Any
) -> tuple[tuple[float, int, int], tuple[float, float]]:
    """``run(*args, **kwargs)``'s result, the machine's busy CPU share meanwhile, and the
    share the ``pids`` (the instances) took."""
    busy0, total0 = cpu_times()
    own0 = process_jiffies(pids)
    result = run(*args, **kwargs)
    busy1, total1 = cpu_times()
    own1 = process_jiffies(pids)
    elapsed = max(total1 - total0, 1)
    return result, ((busy1 - busy0) / elapsed, (own1 - own0) / elapsed)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def scale_out(
    args: argparse.Namespace, *, wrk: Callable[..., tuple[float, int, int]], refresh_lua: str
) -> int:
    """Run the scale-out benchmark and print its Markdown table. 2 when a service is missing."""
    try:
        nginx_binary()
        redis_url = require_redis()
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        print(f"cannot run the scale-out benchmark: {exc}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="jwtgate-scaleout-bench-"))
    key = new_master_key()
    results: dict[str, Any] = {}
    w = (args.seconds, args.connections, args.threads)
    with ExitStack() as stack:
        try:
            database = stack.enter_context(fresh_database("postgresql", work))
        except (pytest.skip.Exception, pytest.fail.Exception) as exc:
            print(f"cannot run the scale-out benchmark: {exc}", file=sys.stderr)
            return 2
        prefix = stack.enter_context(redis_namespace(redis_url))
        warm_tokens = min(WARM_TOKENS, args.tokens)
        per_run = args.tokens + warm_tokens
        count = 2 * per_run + args.revocations + args.poll_revocations + 1
        progress(f"preparing {count} sessions ...")
        pairs = prepare(database, key, count)
        access = pairs[-1][0]  # a session no run refreshes or revokes
        for n in (1, 2):
            batch = pairs[(n - 1) * per_run : n * per_run]
            warm = refresh_script(work / f"warm-{n}", batch[:warm_tokens], refresh_lua, args)
            script = refresh_script(work / f"refresh-{n}", batch[warm_tokens:], refresh_lua, args)
            progress(f"{n} instance(s) behind nginx ...")
            with cluster(
                work / f"n{n}",
                database,
                redis_url=redis_url,
                redis_prefix=prefix,
                instances=n,
                JWTGATE_MASTER_KEY=key,
            ) as running:
                me_url, bearer = running.url + "/auth/me", {"Authorization": f"Bearer {access}"}
                pids = [live.process.pid for live in running.instances]
                progress("  warming up")
                warm_for = min(WARM_SECONDS, args.seconds)
                wrk(me_url, warm_for, args.connections, args.threads, headers=bearer)
                wrk(running.url + "/auth/refresh", warm_for, *w[1:], script=warm)
                progress("  wrk: GET /auth/me")
                (me, _, me_bad), results[f"me_cpu{n}"] = busy_during(
                    pids, wrk, me_url, *w, headers=bearer
                )
                progress("  wrk: POST /auth/refresh")
                (rate, total, bad), results[f"refresh_cpu{n}"] = busy_during(
                    pids, wrk, running.url + "/auth/refresh", *w, script=script
                )
                results[f"me{n}"] = me
                results[f"refresh{n}"] = rate * (total - bad) / max(total, 1)
                results[f"bad{n}"] = me_bad
                if n == 2:
                    rest = pairs[2 * per_run :]
                    progress(f"  {args.revocations} revocations with Redis")
                    a, b = (live.url for live in running.instances)
                    results["redis"] = propagation(a, b, [t for t, _ in rest][: args.revocations])
        if args.poll_revocations:
            progress(f"{args.poll_revocations} revocations by polling (no Redis)")
            with cluster(
                work / "poll",
                database,
                redis_url=None,
                balancer=False,
                JWTGATE_MASTER_KEY=key,
                JWTGATE_REVOCATION_POLL_INTERVAL=str(POLL_INTERVAL),
            ) as running:
                rest = pairs[2 * per_run + args.revocations : -1]
                a, b = (live.url for live in running.instances)
                results["poll"] = propagation(a, b, [t for t, _ in rest], spread=POLL_INTERVAL)
    report(args, results)
    return 0


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """The Markdown table of a scale-out run."""
    print(
        f"# jwtgate scale-out benchmark: PostgreSQL + Redis, nginx round-robin, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s\n"
    )
    print(f"Machine: {os.cpu_count()} CPUs shared by wrk, nginx, PostgreSQL, Redis and the")
    print("instances. CPU: the machine's busy share during the run, and the instances' share.\n")
    print("| measure | 1 instance | 2 instances | 2 ÷ 1 | CPU, 1 instance | CPU, 2 instances |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, key in (("refreshes/s (successful)", "refresh"), ("GET /auth/me req/s", "me")):
        one, two = results[f"{key}1"], results[f"{key}2"]
        cpu = [results[f"{key}_cpu{n}"] for n in (1, 2)]
        shares = " | ".join(f"{busy:.0%} (instances {own:.0%})" for busy, own in cpu)
        print(f"| {name} | {one:.0f} | {two:.0f} | {two / one:.2f} | {shares} |")
    print("\n| revocation propagation, A's 204 to B's first 401 | n | median | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    for name, key in (
        ("Redis pub/sub", "redis"),
        (f"database polling (every {POLL_INTERVAL:g} s)", "poll"),
    ):
        delays = results.get(key)
        if delays:
            ms = [d * 1000 for d in delays]
            print(
                f"| {name} | {len(ms)} | {statistics.median(ms):.1f} ms | "
                f"{percentile(ms, 0.99):.1f} ms | {max(ms):.1f} ms |"
            )
    if results["bad1"] or results["bad2"]:
        print(f"\nnon-2xx on /auth/me: {results['bad1']} and {results['bad2']}")
