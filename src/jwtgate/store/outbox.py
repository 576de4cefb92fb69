"""The mail outbox in SQL: jobs written in the request's transaction, claimed by workers.

A worker claims due jobs with a lease (``claimed_until``) in a short transaction of its own. On
PostgreSQL the claiming SELECT takes ``FOR UPDATE SKIP LOCKED``, so two instances claiming at
the same moment get different jobs instead of the same ones; on SQLite write transactions are
serialised (BEGIN IMMEDIATE). A worker killed mid-delivery leaves its lease to expire, and the
job is delivered by whoever claims it next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, and_, func, insert, or_, select, update

from .batch import delete_expired
from .models import MailOutboxRow
from .records import MailJob
from .rows import record_from_row, record_values

__all__ = ["SqlOutboxRepository"]

OUTBOX = cast(Table, MailOutboxRow.__table__)
PENDING = "pending"


def _job(row: Row[Any]) -> MailJob:
    return record_from_row(MailJob, OUTBOX, row)


class SqlOutboxRepository:
    """OutboxRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, job: MailJob) -> int:
        """Queue a job; returns its id."""
        values = record_values(job, OUTBOX, exclude=("id",))
        result = self._conn.execute(insert(OUTBOX).values(values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def has_due(self, *, now: float) -> bool:
        """Whether any job is due and unclaimed (a cheap read before a claiming write)."""
        row = self._conn.execute(
            select(OUTBOX.c.id)
            .where(
                OUTBOX.c.status == PENDING,
                OUTBOX.c.next_attempt_at <= now,
                or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
            )
            .limit(1)
        ).first()
        return row is not None

    def claim(self, *, now: float, lease: float, limit: int) -> list[MailJob]:
        """Lease up to ``limit`` due jobs to the caller until ``now + lease``."""
        due = (
            select(OUTBOX.c.id)
            .where(
                OUTBOX.c.status == PENDING,
                OUTBOX.c.next_attempt_at <= now,
                or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
            )
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [row[0] for row in self._conn.execute(due)]
        if not ids:
            return []
        self._conn.execute(
            update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(claimed_until=now + lease)
        )
        rows = self._conn.execute(select(OUTBOX).where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id))
        return [_job(row) for row in rows]

    def get(self, job_id: int) -> MailJob | None:
        """One job, or None."""
        row = self._conn.execute(select(OUTBOX).where(OUTBOX.c.id == job_id)).first()
        return None if row is None else _job(row)

    def update(self, job_id: int, **values: Any) -> bool:
        """Change columns of one job (status, attempts, next_attempt_at, ...)."""
        result = self._conn.execute(update(OUTBOX).where(OUTBOX.c.id == job_id).values(values))
        return result.rowcount == 1

    def requests_from(self, ip: str, *, since: float) -> tuple[int, float | None]:
        """How many jobs requests from ``ip`` queued since ``since``, and the oldest's time."""
        row = self._conn.execute(
            select(func.count(), func.min(OUTBOX.c.created_at)).where(
                OUTBOX.c.ip == ip, OUTBOX.c.created_at >= since
            )
        ).one()
        return int(row[0]), (None if row[1] is None else float(row[1]))

    def sent_to_user(self, user_id: str, kinds: Sequence[str], *, since: float) -> int:
        """How many mails of these kinds went to the user since ``since``."""
        return int(
            self._conn.execute(
                select(func.count()).where(
                    OUTBOX.c.user_id == user_id,
                    OUTBOX.c.kind.in_(list(kinds)),
                    OUTBOX.c.status == "sent",
                    OUTBOX.c.sent_at >= since,
                )
            ).scalar_one()
        )

    def queued(self, user_id: str, kind: str) -> bool:
        """Whether a mail of this kind to the user waits to be sent."""
        row = self._conn.execute(
            select(OUTBOX.c.id)
            .where(OUTBOX.c.user_id == user_id, OUTBOX.c.kind == kind, OUTBOX.c.status == PENDING)
            .limit(1)
        ).first()
        return row is not None

    def cancel(self, user_id: str, kind: str) -> int:
        """Drop the user's queued mails of this kind (an invitation revoked before it went)."""
        result = self._conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.user_id == user_id, OUTBOX.c.kind == kind, OUTBOX.c.status == PENDING)
            .values(status="dropped", last_error="cancelled")
        )
        return result.rowcount

    def for_user(self, user_id: str, limit: int = 50) -> list[MailJob]:
        """The user's jobs, newest first."""
        stmt = (
            select(OUTBOX)
            .where(OUTBOX.c.user_id == user_id)
            .order_by(OUTBOX.c.id.desc())
            .limit(limit)
        )
        return [_job(row) for row in self._conn.execute(stmt)]

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete finished jobs (sent, failed or dropped) older than ``before``."""
        condition = and_(OUTBOX.c.status != PENDING, OUTBOX.c.created_at < before)
        return delete_expired(self._conn, OUTBOX, OUTBOX.c.id, condition, limit)
