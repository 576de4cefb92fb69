"""The back-channel logout queue in SQL (OpenID Connect Back-Channel Logout 1.0, 2.7).

A notice is written in the transaction that ends the session, so it exists exactly when the
logout happened; a sender leases due rows with a conditional UPDATE (one sender per row
across processes) and records each attempt.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, insert, select, update

from .models import LogoutDeliveryRow
from .records import LogoutDelivery
from .rows import record_from_row, record_values

__all__ = ["SqlLogoutRepository"]

LOGOUTS = cast(Table, LogoutDeliveryRow.__table__)


def _delivery(row: Row[Any]) -> LogoutDelivery:
    return record_from_row(LogoutDelivery, LOGOUTS, row)


class SqlLogoutRepository:
    """LogoutRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, delivery: LogoutDelivery) -> None:
        """Queue a notice."""
        self._conn.execute(
            insert(LOGOUTS).values(record_values(delivery, LOGOUTS, exclude=("id",)))
        )

    def due(self, *, now: float, limit: int) -> list[LogoutDelivery]:
        """Undelivered notices whose next attempt is due, oldest first."""
        stmt = (
            select(LOGOUTS)
            .where(LOGOUTS.c.done_at.is_(None), LOGOUTS.c.next_attempt_at <= now)
            .order_by(LOGOUTS.c.next_attempt_at, LOGOUTS.c.id)
            .limit(limit)
        )
        return [_delivery(row) for row in self._conn.execute(stmt)]

    def claim(self, delivery_id: int, *, seen_at: float, until: float) -> bool:
        """Lease a notice (its ``next_attempt_at`` moves to ``until``) if no one else did since
        it was read with ``next_attempt_at == seen_at``."""
        result = self._conn.execute(
            update(LOGOUTS)
            .where(
                LOGOUTS.c.id == delivery_id,
                LOGOUTS.c.done_at.is_(None),
                LOGOUTS.c.next_attempt_at == seen_at,
            )
            .values(next_attempt_at=until)
        )
        return result.rowcount == 1

    def finish(
        self,
        delivery_id: int,
        *,
        attempts: int,
        next_attempt_at: float,
        done_at: float | None,
        outcome: str | None,
        error: str | None,
    ) -> None:
        """Record an attempt: delivered, given up, or due again at ``next_attempt_at``."""
        self._conn.execute(
            update(LOGOUTS)
            .where(LOGOUTS.c.id == delivery_id)
            .values(
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                done_at=done_at,
                outcome=outcome,
                last_error=None if error is None else error[:256],
            )
        )

    def for_client(self, client_id: str, limit: int) -> list[LogoutDelivery]:
        """A client's notices, newest first."""
        stmt = (
            select(LOGOUTS)
            .where(LOGOUTS.c.client_id == client_id)
            .order_by(LOGOUTS.c.id.desc())
            .limit(limit)
        )
        return [_delivery(row) for row in self._conn.execute(stmt)]

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete notices finished before ``before``."""
        done = select(LOGOUTS.c.id).where(
            LOGOUTS.c.done_at.is_not(None), LOGOUTS.c.done_at < before
        )
        if limit is not None:
            done = done.limit(limit)
        result = self._conn.execute(delete(LOGOUTS).where(LOGOUTS.c.id.in_(done.scalar_subquery())))
        return result.rowcount
