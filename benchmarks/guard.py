"""Guard speed: ``Guard.verify`` against PyJWT's ``decode`` on the same ES256 access tokens,
and a FastAPI endpoint over HTTP (wrk), unprotected, behind a dependency that does nothing
(what FastAPI's dependency injection costs by itself), behind ``guard.require()``, and behind a
PyJWT dependency as the FastAPI documentation teaches.

In process, interleaved rounds and medians (benchmarks/_harness.py habits):

- cold: a pool of distinct tokens, a fresh Guard each round, so every verify is a miss
  (signature, claims, principal, cache insert);
- warm: one token verified again and again, as when a client reuses its access token:
  a cache hit, with ``exp`` and revocation re-checked.

PyJWT gets a loaded public key object and checks ``iss``, ``aud`` and ``exp``, like the Guard.

HTTP: one uvicorn server (one worker each) per way of protecting the endpoint, started from
this file, all running; wrk (one thread, 32 connections) sends the same bearer token to each
in turn, rounds interleaved; medians of requests/s. The ways: none, a no-op dependency,
``guard.require()``, ``GuardMiddleware`` with the ``@requires()`` decorator, the middleware
with the dependency reading its result, the middleware with a DPoP-bound token (a fresh
proof on every request, pre-signed, fed to wrk by a Lua script: each proof is accepted once),
and PyJWT. Needs wrk (``apt-get install -y wrk``).

    python benchmarks/guard.py [--quick] [--rounds N] [--pool N] [--duration S] [--no-http]
"""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import progress

# Then out of the path again: benchmarks/http.py would shadow the standard library's http
# package (PyJWT and httpx import http.client).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import jwtgate  # noqa: E402
from jwtgate import Guard, Key, KeySet  # noqa: E402

warnings.filterwarnings("ignore")

ISS, AUD = "https://auth.example", "api"
MODES = ("unprotected", "noop", "jwtgate", "middleware", "middleware-dep", "dpop", "pyjwt")
BODY = {"users": [{"id": 1, "name": "Ada Lovelace"}, {"id": 2, "name": "Grace Hopper"}]}


def claims(i: int) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISS,
        "aud": AUD,
        "sub": f"user-{i}",
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "jti": f"token-{i}",
        "sid": f"session-{i}",
        "roles": ["user"],
        "scope": "read write",
        "preferred_username": f"user{i}",
    }


def mint(key: Key, i: int, **extra: Any) -> str:
    return jwtgate.encode({**claims(i), **extra}, key, headers={"typ": "at+jwt"})


def dpop_proofs(client_key: Key, token: str, url: str, count: int) -> list[str]:
    """``count`` distinct proofs (one per request: a replayed proof is refused)."""
    from jwtgate.jose.dpop import access_token_hash

    ath = access_token_hash(token)
    header = {"typ": "dpop+jwt", "jwk": client_key.public().to_jwk()}
    now = int(time.time())
    run = os.urandom(6).hex()  # jti unique across runs too
    return [
        jwtgate.encode(
            {"jti": f"{run}-{i}", "htm": "GET", "htu": url, "iat": now, "ath": ath},
            client_key,
            headers=header,
        )
        for i in range(count)
    ]


# -- in process ------------------------------------------------------------------------------


def pyjwt_decoder(key: Key) -> Callable[[str], Any]:
    import jwt as pyjwt

    public = key.public()._public  # the cryptography key object: PyJWT's fastest path
    return lambda t: pyjwt.decode(t, public, algorithms=["ES256"], audience=AUD, issuer=ISS)


def interleaved(
    setups: dict[str, Callable[[], Callable[[str], Any]]], pool: Sequence[str], rounds: int
) -> dict[str, float]:
    """Median µs/op per contender; ``setup()`` (untimed) gives each round's operation."""
    names = list(setups)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            op = setups[name]()
            start = time.perf_counter()
            for token in pool:
                op(token)
            samples[name].append((time.perf_counter() - start) / len(pool) * 1e6)
    return {n: statistics.median(v) for n, v in samples.items()}


