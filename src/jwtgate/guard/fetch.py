"""Outbound HTTP for the Guard: which URLs it may call, and bounded reads of their answers.

Only URLs given by the programmer are ever fetched, never one from a token header (``jku``,
``x5u``: RFC 8725 3.10). Plain ``http`` is refused unless the host is loopback or the
programmer allows it, because a key set or revocation list fetched in clear text can be
replaced on the way. Bodies are streamed and abandoned past a size limit, so a hostile or
broken server cannot make the Guard buffer without bound. httpx is imported only here, and
only when a fetch happens, so ``import jwtgate`` stays light.

One deadline covers the whole exchange: connecting, TLS, sending, the status line and
headers, the body. httpx's timeouts are per operation, so a server that drips its status
line one byte a second never trips a one-second read timeout; here every socket operation
of the sync client gets at most the time left until the deadline (a network backend that
clamps each timeout), and the async exchange runs under ``asyncio.timeout``. A fetch past
its deadline fails like any other (FetchError).
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import ssl

    import httpcore
    import httpx

__all__ = [
    "FetchError",
    "Fetched",
    "aget_bounded",
    "async_client",
    "check_url",
    "get_bounded",
    "sync_client",
]


class FetchError(Exception):
    """A fetch failed: transport error, non-200 status, body too large. Internal."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 answer: its headers (lower-case names) and body."""

    headers: Mapping[str, str]
    body: bytes


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, what: str, allow_insecure_http: bool) -> str:
    """Return ``url`` if the Guard may fetch it.

    ValueError unless it is an absolute ``https`` URL, or ``http`` on a loopback host or with
    ``allow_insecure_http``; also for credentials in the URL (they would end up in logs).
    """
    if not isinstance(url, str):
        raise TypeError(f"{what} must be a string")
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"{what} must be an absolute https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{what} must not carry credentials")
    if parts.scheme == "http" and not (allow_insecure_http or is_loopback(host)):
        raise ValueError(
            f"{what} must use https (plain http is accepted only for loopback hosts, "
            "or with allow_insecure_http=True)"
        )
    return url


# The monotonic time by which the current sync exchange must be over (per thread and task).
_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar(
    "jwtgate_fetch_deadline", default=math.inf
)


def _left(timeout: float | None) -> float | None:
    """``timeout`` clamped to the time left before the deadline; ReadTimeout once it passed."""
    import httpcore

    deadline = _DEADLINE.get()
    if deadline == math.inf:  # outside get_bounded: httpx's own timeouts only
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the exchange took longer than its deadline")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A network stream whose every operation ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> _DeadlineStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of ``host``, within ``timeout``. getaddrinfo cannot be interrupted, so
    it runs in a daemon thread that a stalled resolver keeps, not the caller."""
    import httpcore

    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    found: list[list[str] | OSError] = []
    done = threading.Event()

    def resolve() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.append([str(info[4][0]) for info in infos])
        except OSError as exc:
            found.append(exc)
        finally:
            done.set()

    threading.Thread(target=resolve, name="jwtgate-resolve", daemon=True).start()
    if not done.wait(None if timeout == math.inf else timeout):
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than the deadline")
    result = found[0]
    if isinstance(result, OSError):
        raise httpcore.ConnectError(f"cannot resolve {host}")
    return result


def _transport(pool_size: int = 4) -> httpx.HTTPTransport:
    """httpx's own transport over a connection pool whose sockets keep the deadline."""
    import httpcore
    import httpx

    class DeadlineBackend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self._backend = httpcore.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.NetworkStream:
            error: Exception = httpcore.ConnectError(f"{host} has no address")
            for address in _resolve(host, port, _left(timeout) or math.inf):
                try:
                    stream = self._backend.connect_tcp(
                        address, port, _left(timeout), local_address, socket_options
                    )
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    error = exc  # try the next address while time is left
                    continue
                return _DeadlineStream(stream)  # type: ignore[return-value]
            raise error

        def connect_unix_socket(
            self,
            path: str,
            timeout: float | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.NetworkStream:
            raise httpcore.ConnectError("unix sockets are not fetched")

        def sleep(self, seconds: float) -> None:
            time.sleep(min(seconds, max(_DEADLINE.get() - time.monotonic(), 0.0)))

    ssl_context = httpx.create_ssl_context(trust_env=False)  # certifi's CAs, as httpx's
    transport = httpx.HTTPTransport(verify=ssl_context, trust_env=False)
    # The same pool httpx builds (HTTP/1.1), with the deadline backend.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=pool_size,
        network_backend=DeadlineBackend(),
    )
    return transport


def sync_client(timeout: float, auth: tuple[str, str] | None = None) -> httpx.Client:
    """An httpx client that follows no redirect (a redirect could leave https), and whose
    exchanges in :func:`get_bounded` end by their deadline whatever the server does."""
    import httpx

    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        auth=auth,
        trust_env=False,
        transport=_transport(),
    )


def async_client(timeout: float) -> httpx.AsyncClient:
    """The async twin of :func:`sync_client` (:func:`aget_bounded` keeps the deadline)."""
    import httpx

    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)


def _check_head(response: httpx.Response, limit: int) -> None:
    if response.status_code != 200:
        raise FetchError(f"HTTP {response.status_code}")
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise FetchError(f"the body is larger than {limit} bytes")


def _collect(chunks: list[bytes], chunk: bytes, size: int, limit: int) -> int:
    size += len(chunk)
    if size > limit:
        raise FetchError(f"the body is larger than {limit} bytes")
    chunks.append(chunk)
    return size


def get_bounded(
    client: httpx.Client,
    url: str,
    limit: int,
    timeout: float,
    params: Mapping[str, str] | None = None,
) -> Fetched:
    """GET ``url`` with a :func:`sync_client`; FetchError for a transport error, a non-200
    status, a body past ``limit`` bytes (the download stops there), or an exchange not over
    ``timeout`` seconds after the start (connect, headers and body together)."""
    import httpx

    token = _DEADLINE.set(time.monotonic() + timeout)
    try:
        with client.stream("GET", url, params=params, headers=_ACCEPT) as response:
            _check_head(response, limit)
            chunks: list[bytes] = []
            size = 0
            stream: Iterator[bytes] = response.iter_bytes()
            for chunk in stream:
                size = _collect(chunks, chunk, size, limit)
            return Fetched(dict(response.headers.items()), b"".join(chunks))
    except FetchError:
        raise
    except httpx.TimeoutException:
        raise FetchError(f"no complete answer within {timeout:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(type(exc).__name__) from None
    finally:
        _DEADLINE.reset(token)


async def aget_bounded(client: httpx.AsyncClient, url: str, limit: int, timeout: float) -> Fetched:
    """The async twin of :func:`get_bounded`: the whole exchange runs under one
    ``asyncio.timeout``."""
    import httpx

    try:
        async with asyncio.timeout(timeout):
            async with client.stream("GET", url, headers=_ACCEPT) as response:
                _check_head(response, limit)
                chunks: list[bytes] = []
                size = 0
                stream: AsyncIterator[bytes] = response.aiter_bytes()
                async for chunk in stream:
                    size = _collect(chunks, chunk, size, limit)
                return Fetched(dict(response.headers.items()), b"".join(chunks))
    except FetchError:
        raise
    except (TimeoutError, httpx.TimeoutException):
        raise FetchError(f"no complete answer within {timeout:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(type(exc).__name__) from None


# identity: a compressed body could expand far past the limit inside one chunk.
_ACCEPT = {"Accept": "application/json", "Accept-Encoding": "identity"}
