"""Authorization code flow speed: jwtgate against npm oidc-provider, in one run.

Reports, for each provider: code exchanges per second (``POST /token`` with
``grant_type=authorization_code`` and a PKCE verifier, codes minted beforehand) and whole
round trips per second (the authorization request of a browser that has an SSO session, the
redirect with the code, the exchange), with the same Python HTTP clients driving both, and
the ratio jwtgate / oidc-provider.

jwtgate runs as one ``jwtgate serve`` worker persisting to SQLite (sessions, refresh tokens,
codes and audit events are written to disk); oidc-provider 9.13.3 (tests/node, ``npm ci``)
runs in one Node process with its development in-memory adapter, which persists nothing.
Both sign ES256 JWT access tokens and issue a refresh token per exchange.

    python benchmarks/oauth.py [--seconds 5] [--codes 300] [--concurrency 8] [--rounds 5]
                               [--quick]
"""

from __future__ import annotations

import os
import sys

# benchmarks/http.py sits beside this file; the folder (sys.path[0] when run as a script)
# must not shadow the standard library's http package, which httpx imports.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import base64  # noqa: E402
import hashlib  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import parse_qs, urljoin, urlsplit  # noqa: E402

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "tests" / "node"
REDIRECT = "http://127.0.0.1:9/callback"
RESOURCE = "https://orders.example"
ADMIN_PASSWORD = "benchmark admin password 42"
_FORM = re.compile(r"<form[^>]*action=\"([^\"]*)\"[^>]*>([\s\S]*?)</form>")
_INPUT = re.compile(r"<input[^>]*>")


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Provider:
    """One provider under test: where its endpoints are and the public client to use."""

    name: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    client_id: str
    username: str
    password: str


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited early")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