def in_process(rounds: int, pool_size: int) -> list[tuple[str, dict[str, float]]]:
    key = Key.generate("ES256")
    keys = KeySet([key.public()])
    tokens = [mint(key, i) for i in range(pool_size)]
    pyjwt = pyjwt_decoder(key)

    def guard() -> Guard:
        return Guard(issuer=ISS, audience=AUD, keys=keys, cache_size=max(10_000, pool_size))

    for check in (guard().verify, pyjwt):  # every contender refuses another audience
        try:
            check(jwtgate.encode({**claims(0), "aud": "other"}, key, headers={"typ": "at+jwt"}))
        except Exception:  # each library has its own error type
            pass
        else:
            raise SystemExit("a contender accepted a token for another audience")

    progress("in process: cold (distinct tokens) ...")
    cold = interleaved(
        {
            "Guard.verify": lambda: guard().verify,
            "jwtgate.decode": lambda: (
                lambda t: jwtgate.decode(t, keys, issuer=ISS, audience=AUD, typ="at+jwt")
            ),
            "PyJWT decode": lambda: pyjwt,
        },
        tokens,
        rounds,
    )
    progress("in process: warm (one token repeated) ...")
    warm_guard = guard()
    warm_guard.verify(tokens[0])
    repeated = [tokens[0]] * pool_size
    warm = interleaved(
        {"Guard.verify": lambda: warm_guard.verify, "PyJWT decode": lambda: pyjwt},
        repeated,
        rounds,
    )
    return [("cold: distinct tokens", cold), ("warm: one token repeated", warm)]


# -- HTTP --------------------------------------------------------------------------------------


def build_app(mode: str, pem: bytes) -> Any:
    """The same endpoint, protected three ways (``mode`` one of MODES)."""
    from typing import Annotated

    import jwt as pyjwt
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from fastapi import Depends, FastAPI, HTTPException, status
    from fastapi.security import OAuth2PasswordBearer

    app = FastAPI()
    if mode == "unprotected":

        @app.get("/users")
        async def users_open() -> dict[str, Any]:
            return BODY

    elif mode == "noop":  # what any FastAPI dependency costs: the floor for jwtgate

        async def nothing() -> None:
            return None

        @app.get("/users")
        async def users_noop(_: Annotated[None, Depends(nothing)]) -> dict[str, Any]:
            return BODY

    elif mode == "jwtgate":
        guard = Guard(issuer=ISS, audience=AUD, keys=Key.from_pem(pem, alg="ES256"))
        current_user = guard.require()

        @app.get("/users")
        async def users_guarded(
            user: Annotated[jwtgate.Principal, Depends(current_user)],
        ) -> dict[str, Any]:
            return BODY

    elif mode in ("middleware", "dpop"):  # GuardMiddleware and the @requires decorator
        from jwtgate.guard.middleware import GuardMiddleware, requires

        guard = Guard(
            issuer=ISS, audience=AUD, keys=Key.from_pem(pem, alg="ES256"), dpop_max_age=600
        )
        app.add_middleware(GuardMiddleware, guard=guard)

        @app.get("/users")
        @requires()
        async def users_middleware() -> dict[str, Any]:
            return BODY

    elif mode == "middleware-dep":  # GuardMiddleware, then the dependency reads its result
        from jwtgate.guard.middleware import GuardMiddleware

        guard = Guard(issuer=ISS, audience=AUD, keys=Key.from_pem(pem, alg="ES256"))
        app.add_middleware(GuardMiddleware, guard=guard)
        current_user = guard.require()

        @app.get("/users")
        async def users_middleware_dep(
            user: Annotated[jwtgate.Principal, Depends(current_user)],
        ) -> dict[str, Any]:
            return BODY

    else:  # the FastAPI tutorial ("OAuth2 with Password, Bearer with JWT tokens"), ES256
        public_key = load_pem_public_key(pem)
        oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

        async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> Any:
            credentials_exception = HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Could not validate credentials",
                headers={"WWW-Authenticate": "Bearer"},
            )
            try:
                payload = pyjwt.decode(
                    token, public_key, algorithms=["ES256"], audience=AUD, issuer=ISS
                )
            except pyjwt.InvalidTokenError:
                raise credentials_exception from None
            if payload.get("sub") is None:
                raise credentials_exception
            return payload

        @app.get("/users")
        async def users_pyjwt(
            user: Annotated[dict[str, Any], Depends(get_current_user)],
        ) -> dict[str, Any]:
            return BODY

    return app


