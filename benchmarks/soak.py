"""Soak: mixed load on a real ``jwtgate serve`` for a bounded time, with its memory sampled.

Logins, protected calls, refreshes, logouts, admin reads, and garbage tokens and bodies run
from several threads; the server's RSS is read from /proc every second. After warm-up (the
first fifth of the run) the RSS must be flat: the script prints the least-squares slope and
exits 1 when it exceeds ``--max-slope`` KiB per minute, or when any request got a 5xx.

Flat means every bounded structure has reached its bound within the warm-up, so that growth
left afterwards is a leak. Two of them take long at the server's defaults, and the run sizes
them down: revocations live as long as the access tokens they cover (``--access-ttl``, 60 s
here against 900 s by default), and SQLite's page caches fill as the database grows
(``--sqlite-cache-kib``, 256 KiB per connection here against 2048 KiB).

    python benchmarks/soak.py [--seconds 600] [--threads 4] [--max-requests N]
"""

from __future__ import annotations

import os
import sys

# benchmarks/http.py must not shadow the standard library's http package, which httpx imports.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

PASSWORD = "Soak-admin-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def slope_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS (KiB) against time, in KiB per minute."""
    xs = [t for t, _ in samples]
    ys = [float(v) for _, v in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 60


class Load:
    def __init__(self, url: str, deadline: float, max_requests: int) -> None:
        self.url, self.deadline, self.max_requests = url, deadline, max_requests
        self.count = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def more(self) -> bool:
        with self.lock:
            self.count += 1
            return self.count <= self.max_requests and time.monotonic() < self.deadline

    def check(self, r: httpx.Response) -> httpx.Response:
        if r.status_code >= 500:
            self.errors.append(f"{r.request.method} {r.request.url.path}: {r.status_code}")
        return r

    def worker(self, n: int) -> None:
        rnd = random.Random(n)
        with httpx.Client(base_url=self.url, timeout=30) as c:
            while self.more():
                login = self.check(
                    c.post(
                        "/auth/login",
                        json={"username": "admin", "password": PASSWORD},
                        headers={"X-Forwarded-For": f"10.0.{n}.{rnd.randrange(250)}"},
                    )
                )
                if login.status_code != 200:
                    time.sleep(0.05)
                    continue
                pair = login.json()
                auth = {"authorization": f"Bearer {pair['access_token']}"}
                for _ in range(rnd.randrange(5, 20)):
                    self.check(c.get("/auth/me", headers=auth))
                self.check(c.get("/admin/users", headers=auth))
                self.check(
                    c.get(
                        "/auth/me",
                        headers={"authorization": "Bearer " + "x" * rnd.randrange(1, 400)},
                    )
                )
                self.check(
                    c.post(
                        "/auth/login",
                        content=os.urandom(rnd.randrange(1, 200)),
                        headers={"content-type": "application/json"},
                    )
                )
                refreshed = self.check(
                    c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
                )
                if refreshed.status_code == 200:
                    auth = {"authorization": f"Bearer {refreshed.json()['access_token']}"}
                self.check(c.post("/auth/logout", headers=auth))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--max-requests",
        type=int,
        default=2_000_000,
        help="stop after this many request rounds even if time is left",
    )
    parser.add_argument(
        "--access-ttl",
        type=int,
        default=60,
        help="access token lifetime in seconds (JWTGATE_ACCESS_TTL); revocations live as long "
        "as the tokens they cover, so it must be well under the warm-up for the run to reach "
        "its steady state",
    )
    parser.add_argument(
        "--sqlite-cache-kib",
        type=int,
        default=256,
        help="page cache of each SQLite connection (JWTGATE_SQLITE_CACHE_KIB); the caches fill "
        "as the database grows, and at the default of 2048 KiB five connections take about an "
        "hour of this load to fill theirs",
    )
    parser.add_argument(
        "--max-slope",
        type=float,
        default=256.0,
        help="KiB per minute of RSS growth after warm-up that fails the run",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="jwtgate-soak-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_DATABASE_URL": f"sqlite:///{work}/soak.db",
        "JWTGATE_ADMIN_PASSWORD": PASSWORD,
        "JWTGATE_ACCESS_TTL": str(args.access_ttl),
        "JWTGATE_SQLITE_CACHE_KIB": str(args.sqlite_cache_kib),
        "JWTGATE_ARGON2_TIME_COST": "1",
        "JWTGATE_ARGON2_MEMORY_COST": "1024",
        "JWTGATE_THROTTLE_IP_FAILURES": "1000000",
        "JWTGATE_THROTTLE_USER_FAILURES": "1000000",
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
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        start = time.monotonic()
        load = Load(url, start + args.seconds, args.max_requests)
        threads = [threading.Thread(target=load.worker, args=(i,)) for i in range(args.threads)]
        for t in threads:
            t.start()
        samples: list[tuple[float, int]] = []
        while any(t.is_alive() for t in threads):
            samples.append((time.monotonic() - start, rss_kib(server.pid)))
            t_now = samples[-1][0]
            print(
                f"\r{t_now:6.0f}s  rounds {load.count:8d}  rss {samples[-1][1] / 1024:7.1f} MiB",
                end="",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(1)
        for t in threads:
            t.join()
        print(file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    steady = [s for s in samples if s[0] >= samples[-1][0] / 5] if samples else []
    slope = slope_per_minute(steady) if len(steady) >= 3 else 0.0
    print(
        f"soak: {samples[-1][0] if samples else 0:.0f} s, {load.count} rounds, "
        f"{args.threads} threads; RSS {steady[0][1] / 1024 if steady else 0:.1f} -> "
        f"{steady[-1][1] / 1024 if steady else 0:.1f} MiB after warm-up; "
        f"slope {slope:+.1f} KiB/min (limit {args.max_slope}); 5xx: {len(load.errors)}"
    )
    for e in load.errors[:10]:
        print("  5xx:", e)
    return 0 if slope <= args.max_slope and not load.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
