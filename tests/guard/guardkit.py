"""Helpers for the Guard tests: an issuer that mints RFC 9068 access tokens on a fake clock,
and a small threaded HTTP server on a free loopback port that serves a JWK Set and a
revocation feed, and counts what it is asked."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jwtgate import Key, KeySet, encode

ISS = "https://auth.example"
AUD = "api"
T0 = 1_900_000_000.0


class FakeClock:
    """A settable clock: ``clock()`` is the time, ``advance(s)`` moves it."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Issuer:
    """Signs access tokens like jwtgate's server does (header typ at+jwt, RFC 9068 claims)."""

    def __init__(self, clock: FakeClock, alg: str = "ES256") -> None:
        self.clock = clock
        self.key = Key.generate(alg)
        self.alg = alg

    @property
    def keys(self) -> KeySet:
        return KeySet([self.key.public()])

    def jwks(self) -> dict[str, Any]:
        return self.keys.to_jwks()

    def rotate(self) -> Key:
        """A new signing key; the old one is returned (and no longer signs)."""
        old, self.key = self.key, Key.generate(self.alg)
        return old

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": ISS,
            "aud": AUD,
            "sub": "user-1",
            "exp": now + 300,
            "iat": now,
            "nbf": now,
            "jti": secrets.token_urlsafe(8),
            "sid": "session-1",
            "roles": ["user"],
            "scope": "read write",
            "preferred_username": "alice",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not _DROP}

    def token(
        self, key: Key | None = None, headers: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        return encode(
            self.claims(**claims), key or self.key, headers={"typ": "at+jwt", **(headers or {})}
        )


_DROP = object()
DROP: Any = _DROP  # pass as a claim value to leave the claim out


@dataclass
class Served:
    """What the test server answers and what it was asked."""

    jwks: bytes | dict[str, Any] = field(default_factory=lambda: {"keys": []})
    jwks_status: int = 200
    cache_control: str | None = "max-age=300"
    jwks_headers: dict[str, str] = field(default_factory=dict)
    send_length: bool = True  # False: no Content-Length, the body ends when the connection does
    delay: float = 0.0
    feed_pages: list[dict[str, Any]] = field(default_factory=list)  # answered in order
    feed_status: int = 200
    feed_body: bytes | None = None  # raw override
    client: tuple[str, str] = ("guard-client", "guard-secret")
    documents: dict[str, Any] = field(default_factory=dict)  # path -> JSON (or bytes) to serve
    hits: Counter[str] = field(default_factory=Counter)
    feed_queries: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        served = self.server.served
        parts = urlsplit(self.path)
        with served.lock:
            served.hits[parts.path] += 1
        if served.delay:
            time.sleep(served.delay)
        if parts.path == "/jwks.json":
            body = (
                served.jwks if isinstance(served.jwks, bytes) else json.dumps(served.jwks).encode()
            )
            headers = {"Cache-Control": served.cache_control} if served.cache_control else {}
            self._answer(served.jwks_status, body, {**headers, **served.jwks_headers})
        elif parts.path == "/revocations":
            self._feed(served, parse_qs(parts.query).get("since", [None])[0])
        elif parts.path in served.documents:
            document = served.documents[parts.path]
            body = document if isinstance(document, bytes) else json.dumps(document).encode()
            self._answer(200, body, {})
        else:
            self._answer(404, b'{"error": "not_found"}', {})

    def _feed(self, served: Served, since: str | None) -> None:
        expected = "Basic " + base64.b64encode(":".join(served.client).encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._answer(401, b'{"error": "invalid_client"}', {"WWW-Authenticate": "Basic"})
            return
        with served.lock:
            served.feed_queries.append(since)
            if served.feed_body is not None or served.feed_status != 200:
                body = served.feed_body or b'{"error": "server_error"}'
                self._answer(served.feed_status, body, {})
                return
            page = served.feed_pages.pop(0) if served.feed_pages else None
        if page is None:
            page = {
                "cursor": since or "0",
                "sessions": [],
                "tokens": [],
                "users": {},
                "more": False,
            }
        self._answer(200, json.dumps(page).encode(), {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.server.served.send_length:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    served: Served


class TestServer:
    """A threaded HTTP server on 127.0.0.1 and a free port, until ``stop()``."""

    __test__ = False  # not a pytest class

    def __init__(self, served: Served | None = None) -> None:
        self.served = served or Served()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.served = self.served
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/jwks.json"

    @property
    def feed_url(self) -> str:
        return f"{self.base}/revocations"

    def jwks_fetches(self) -> int:
        return self.served.hits["/jwks.json"]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def serving(served: Served | None = None) -> Iterator[TestServer]:
    server = TestServer(served)
    try:
        yield server
    finally:
        server.stop()


def wait_until(predicate: Any, timeout: float = 5.0, step: float = 0.01) -> bool:
    """Poll ``predicate`` until true or ``timeout``; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


class DripServer:
    """A raw-socket HTTP server on a free loopback port. While ``dripping`` is set it answers
    every request with a status line and then one header byte every ``step`` seconds, for up
    to ``duration`` seconds before it hangs up (a stalled or hostile JWKS or feed server);
    otherwise it answers ``answer(path)`` (status, JSON body) at once. ``hits`` counts
    requests; ``open`` is the number of connections it is still dripping into."""

    __test__ = False

    def __init__(
        self,
        answer: Any = None,
        *,
        step: float = 0.2,
        duration: float = 20.0,
        dripping: bool = True,
    ) -> None:
        import socket

        self.answer = answer or (lambda path: (404, {"error": "not_found"}))
        self.step = step
        self.duration = duration
        self.dripping = threading.Event()
        if dripping:
            self.dripping.set()
        self.hits = 0
        self.open = 0
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Any) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
            except OSError:
                return
            path = head.split(b" ", 2)[1].decode() if head.count(b" ") >= 2 else "/"
            with self._lock:
                self.hits += 1
            if self.dripping.is_set():
                self._drip(conn)
                return
            status, body = self.answer(urlsplit(path).path)
            payload = json.dumps(body).encode()
            response = (
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
            ).encode() + payload
            with contextlib.suppress(OSError):
                conn.sendall(response)

    def _drip(self, conn: Any) -> None:
        with self._lock:
            self.open += 1
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            until = time.monotonic() + self.duration
            while time.monotonic() < until and not self._stopped.wait(self.step):
                conn.sendall(b"a")
        except OSError:
            pass  # the client gave up: what a deadline should make it do
        finally:
            with self._lock:
                self.open -= 1

    def stop(self) -> None:
        self._stopped.set()
        self._sock.close()
        self._thread.join(2)


DPOP_ALGS = "ES256 ES384 ES512 Ed25519 EdDSA PS256 PS384 PS512 RS256"
# A request without credentials: both schemes a Guard accepts (RFC 6750 3, RFC 9449 7.1).
BARE_CHALLENGE = f'Bearer realm="jwtgate", DPoP realm="jwtgate", algs="{DPOP_ALGS}"'