def serve(mode: str, port: int) -> None:
    """Child process: run one app until killed."""
    import uvicorn

    pem = os.environ["GUARD_BENCH_PEM"].encode()
    uvicorn.run(
        build_app(mode, pem), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the server for {url} did not start")


_PROOF_SCRIPT = """
local proofs = {{}}
for line in io.lines("{path}") do proofs[#proofs + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", nil, {{["Authorization"] = "DPoP {token}", ["DPoP"] = proofs[i]}})
end
"""


def wrk(
    url: str, token: str, duration: float, connections: int, proofs: list[str] | None = None
) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    script = None
    if proofs is None:
        command += ["-H", f"Authorization: Bearer {token}"]
    else:  # one fresh DPoP proof per request, from a file (wrk cannot sign)
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
            listing.write("\n".join(proofs) + "\n")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(_PROOF_SCRIPT.format(path=listing.name, token=token))
        script = (listing.name, lua.name)
        command += ["-s", lua.name]
    try:
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        for path in script or ():
            os.unlink(path)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out:
        raise SystemExit(f"wrk failed or got errors:\n{out}")
    return float(match.group(1))


def http(rounds: int, duration: float, connections: int) -> dict[str, float] | None:
    if shutil.which("wrk") is None:
        progress("wrk not found: skipping HTTP (apt-get install -y wrk)")
        return None
    import httpx

    key = Key.generate("ES256")
    token = mint(key, 0)
    client_key = Key.generate("ES256")
    bound = mint(key, 0, cnf={"jkt": client_key.thumbprint()})
    # Enough fresh proofs for every request of a run (more than any run here sends).
    per_run = int(max(duration, 1) * 6000) + 5000
    env = {**os.environ, "GUARD_BENCH_PEM": key.public().to_pem().decode()}
    servers: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    try:
        for mode in MODES:
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--serve", mode, "--port", str(port)],
                env=env,
            )
            servers[mode] = (f"http://127.0.0.1:{port}/users", process)
        for mode, (url, process) in servers.items():
            wait_up(url, process)
            # Each server answers correctly before it is timed.
            if mode == "dpop":
                proof = dpop_proofs(client_key, bound, url, 1)[0]
                dpop = {"Authorization": f"DPoP {bound}", "DPoP": proof}
                assert httpx.get(url, headers=dpop).status_code == 200
                assert httpx.get(url, headers=dpop).status_code == 401  # replayed
                assert (
                    httpx.get(url, headers={"Authorization": f"Bearer {bound}"}).status_code == 401
                )
            else:
                assert (
                    httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
                )
            if mode not in ("unprotected", "noop"):
                assert httpx.get(url).status_code == 401
                assert httpx.get(url, headers={"Authorization": "Bearer x.y.z"}).status_code == 401
            warm = dpop_proofs(client_key, bound, url, 2 * per_run) if mode == "dpop" else None
            wrk(url, bound if warm else token, min(2.0, duration), connections, warm)  # warm up
        samples: dict[str, list[float]] = {m: [] for m in MODES}
        for r in range(rounds):
            for mode in MODES[r % len(MODES) :] + MODES[: r % len(MODES)]:
                progress(f"  http round {r + 1}/{rounds}: {mode}")
                url = servers[mode][0]
                if mode == "dpop":
                    proofs = dpop_proofs(client_key, bound, url, per_run)
                    samples[mode].append(wrk(url, bound, duration, connections, proofs))
                else:
                    samples[mode].append(wrk(url, token, duration, connections))
        return {m: statistics.median(v) for m, v in samples.items()}
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(timeout=10)


# -- ASGI in process ---------------------------------------------------------------------------


