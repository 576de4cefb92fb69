"""The revocation log in SQL: the durable side of the in-memory revocation state.

Row ids are the feed cursor. On PostgreSQL, ids from a sequence may commit out of order, so a
reader also re-reads rows created in the last few seconds (``lookback_from``); applying a
revocation twice is harmless.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, func, insert, select

from .batch import delete_expired
from .models import RevocationRow
from .records import Revocation
from .rows import record_from_row

__all__ = ["KINDS", "SqlRevocationRepository"]

REVOCATIONS = cast(Table, RevocationRow.__table__)
KINDS = ("sid", "jti", "user")


def _revocation(row: Row[Any]) -> Revocation:
    return record_from_row(Revocation, REVOCATIONS, row)


class SqlRevocationRepository:
    """RevocationRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self, kind: str, value: str, *, now: float, expires_at: float, not_before: float | None
    ) -> Revocation:
        """Append a revocation; ValueError for an unknown kind."""
        if kind not in KINDS:
            raise ValueError(f"unknown revocation kind {kind!r}")
        result = self._conn.execute(
            insert(REVOCATIONS)
            .values(
                kind=kind,
                value=value,
                not_before=not_before,
                expires_at=expires_at,
                created_at=now,
            )
            .returning(REVOCATIONS.c.id)
        )
        return Revocation(
            id=int(result.scalar_one()),
            kind=kind,
            value=value,
            not_before=not_before,
            expires_at=expires_at,
            created_at=now,
        )

    def since(self, cursor: int, *, now: float, limit: int) -> list[Revocation]:
        """Up to ``limit`` live revocations with id above ``cursor``, by id."""
        stmt = (
            select(REVOCATIONS)
            .where(REVOCATIONS.c.expires_at > now, REVOCATIONS.c.id > cursor)
            .order_by(REVOCATIONS.c.id)
            .limit(limit)
        )
        return [_revocation(row) for row in self._conn.execute(stmt)]

    def recent(self, upto: int, *, now: float, created_from: float) -> list[Revocation]:
        """Live revocations with id up to ``upto`` created since ``created_from``: those a
        reader at cursor ``upto`` may have missed when ids committed out of order."""
        stmt = (
            select(REVOCATIONS)
            .where(
                REVOCATIONS.c.expires_at > now,
                REVOCATIONS.c.id <= upto,
                REVOCATIONS.c.created_at >= created_from,
            )
            .order_by(REVOCATIONS.c.id)
            .limit(1000)
        )
        return [_revocation(row) for row in self._conn.execute(stmt)]

    def last_id(self) -> int:
        """The highest id ever handed out that is still stored (0 for none)."""
        value = self._conn.execute(select(func.max(REVOCATIONS.c.id))).scalar_one()
        return int(value or 0)

    def prune(self, *, now: float, limit: int | None = None) -> int:
        """Delete revocations whose tokens have all expired (at most ``limit``)."""
        return delete_expired(
            self._conn, REVOCATIONS, REVOCATIONS.c.id, REVOCATIONS.c.expires_at <= now, limit
        )
