"""The JWKS client: the issuer's public keys, fetched from its JWK Set URL (RFC 7517 5).

What PyJWT's client taught (STYLE.md): a failed refresh must not empty the cache (PyJWT #1162
took authentication down with the JWKS endpoint), and a token naming an unknown ``kid`` must not
be able to make the client fetch on every request. So:

- the key set is fetched on first use and kept for the ``Cache-Control`` max-age, clamped to
  ``[min_ttl, max_ttl]``; after that the first caller refreshes it while others carry on with
  the keys they have;
- an unknown ``kid`` triggers a refetch at most once per ``cooldown`` (counted from the last
  refetch an unknown kid triggered, so a key rotated in just after a routine fetch is picked
  up at once), and callers arriving while a fetch is in flight share it (sync and async alike:
  one ``concurrent.futures.Future``); a caller whose own verification just fetched the keys
  does not refetch for its unknown kid (the issuer publishes a key before signing with it, so
  a set fetched after the token arrived already holds its key if it exists);
- a failed fetch, or one returning anything but a usable JWK Set, keeps the last good key set
  and backs off (1 s, doubling, up to the cooldown) before the next attempt;
- bodies past ``max_bytes`` are abandoned while streaming, sets past ``max_keys`` refused,
  private and symmetric keys never used (a published secret would let anyone sign);
- every fetch ends by one deadline over the whole exchange (``timeout``: connect, headers,
  body; see fetch.py), so a server that drips its answer cannot keep the in-flight fetch,
  which every caller shares, stuck: past the deadline it fails like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from ..jose import KeySet
from .fetch import Fetched, FetchError, aget_bounded, async_client, get_bounded, sync_client

__all__ = ["MAX_JWKS_BYTES", "MAX_JWKS_KEYS", "JWKSClient"]

MAX_JWKS_BYTES = 256 * 1024
MAX_JWKS_KEYS = 50
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,10})", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|[,\s])(no-store|no-cache)(?:$|[,\s])", re.IGNORECASE)

log = logging.getLogger("jwtgate.guard")


def cache_ttl(cache_control: str | None, age: str | None, floor: float, ceiling: float) -> float:
    """Seconds to keep a JWK Set: ``max-age`` minus ``Age`` (RFC 9111 5.2.2.1, 5.1), clamped
    to ``[floor, ceiling]``; the floor when absent, ``no-store`` or ``no-cache``."""
    seconds = 0.0
    if cache_control and not _NO_STORE.search(cache_control):
        match = _MAX_AGE.search(cache_control)
        if match:
            seconds = float(match.group(1))
            if age and age.isdigit():
                seconds -= float(age)
    return min(max(seconds, floor), ceiling)


def public_keys(body: bytes, max_keys: int) -> KeySet:
    """The usable public signature keys of a JWK Set document. FetchError when none."""
    try:
        fetched = KeySet.from_jwks(body, max_keys=max_keys)
    except ValueError as exc:
        raise FetchError(f"not a usable JWK Set ({exc})") from None
    keys = [key.public() for key in fetched if not key.is_symmetric]
    if not keys:
        raise FetchError("the JWK Set holds no public signature key")
    return KeySet(keys)


class JWKSClient:
    """Keeps the key set of one JWKS URL fresh; see the module docstring for the policy.

    ``on_change`` is called with the new KeySet (under the client's lock, so in order) each
    time a fetch returns a set different from the current one.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], float],
        on_change: Callable[[KeySet], None],
        min_ttl: float,
        max_ttl: float,
        cooldown: float,
        timeout: float,
        max_bytes: int = MAX_JWKS_BYTES,
        max_keys: int = MAX_JWKS_KEYS,
    ) -> None:
        self.url = url
        self._clock = clock
        self._on_change = on_change
        self._min_ttl = min_ttl
        self._max_ttl = max_ttl
        self._cooldown = cooldown
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fresh_until = -math.inf
        self._retry_at = -math.inf
        self._last_unknown_kid = -math.inf
        self._failures = 0
        self._inflight: Future[None] | None = None
        self.fetches = 0  # attempts started, for tests and metrics

    @property
    def keys(self) -> KeySet | None:
        """The last good key set (None before the first successful fetch)."""
        return self._keys

    def due(self) -> bool:
        """True when the keys are missing or past their max-age and a fetch may start now."""
        now = self._clock()
        # _fresh_until is -inf until the first good fetch, so no keys means due.
        return now >= self._fresh_until and now >= self._retry_at and self._inflight is None

    # -- sync ---------------------------------------------------------------------------

    def refresh(self, *, unknown_kid: bool = False) -> bool:
        """Fetch if the policy allows, or wait for the fetch in flight when the caller needs
        its result (no keys yet, or an unknown kid). True when this call ran a fetch (started
        after the caller's token arrived, so as new as it). Never raises."""
        fut, owner = self._claim(unknown_kid)
        if fut is None:
            return False
        if owner:
            self._fetch_sync(fut)
        elif self._keys is None or unknown_kid:
            with contextlib.suppress(FutureTimeout):
                fut.result(timeout=self._timeout * 3)
        return owner

    def _fetch_sync(self, fut: Future[None]) -> None:
        keys: KeySet | None = None
        ttl = 0.0
        error = "interrupted"
        try:
            with sync_client(self._timeout) as client:
                fetched = get_bounded(client, self.url, self._max_bytes, self._timeout)
            keys, ttl = self._accept(fetched)
        except FetchError as exc:
            error = str(exc)
        except Exception as exc:  # a fetch must never break verification; keep the keys
            error = f"unexpected {type(exc).__name__}"
        finally:
            self._finish(fut, keys, ttl, error)

    # -- async --------------------------------------------------------------------------

    async def arefresh(self, *, unknown_kid: bool = False) -> bool:
        """The async twin of :meth:`refresh`; cancelling the caller never cancels a fetch
        other callers are waiting on."""
        fut, owner = self._claim(unknown_kid)
        if fut is None:
            return False
        if owner:
            await asyncio.shield(self._fetch_async(fut))
        elif self._keys is None or unknown_kid:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(fut)), timeout=self._timeout * 3
                )
        return owner

    async def _fetch_async(self, fut: Future[None]) -> None:
        keys: KeySet | None = None
        ttl = 0.0
        error = "interrupted"
        try:
            async with async_client(self._timeout) as client:
                fetched = await aget_bounded(client, self.url, self._max_bytes, self._timeout)
            keys, ttl = self._accept(fetched)
        except FetchError as exc:
            error = str(exc)
        except Exception as exc:  # a fetch must never break verification; keep the keys
            error = f"unexpected {type(exc).__name__}"
        finally:
            self._finish(fut, keys, ttl, error)

    # -- shared -------------------------------------------------------------------------

    def _claim(self, unknown_kid: bool) -> tuple[Future[None] | None, bool]:
        """(the fetch to wait for or run, whether this caller runs it); (None, False) when
        the policy allows no fetch now."""
        now = self._clock()
        with self._lock:
            if self._inflight is not None:
                return self._inflight, False
            if now < self._retry_at:
                return None, False
            if unknown_kid:
                if now < self._last_unknown_kid + self._cooldown:
                    return None, False
                self._last_unknown_kid = now
            elif self._keys is not None and now < self._fresh_until:
                return None, False  # another caller refreshed them meanwhile
            fut: Future[None] = Future()
            fut.set_running_or_notify_cancel()  # waiters timing out cannot cancel it
            self._inflight = fut
            self.fetches += 1
            return fut, True

    def _accept(self, fetched: Fetched) -> tuple[KeySet, float]:
        keys = public_keys(fetched.body, self._max_keys)
        ttl = cache_ttl(
            fetched.headers.get("cache-control"),
            fetched.headers.get("age"),
            self._min_ttl,
            self._max_ttl,
        )
        return keys, ttl

    def _finish(self, fut: Future[None], keys: KeySet | None, ttl: float, error: str) -> None:
        now = self._clock()
        with self._lock:
            if keys is not None:
                self._failures = 0
                self._retry_at = -math.inf
                self._fresh_until = now + ttl
                if keys != self._keys:
                    changed = self._keys is not None
                    self._keys = keys
                    self._on_change(keys)
                    if changed:
                        log.info("JWKS %s: key set changed (%d keys)", self.url, len(keys))
            else:
                self._failures += 1
                backoff = min(2.0 ** (self._failures - 1), max(self._cooldown, 1.0))
                self._retry_at = now + backoff
                held = len(self._keys) if self._keys is not None else 0
                log.warning(
                    "JWKS fetch from %s failed (%s); keeping the last good key set (%d keys), "
                    "next attempt in %.0f s",
                    self.url,
                    error,
                    held,
                    backoff,
                )
            self._inflight = None
        fut.set_result(None)