def asgi_cpu(rounds: int, per_round: int) -> dict[str, float]:
    """CPU µs per request of each app called directly as ASGI (no server, no network):
    steadier than wrk on a busy machine, since other processes' load is not counted.
    Rounds interleaved, medians of ``time.process_time``."""
    import asyncio

    key = Key.generate("ES256")
    pem = key.public().to_pem()
    token = mint(key, 0)
    client_key = Key.generate("ES256")
    bound = mint(key, 0, cnf={"jkt": client_key.thumbprint()})
    url = "http://127.0.0.1:8000/users"
    modes = [m for m in MODES if m != "pyjwt"]
    apps = {mode: build_app(mode, pem) for mode in modes}
    proofs = iter(dpop_proofs(client_key, bound, url, (rounds + 1) * per_round))

    def scope(mode: str) -> dict[str, Any]:
        if mode == "dpop":
            credentials = [
                (b"authorization", f"DPoP {bound}".encode()),
                (b"dpop", next(proofs).encode()),
            ]
        else:
            credentials = [(b"authorization", f"Bearer {token}".encode())]
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/users",
            "raw_path": b"/users",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1:8000"), *credentials],
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
        }

    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run(mode: str) -> float:
        scopes = [scope(mode) for _ in range(per_round)]
        start = time.process_time()
        for s in scopes:
            await apps[mode](s, receive, send)
        return (time.process_time() - start) / per_round * 1e6

    async def all_rounds() -> dict[str, float]:
        samples: dict[str, list[float]] = {m: [] for m in modes}
        for mode in modes:
            await run(mode)  # warm up (first verification, route compilation)
        for r in range(rounds):
            for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
                samples[mode].append(await run(mode))
        if set(statuses) != {200}:
            raise SystemExit(f"an app answered {sorted(set(statuses))} in process")
        return {m: statistics.median(v) for m, v in samples.items()}

    progress("ASGI in process (CPU time) ...")
    return asyncio.run(all_rounds())


# -- report ------------------------------------------------------------------------------------

LABELS = {
    "unprotected": "unprotected",
    "noop": "a no-op `Depends()` (FastAPI's floor)",
    "jwtgate": "`Depends(guard.require())`",
    "middleware": "`GuardMiddleware` + `@requires()`",
    "middleware-dep": "`GuardMiddleware` + `Depends(guard.require())`",
    "dpop": "`GuardMiddleware` + `@requires()`, DPoP token and proof",
    "pyjwt": "PyJWT dependency (FastAPI docs)",
}


def report(
    rows: list[tuple[str, dict[str, float]]],
    web: dict[str, float] | None,
    cpu: dict[str, float] | None = None,
) -> None:
    for title, results in rows:
        pyjwt = results["PyJWT decode"]
        print(f"\n### {title}\n")
        print("| contender | µs/op | speed vs PyJWT |")
        print("|---|---:|---:|")
        for name, us in sorted(results.items(), key=lambda kv: kv[1]):
            print(f"| {name} | {us:.2f} | {pyjwt / us:.2f}x |")
    if cpu is not None:
        print("\n### ASGI in process: CPU µs per request (no server, no network)\n")
        print("| endpoint | µs | x unprotected (requests/CPU-second) |")
        print("|---|---:|---:|")
        for mode, us in cpu.items():
            print(f"| {LABELS[mode]} | {us:.1f} | {cpu['unprotected'] / us:.2f} |")
    if web is None:
        return
    print("\n### HTTP: FastAPI GET /users, uvicorn 1 worker, wrk 1 thread\n")
    print("| endpoint | req/s | x unprotected |")
    print("|---|---:|---:|")
    for mode in MODES:
        print(f"| {LABELS[mode]} | {web[mode]:.0f} | {web[mode] / web['unprotected']:.2f} |")
    print(f"\njwtgate / PyJWT dependency: {web['jwtgate'] / web['pyjwt']:.2f}x")
    print(f"middleware / dependency: {web['middleware'] / web['jwtgate']:.2f}x")
    print(f"DPoP / Bearer (both behind the middleware): {web['dpop'] / web['middleware']:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and short (smoke test)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--pool", type=int, default=1000)
    parser.add_argument("--http-rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    if args.quick:
        args.rounds, args.pool, args.http_rounds, args.duration = 2, 50, 1, 1.0
    rows = in_process(args.rounds, args.pool)
    cpu = asgi_cpu(args.rounds * 4, 300 if not args.quick else 50)
    web = None if args.no_http else http(args.http_rounds, args.duration, args.connections)
    print(
        f"# jwtgate Guard benchmark (python {sys.version.split()[0]}, {args.rounds} rounds, "
        f"pool {args.pool}; HTTP {args.http_rounds} rounds x {args.duration:g} s)"
    )
    report(rows, web, cpu)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