@contextmanager
def jwtgate(workdir: Path) -> Iterator[Provider]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")},
        "JWTGATE_DATABASE_URL": f"sqlite:///{workdir}/jwtgate.db",
        "JWTGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWTGATE_ISSUER": url,
    }
    script = Path(sys.executable).with_name("jwtgate")
    command = [str(script)] if script.is_file() else [shutil.which("jwtgate") or "jwtgate"]
    log = (workdir / "jwtgate.log").open("wb")
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    try:
        _wait(url + "/healthz", process)
        admin = httpx.post(
            url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        client = httpx.post(
            url + "/admin/clients",
            headers={"authorization": f"Bearer {admin}"},
            json={
                "name": "bench",
                "type": "public",
                "redirect_uris": [REDIRECT],
                "scopes": ["orders:read"],
                "audiences": [RESOURCE],
            },
        ).json()
        yield Provider(
            "jwtgate",
            url,
            url + "/auth/authorize",
            url + "/auth/token",
            client["client_id"],
            "admin",
            ADMIN_PASSWORD,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        raise SystemExit("oidc-provider is not installed: run `make node-deps`")
    port = free_port()
    process = subprocess.Popen(
        [node, "scripts/oidc_provider.mjs", str(port), REDIRECT, RESOURCE, "unused-secret"],
        cwd=NODE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("ready "):
            raise SystemExit(f"oidc-provider did not start: {line!r}")
        issuer = line.split()[1]
        meta = httpx.get(issuer + "/.well-known/openid-configuration").json()
        yield Provider(
            "oidc-provider",
            issuer,
            meta["authorization_endpoint"],
            meta["token_endpoint"],
            "public-app",
            "bench",
            "any password",
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def authorization_url(p: Provider, challenge: str) -> str:
    query = httpx.QueryParams(
        {
            "response_type": "code",
            "client_id": p.client_id,
            "redirect_uri": REDIRECT,
            "scope": "orders:read",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": RESOURCE,
        }
    )
    return f"{p.authorization_endpoint}?{query}"


def sign_in(p: Provider, browser: httpx.Client, challenge: str) -> None:
    """Sign in once (and consent) so that the browser has an SSO session."""
    response = browser.get(authorization_url(p, challenge))
    for _ in range(20):
        location = response.headers.get("location", "")
        if location.startswith(REDIRECT):
            return
        if location:
            response = browser.get(urljoin(str(response.url), location))
            continue
        forms = [
            f
            for f in _FORM.findall(response.text)
            if re.search(r'name="(password|decision|prompt)"', f[1])
        ]
        if not forms:
            raise SystemExit(f"{p.name}: no sign-in form on a {response.status_code} page")
        action, body = forms[0]
        fields: dict[str, str] = {}
        for tag in _INPUT.findall(body):
            name = re.search(r'name="([^"]+)"', tag)
            if not name:
                continue
            value = re.search(r'value="([^"]*)"', tag)
            text = (value.group(1) if value else "").replace("&amp;", "&")
            if name.group(1) in ("username", "login"):
                text = p.username
            if name.group(1) == "password":
                text = p.password
            fields[name.group(1)] = text
        if 'name="decision"' in body:
            fields["decision"] = "allow"
        target = urljoin(str(response.url), action.replace("&amp;", "&"))
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(target))
        response = browser.post(target, data=fields, headers={"origin": origin})
    raise SystemExit(f"{p.name}: sign-in did not come back")


def code(p: Provider, browser: httpx.Client, challenge: str) -> str:
    response = browser.get(authorization_url(p, challenge))
    location = response.headers.get("location", "")
    if not location.startswith(REDIRECT):
        raise SystemExit(f"{p.name}: no code ({response.status_code} {location[:100]})")
    return parse_qs(urlsplit(location).query)["code"][0]


def exchange(p: Provider, http: httpx.Client, value: str, verifier: str) -> None:
    response = http.post(
        p.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": value,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": p.client_id,
        },
    )
    if response.status_code != 200:
        raise SystemExit(f"{p.name}: token {response.status_code} {response.text[:200]}")


def parallel(concurrency: int, work: Callable[[int], int]) -> float:
    """Run ``work(worker)`` on ``concurrency`` threads; operations per second overall."""
    counts = [0] * concurrency
    barrier = threading.Barrier(concurrency + 1)

    def run(i: int) -> None:
        barrier.wait()
        counts[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


def measure(p: Provider, seconds: float, codes: int, concurrency: int) -> tuple[float, float]:
    verifier, challenge = pkce()
    browsers = [httpx.Client(follow_redirects=False, timeout=30) for _ in range(concurrency)]
    try:
        for browser in browsers:
            sign_in(p, browser, challenge)
        progress(f"{p.name}: minting {codes} codes")
        per = max(1, codes // concurrency)
        minted: list[list[str]] = [[] for _ in browsers]
        parallel(
            concurrency,
            lambda i: len([minted[i].append(code(p, browsers[i], challenge)) for _ in range(per)]),
        )
        progress(f"{p.name}: exchanging them")
        exchanges = parallel(
            concurrency, lambda i: len([exchange(p, browsers[i], c, verifier) for c in minted[i]])
        )
        progress(f"{p.name}: round trips for {seconds} s")

        def round_trips(i: int) -> int:
            done, deadline = 0, time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                exchange(p, browsers[i], code(p, browsers[i], challenge), verifier)
                done += 1
            return done

        trips = parallel(concurrency, round_trips)
        return exchanges, trips
    finally:
        for browser in browsers:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--codes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="interleaved rounds (jwtgate, oidc-provider, oidc-provider, jwtgate...); the "
        "median of each is shown",
    )
    parser.add_argument("--quick", action="store_true", help="1 round: 1 s, 40 codes, 4 clients")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.codes, args.concurrency, args.rounds = 1.0, 40, 4, 1
    if args.seconds <= 0 or args.codes < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--seconds, --codes, --concurrency and --rounds must be positive")
    runs: dict[str, list[tuple[float, float]]] = {"jwtgate": [], "oidc-provider": []}
    with tempfile.TemporaryDirectory() as tmp, jwtgate(Path(tmp)) as ours, oidc_provider() as ref:
        # Interleaved, so that the load of a shared machine falls on both alike.
        for round_ in range(args.rounds):
            for provider in (ours, ref) if round_ % 2 == 0 else (ref, ours):
                progress(f"round {round_ + 1}/{args.rounds}")
                runs[provider.name].append(
                    measure(provider, args.seconds, args.codes, args.concurrency)
                )
    results = {
        name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
        for name, rs in runs.items()
    }
    print(
        f"## Authorization code flow ({args.concurrency} clients, {args.codes} codes, "
        f"{args.seconds:g} s of round trips, median of {args.rounds} interleaved rounds)\n"
    )
    print("| provider | code exchanges/s | round trips/s |")
    print("|---|---|---|")
    for name, (exchanges, trips) in results.items():
        print(f"| {name} | {exchanges:.0f} | {trips:.0f} |")
    (ex_ours, rt_ours), (ex_ref, rt_ref) = results["jwtgate"], results["oidc-provider"]
    print(
        f"\njwtgate / oidc-provider: code exchanges {ex_ours / ex_ref:.2f}x, "
        f"round trips {rt_ours / rt_ref:.2f}x (jwtgate persists to SQLite; oidc-provider "
        "keeps everything in memory)"
    )


if __name__ == "__main__":
    main()
