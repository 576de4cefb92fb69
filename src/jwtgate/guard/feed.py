"""The revocation feed poller: a daemon thread that keeps a :class:`RevocationList` current.

Every ``interval`` seconds it asks the issuer ``GET revocation_url?since=CURSOR`` with the
client credentials in HTTP Basic (RFC 7617) and applies what came back, following ``more``
at once. The first read, and one every ``resync_every`` seconds, omits ``since``: the issuer
then answers its whole live state, which replaces ours (so entries for long-expired tokens are
dropped here as they are at the issuer). When the issuer is down or answers garbage, the
poller logs, keeps what it knows, and retries with a doubling delay up to ``max_backoff``.
Each request ends by its deadline (``timeout``, over the whole exchange), so a server that
drips its answer cannot hold the poller. A feed that has not succeeded for ``max_staleness``
seconds fails open (revocations made since are not known here), so that is said loudly: an
error log line once per episode, ``stale_events`` counted, and :meth:`age` for health checks.
The secret is never logged.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .fetch import FetchError, get_bounded, sync_client
from .revocation import RevocationList, Revocations, parse_feed

if TYPE_CHECKING:
    import httpx

__all__ = ["MAX_FEED_BYTES", "RevocationFeed"]

MAX_FEED_BYTES = 8 * 1024 * 1024
MAX_PAGES = 100  # per poll; a feed that never stops saying "more" cannot hold the thread
RESYNC_EVERY = 3600.0

log = logging.getLogger("jwtgate.guard")


class RevocationFeed:
    """Polls one revocation feed into ``revocations``. ``start()`` once, ``close()`` to stop."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str,
        revocations: RevocationList,
        interval: float,
        timeout: float,
        max_staleness: float | None = None,
        max_backoff: float = 30.0,
        resync_every: float = RESYNC_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``max_staleness`` defaults to three intervals and a timeout."""
        self.url = url
        self._auth = (client_id, client_secret)
        self._revocations = revocations
        self.interval = interval
        self._timeout = timeout
        self._max_backoff = max(max_backoff, interval)
        self._resync_every = resync_every
        self._stop = threading.Event()
        self.ready = threading.Event()  # set after the first poll, successful or not
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_full = -float("inf")
        self._monotonic = monotonic
        self.max_staleness = 3 * interval + timeout if max_staleness is None else max_staleness
        self._started: float | None = None
        self._last_success: float | None = None
        self._stale = False
        self.polls = 0
        self.failures = 0  # consecutive
        self.stale_events = 0  # times the feed went stale

    @property
    def running(self) -> bool:
        """True while the poller thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling in a daemon thread (idempotent; not after close)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="jwtgate-revocation-feed", daemon=True
            )
            self._started = self._monotonic()
            self._thread.start()

    def age(self) -> float | None:
        """Seconds since the last successful poll (since the start when none has succeeded
        yet); None before :meth:`start`."""
        since = self._last_success if self._last_success is not None else self._started
        return None if since is None else max(0.0, self._monotonic() - since)

    def stale(self) -> bool:
        """True when the feed has not succeeded for longer than ``max_staleness``."""
        age = self.age()
        return age is not None and age > self.max_staleness

    def _check_staleness(self) -> None:
        stale = self.stale()
        if stale and not self._stale:
            self.stale_events += 1
            log.error(
                "revocation feed %s has not succeeded for %.0f s (max staleness %.0f s): "
                "revocations made since then are not enforced here",
                self.url,
                self.age() or 0.0,
                self.max_staleness,
            )
        elif self._stale and not stale:
            log.warning("revocation feed %s is current again", self.url)
        self._stale = stale

    def close(self) -> None:
        """Stop polling and wait (briefly) for the thread to end."""
        self._stop.set()
        self.ready.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self._timeout * 2 + 1)

    def _run(self) -> None:
        client = sync_client(self._timeout, auth=self._auth)
        try:
            next_poll = self._monotonic()
            while not self._stop.wait(self._wait(next_poll)):
                self._check_staleness()  # also between polls, when backing off long
                if self._monotonic() < next_poll:
                    continue
                started = self._monotonic()
                try:
                    ok = self.poll(client)
                except Exception:  # the thread must outlive any surprise, or revocation stops
                    self.failures += 1
                    log.exception("revocation feed %s: poll failed unexpectedly", self.url)
                    ok = False
                self.ready.set()
                self._check_staleness()
                if ok:
                    next_poll = started + self.interval
                else:
                    delay = min(self.interval * 2.0**self.failures, self._max_backoff)
                    next_poll = self._monotonic() + delay
        finally:
            client.close()

    def _wait(self, next_poll: float) -> float:
        """Seconds to sleep: until the next poll, or until the feed turns stale if sooner."""
        now = self._monotonic()
        wait = next_poll - now
        age = self.age()
        if not self._stale and age is not None:
            wait = min(wait, self.max_staleness - age + 0.01)
        return max(wait, 0.0)

    def poll(self, client: httpx.Client) -> bool:
        """One poll (several requests when the feed says ``more``); False when it failed."""
        self.polls += 1
        full = self._revocations.cursor is None or (
            time.monotonic() - self._last_full >= self._resync_every
        )
        cursor = None if full else self._revocations.cursor
        pages: list[Revocations] = []
        try:
            for _ in range(MAX_PAGES):
                page = self._get(client, cursor)
                if full:
                    pages.append(page)
                else:
                    self._revocations.apply(page)
                cursor = page.cursor
                if not page.more:
                    break
        except FetchError as exc:
            self.failures += 1
            log.warning(
                "revocation feed %s failed (%s); keeping the last known revocations, "
                "%d failures in a row",
                self.url,
                exc,
                self.failures,
            )
            return False
        if full:
            self._revocations.replace(pages)
            self._last_full = time.monotonic()
        if self.failures:
            log.info("revocation feed %s is answering again", self.url)
        self.failures = 0
        self._last_success = self._monotonic()
        return True

    def _get(self, client: httpx.Client, cursor: str | None) -> Revocations:
        params = None if cursor is None else {"since": cursor}
        fetched = get_bounded(client, self.url, MAX_FEED_BYTES, self._timeout, params)
        try:
            return parse_feed(json.loads(fetched.body))
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"not a revocation feed ({exc})") from None
