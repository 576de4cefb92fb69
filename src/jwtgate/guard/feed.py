"""The revocation feed poller: a daemon thread that keeps a :class:`RevocationList` current.

Every ``interval`` seconds it asks the issuer ``GET revocation_url?since=CURSOR`` with the
client credentials in HTTP Basic (RFC 7617) and applies what came back, following ``more``
at once. The first read, and one every ``resync_every`` seconds, omits ``since``: the issuer
then answers its whole live state, which replaces ours (so entries for long-expired tokens are
dropped here as they are at the issuer). When the issuer is down or answers garbage, the
poller logs, keeps what it knows, and retries with a doubling delay up to ``max_backoff``.
The secret is never logged.
"""

from __future__ import annotations

import json
import logging
import threading
import time
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
        max_backoff: float = 30.0,
        resync_every: float = RESYNC_EVERY,
    ) -> None:
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
        self.polls = 0
        self.failures = 0  # consecutive

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
            self._thread.start()

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
            delay = 0.0
            while not self._stop.wait(delay):
                started = time.monotonic()
                try:
                    ok = self.poll(client)
                except Exception:  # the thread must outlive any surprise, or revocation stops
                    self.failures += 1
                    log.exception("revocation feed %s: poll failed unexpectedly", self.url)
                    ok = False
                self.ready.set()
                if ok:
                    delay = max(0.0, self.interval - (time.monotonic() - started))
                else:
                    delay = min(self.interval * 2.0**self.failures, self._max_backoff)
        finally:
            client.close()

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
        return True

    def _get(self, client: httpx.Client, cursor: str | None) -> Revocations:
        params = None if cursor is None else {"since": cursor}
        fetched = get_bounded(client, self.url, MAX_FEED_BYTES, self._timeout, params)
        try:
            return parse_feed(json.loads(fetched.body))
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"not a revocation feed ({exc})") from None
