"""Keeping this process in step with the database: loading and polling revocations, serving
the revocation feed, and pruning what no token can need any more.

Ids from a PostgreSQL sequence can commit out of order, so every poll also re-reads the rows
created in the last ``LOOKBACK`` seconds; applying a revocation twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..store.protocols import UnitOfWork
from .context import AuthContext
from .revocation import feed
from .validation import parse_int_cursor

__all__ = ["LOOKBACK", "PRUNE_BATCH", "Upkeep"]

LOOKBACK = 30.0
PAGE = 1000
DAY = 86400.0
PRUNE_BATCH = 500
"""Rows deleted per transaction when pruning: each batch holds its locks for milliseconds."""


class Upkeep:
    """Revocation loading, polling, the feed, and pruning."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx
        self._last_prune = ctx.clock()

    def load(self) -> int:
        """Read every live revocation into memory; return how many."""
        return self.load_after(0)

    def poll(self) -> int:
        """Apply revocations other processes made since the last poll; return how many."""
        ctx = self._ctx
        now = ctx.clock()
        cursor = ctx.revocations.cursor
        with ctx.store.read() as uow:
            recent = uow.revocations.recent(cursor, now=now, created_from=now - LOOKBACK)
        ctx.revocations.apply_all(recent)
        return len(recent) + self.load_after(cursor)

    def load_after(self, cursor: int) -> int:
        """Apply every live revocation with id above ``cursor``."""
        ctx = self._ctx
        total = 0
        while True:
            with ctx.store.read() as uow:
                events = uow.revocations.since(cursor, now=ctx.clock(), limit=PAGE)
            ctx.revocations.apply_all(events)
            total += len(events)
            if len(events) < PAGE:
                return total
            cursor = events[-1].id

    def feed(self, cursor: str | None) -> dict[str, Any]:
        """The revocation feed after ``cursor`` (everything live when None). InvalidRequest
        for a malformed cursor."""
        ctx = self._ctx
        after = parse_int_cursor(cursor)
        now = ctx.clock()
        with ctx.store.read() as uow:
            events = uow.revocations.since(after or 0, now=now, limit=PAGE)
            recent = (
                uow.revocations.recent(after, now=now, created_from=now - LOOKBACK)
                if after is not None
                else []
            )
        return feed([*recent, *events], after or 0, more=len(events) == PAGE)

    def prune_if_due(self, interval: float = 3600.0) -> dict[str, int] | None:
        """Prune at most once per ``interval`` seconds."""
        if self._ctx.clock() - self._last_prune < interval:
            return None
        return self.prune()

    def prune(self, batch: int = PRUNE_BATCH) -> dict[str, int]:
        """Delete expired revocations, refresh tokens past their expiry, long-dead sessions,
        keys no token can need, audit events past retention, account tokens a day after they
        expired or were used, finished outbox rows after 7 days and login attempts the throttle
        no longer counts. Returns the counts.

        Rows go ``batch`` at a time, one short transaction each, so logins and refreshes are
        never held up behind a long delete (refresh tokens before sessions, so deleting a
        session cascades to few rows).
        """
        ctx = self._ctx
        now = ctx.clock()
        self._last_prune = now
        dead = now - DAY
        expired_events = now - ctx.settings.audit_retention_days * DAY
        settings = ctx.settings
        # A counted login attempt matters for the window, and for the back-off after it.
        old_attempts = now - max(settings.throttle_window, settings.throttle_max_backoff)
        steps: dict[str, Callable[[UnitOfWork], int]] = {
            "revocations": lambda uow: uow.revocations.prune(now=now, limit=batch),
            "refresh_tokens": lambda uow: uow.sessions.prune_refresh(before=dead, limit=batch),
            "sessions": lambda uow: uow.sessions.prune(before=dead, limit=batch),
            "events": lambda uow: uow.events.prune(before=expired_events, limit=batch),
            "account_tokens": lambda uow: uow.accounts.prune(before=dead, limit=batch),
            "mail_outbox": lambda uow: uow.outbox.prune(before=now - 7 * DAY, limit=batch),
            "throttle_attempts": lambda uow: uow.throttle.prune(before=old_attempts, limit=batch),
            # Kept a day past their 60 s so that a replay still revokes what the code issued.
            "authorization_codes": lambda uow: uow.codes.prune(before=dead, limit=batch),
            # Delivered or given-up back-channel logout notices (the audit log keeps the
            # outcome); a day of them stays for looking into a failing receiver.
            "logout_deliveries": lambda uow: uow.logouts.prune(before=dead, limit=batch),
        }
        counts: dict[str, int] = {}
        for name, step in steps.items():
            counts[name] = 0
            while True:
                with ctx.store.write() as uow:
                    deleted = step(uow)
                counts[name] += deleted
                if deleted < batch:
                    break
        with ctx.store.write() as uow:
            counts["keys"] = uow.keys.prune(now=now)  # a handful of rows
        ctx.revocations.prune()
        return counts
