"""Login-throttle counters in SQL, shared by every worker and instance on one database.

Each counted attempt is a row (a hashed counter name, a time, a reservation token). The auth
layer's :class:`jwtgate.auth.sql_throttle.SqlThrottle` reserves an attempt in one write
transaction: :meth:`SqlThrottleRepository.lock` the counters, read their
:meth:`~SqlThrottleRepository.stats`, and :meth:`~SqlThrottleRepository.add` the attempt only
if the limits allow it. SQLite write transactions are exclusive already (BEGIN IMMEDIATE);
PostgreSQL takes a transaction-scoped advisory lock per counter, in a fixed order, so two
processes racing for a counter's last allowed attempt are serialised and one of them waits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Connection, Table, delete, func, insert, select, text

from .batch import delete_expired
from .models import ThrottleAttemptRow

__all__ = ["SqlThrottleRepository", "counter_name"]

ATTEMPTS = cast(Table, ThrottleAttemptRow.__table__)


def counter_name(name: str) -> str:
    """The stored form of a counter's name: a SHA-256 prefix (bounded, nothing in clear)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class SqlThrottleRepository:
    """Throttle counters on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lock(self, names: Sequence[str]) -> None:
        """Hold the counters of ``names`` until the transaction ends (PostgreSQL advisory
        locks, sorted so two transactions never wait on each other in a cycle)."""
        if self._conn.dialect.name != "postgresql":
            return
        for stored in sorted({counter_name(n) for n in names}):
            lock_id = int.from_bytes(bytes.fromhex(stored[:16]), "big", signed=True)
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})

    def stats(self, names: Sequence[str], *, since: float) -> list[tuple[int, float | None]]:
        """For each name: the attempts counted after ``since`` and the newest one's time."""
        out: list[tuple[int, float | None]] = []
        for name in names:
            query = select(func.count(), func.max(ATTEMPTS.c.at)).where(
                ATTEMPTS.c.name == counter_name(name), ATTEMPTS.c.at > since
            )
            count, last = self._conn.execute(query).one()
            out.append((int(count), None if last is None else float(last)))
        return out

    def add(self, names: Sequence[str], *, at: float, token: str) -> None:
        """Count one attempt at ``at`` under each name."""
        rows = [{"name": counter_name(n), "at": at, "token": token} for n in names]
        self._conn.execute(insert(ATTEMPTS), rows)

    def remove(self, names: Sequence[str], *, token: str) -> None:
        """Take the attempt reserved as ``token`` off each name."""
        stored = [counter_name(n) for n in names]
        self._conn.execute(
            delete(ATTEMPTS).where(ATTEMPTS.c.name.in_(stored), ATTEMPTS.c.token == token)
        )

    def clear(self, name: str) -> None:
        """Forget every attempt counted under ``name``."""
        self._conn.execute(delete(ATTEMPTS).where(ATTEMPTS.c.name == counter_name(name)))

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete attempts older than ``before`` (at most ``limit``); how many went."""
        return delete_expired(self._conn, ATTEMPTS, ATTEMPTS.c.id, ATTEMPTS.c.at < before, limit)
