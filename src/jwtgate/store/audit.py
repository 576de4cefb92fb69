"""The audit log in SQL, read newest first with the row id as the page cursor."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, func, insert, or_, select

from .batch import delete_expired
from .models import AuditEventRow
from .records import EventRecord
from .rows import record_from_row, record_values

__all__ = ["SqlAuditRepository"]

EVENTS = cast(Table, AuditEventRow.__table__)
_ADD = insert(EVENTS)  # built once: events are written on every login and refresh


def _event(row: Row[Any]) -> EventRecord:
    return record_from_row(EventRecord, EVENTS, row)


class SqlAuditRepository:
    """AuditRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, event: EventRecord) -> None:
        """Append an event."""
        self._conn.execute(_ADD, record_values(event, EVENTS, exclude=("id",)))

    def page(
        self,
        before: int | None,
        limit: int,
        type: str | None,
        user: str | None,
        alias: str | None = None,
    ) -> list[EventRecord]:
        """Up to ``limit`` events with id below ``before``, newest first; ``user`` matches the
        user id or the username (any case), and ``alias`` a recorded name exactly."""
        stmt = select(EVENTS).order_by(EVENTS.c.id.desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(EVENTS.c.id < before)
        if type is not None:
            stmt = stmt.where(EVENTS.c.type == type)
        if user is not None:
            matches = [EVENTS.c.user_id == user, func.lower(EVENTS.c.username) == user.lower()]
            if alias is not None:
                matches.append(EVENTS.c.username == alias)
            stmt = stmt.where(or_(*matches))
        return [_event(row) for row in self._conn.execute(stmt)]

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete events older than ``before`` (the retention limit), at most ``limit``."""
        return delete_expired(self._conn, EVENTS, EVENTS.c.id, EVENTS.c.at < before, limit)
