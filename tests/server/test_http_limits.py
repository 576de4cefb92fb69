"""Header size, header time and connection bounds of a real ``jwtgate serve``, attacked with
raw sockets: unfinished 250 MB headers, a header line trickled every half second, more
connections than a worker takes, while ordinary requests keep being answered."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .live import Live, serve

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
RSS_LIMIT = 200 * MIB
HEADER_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(
        tmp_path_factory.mktemp("limits"),
        JWTGATE_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        JWTGATE_MAX_CONNECTIONS="64",
    ) as server:
        yield server


def rss(pid: int) -> int:
    """Resident memory of a process, in bytes (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def connect(live: Live) -> socket.socket:
    host, port = live.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_server(sock: socket.socket, within: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within ``within`` seconds, and what it said."""
    sock.settimeout(within)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except TimeoutError:
        return False, answer
    except OSError:
        pass  # reset: closed as well
    return True, answer


class Prober:
    """Ordinary requests in a thread for as long as an attack lasts: each must be answered."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answered = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                try:
                    status = http.get(self.url + "/healthz").status_code
                    if status == 200:
                        self.answered += 1
                    else:
                        self.failures.append(str(status))
                except httpx.HTTPError as exc:
                    self.failures.append(type(exc).__name__)
                self._stop.wait(0.05)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        deadline = time.monotonic() + 10  # at least a few, however short the attack was
        while self.answered < 3 and not self.failures and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(15)


def _unfinished_header(live: Live, size: int, stop: Callable[[], bool]) -> tuple[int, bytes]:
    """Send a request whose Authorization header runs to ``size`` bytes with no end; return
    how many bytes went out before the server hung up (or ``stop()``), and its answer."""
    sock = connect(live)
    sent = 0
    chunk = b"a" * MIB
    try:
        sock.sendall(b"GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        while sent < size and not stop():
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the server hung up: what the bound should make it do
    _, answer = closed_by_server(sock, 5)
    sock.close()
    return sent, answer


def test_four_unfinished_250_mb_headers_leave_rss_bounded(live: Live) -> None:
    """Before the bound, four unfinished 250 MB headers took the server to 1.3 GB."""
    pid = live.process.pid
    before = rss(pid)
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss(pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results: list[tuple[int, bytes]] = []
    with Prober(live.url) as prober:
        attackers = [
            threading.Thread(
                target=lambda: results.append(
                    _unfinished_header(live, 250 * MIB, lambda: peak > RSS_LIMIT)
                )
            )
            for _ in range(4)
        ]
        for attacker in attackers:
            attacker.start()
        for attacker in attackers:
            attacker.join(120)
    done.set()
    sampler.join()
    print(f"server RSS before {before / MIB:.0f} MiB, peak during the attack {peak / MIB:.0f} MiB")
    assert peak < RSS_LIMIT, f"RSS reached {peak / MIB:.0f} MiB (from {before / MIB:.0f})"
    assert len(results) == 4
    for sent, answer in results:
        assert sent < 250 * MIB, "the server read a 250 MB header to the end"
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert prober.answered > 0 and not prober.failures, prober.failures
    assert "Traceback" not in live.output()


def test_headers_past_the_limit_get_431_and_those_within_it_are_served(live: Live) -> None:
    sock = connect(live)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n")
    closed, answer = closed_by_server(sock, 5)
    sock.close()
    assert closed and answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"error":"request_header_fields_too_large"' in answer
    ok = httpx.get(live.url + "/healthz", headers={"X-Big": "a" * 15000})
    assert ok.status_code == 200
    # Only the head counts, not a body arriving in the same read.
    body = b'{"username": "nobody", "password": "' + b"p" * 50000 + b'"}'
    sock = connect(live)
    sock.sendall(
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Pad: " + b"a" * 15000 + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )
    sock.settimeout(10)
    status_line = sock.recv(65536).split(b"\r\n", 1)[0]
    sock.close()
    assert not status_line.startswith(b"HTTP/1.1 431"), status_line
    # The bound is per request: on one kept-alive connection each request starts afresh.
    with httpx.Client(base_url=live.url) as http:
        for _ in range(4):
            response = http.get("/healthz", headers={"X-Big": "a" * 10000})
            assert response.status_code == 200
            assert response.headers.get("connection") != "close"


def test_a_trickled_header_is_cut_within_the_timeout(live: Live) -> None:
    """A header line every half second kept a connection open indefinitely."""
    sock = connect(live)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    cut_after: float | None = None
    with Prober(live.url) as prober:
        try:
            for i in range(60):  # 30 s of trickling, far past the 2 s timeout
                time.sleep(0.5)
                sock.sendall(b"X-Slow-%d: a\r\n" % i)
        except OSError:
            cut_after = time.monotonic() - started
        if cut_after is None:
            closed, _ = closed_by_server(sock, 1)
            cut_after = time.monotonic() - started if closed else None
    sock.close()
    assert cut_after is not None, "the trickling connection was never cut"
    print(f"the trickling connection was cut after {cut_after:.1f} s")
    assert cut_after < HEADER_TIMEOUT + 5, f"cut only after {cut_after:.1f} s"
    assert prober.answered > 0 and not prober.failures, prober.failures


def test_a_silent_connection_is_closed_after_the_timeout(live: Live) -> None:
    sock = connect(live)
    closed, answer = closed_by_server(sock, HEADER_TIMEOUT + 5)
    sock.close()
    assert closed and answer == b""


def test_connections_past_the_cap_are_refused_and_the_worker_recovers(live: Live) -> None:
    idle = [connect(live) for _ in range(64)]
    try:
        extra = connect(live)
        closed, _ = closed_by_server(extra, 1)  # refused at once, long before the timeout
        extra.close()
        assert closed
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 5
    while True:  # the server notices the closed sockets on its next loop turn
        try:
            if httpx.get(live.url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the worker did not recover"
        time.sleep(0.05)


def test_the_bounds_hold_with_several_workers(tmp_path: Path) -> None:
    """``--workers`` hands the bounded protocol to each worker process."""
    with serve(tmp_path, "--workers", "2", JWTGATE_MAX_HEADER_SIZE="4096") as server:
        for _ in range(4):  # connections land on either worker
            sock = connect(server)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n")
            closed, answer = closed_by_server(sock, 5)
            sock.close()
            assert closed and answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert httpx.get(server.url + "/healthz", headers={"X-Ok": "a" * 3000}).status_code == 200
