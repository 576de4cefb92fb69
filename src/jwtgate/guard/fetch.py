"""Outbound HTTP for the Guard: which URLs it may call, and bounded reads of their answers.

Only URLs given by the programmer are ever fetched, never one from a token header (``jku``,
``x5u``: RFC 8725 3.10). Plain ``http`` is refused unless the host is loopback or the
programmer allows it, because a key set or revocation list fetched in clear text can be
replaced on the way. Bodies are streamed and abandoned past a size limit, so a hostile or
broken server cannot make the Guard buffer without bound. httpx is imported only here, and
only when a fetch happens, so ``import jwtgate`` stays light.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
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


def sync_client(timeout: float, auth: tuple[str, str] | None = None) -> httpx.Client:
    """An httpx client that follows no redirect (a redirect could leave https)."""
    import httpx

    return httpx.Client(timeout=timeout, follow_redirects=False, auth=auth, trust_env=False)


def async_client(timeout: float) -> httpx.AsyncClient:
    """The async twin of :func:`sync_client`."""
    import httpx

    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)


def _check_head(response: httpx.Response, limit: int) -> None:
    if response.status_code != 200:
        raise FetchError(f"HTTP {response.status_code}")
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise FetchError(f"the body is larger than {limit} bytes")


def _collect(chunks: list[bytes], chunk: bytes, size: int, limit: int, deadline: float) -> int:
    size += len(chunk)
    if size > limit:
        raise FetchError(f"the body is larger than {limit} bytes")
    if time.monotonic() > deadline:  # a server dripping bytes slowly cannot hold the Guard
        raise FetchError("the body took too long to arrive")
    chunks.append(chunk)
    return size


def get_bounded(
    client: httpx.Client,
    url: str,
    limit: int,
    timeout: float,
    params: Mapping[str, str] | None = None,
) -> Fetched:
    """GET ``url``; FetchError for a transport error, a non-200 status, a body past ``limit``
    bytes (the download stops there) or one still arriving ``timeout`` seconds after the
    start."""
    import httpx

    deadline = time.monotonic() + timeout
    try:
        with client.stream("GET", url, params=params, headers=_ACCEPT) as response:
            _check_head(response, limit)
            chunks: list[bytes] = []
            size = 0
            stream: Iterator[bytes] = response.iter_bytes()
            for chunk in stream:
                size = _collect(chunks, chunk, size, limit, deadline)
            return Fetched(dict(response.headers.items()), b"".join(chunks))
    except FetchError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(type(exc).__name__) from None


async def aget_bounded(client: httpx.AsyncClient, url: str, limit: int, timeout: float) -> Fetched:
    """The async twin of :func:`get_bounded`."""
    import httpx

    deadline = time.monotonic() + timeout
    try:
        async with client.stream("GET", url, headers=_ACCEPT) as response:
            _check_head(response, limit)
            chunks: list[bytes] = []
            size = 0
            stream: AsyncIterator[bytes] = response.aiter_bytes()
            async for chunk in stream:
                size = _collect(chunks, chunk, size, limit, deadline)
            return Fetched(dict(response.headers.items()), b"".join(chunks))
    except FetchError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(type(exc).__name__) from None


# identity: a compressed body could expand far past the limit inside one chunk.
_ACCEPT = {"Accept": "application/json", "Accept-Encoding": "identity"}
