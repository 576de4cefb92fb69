"""Signing keys in SQL. Changes to the key ring are serialised across processes by ``lock``."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, insert, select, text, update

from .models import SigningKeyRow
from .records import KeyRecord
from .rows import record_from_row, record_values

__all__ = ["SqlKeyRepository"]

KEYS = cast(Table, SigningKeyRow.__table__)
# An arbitrary constant naming jwtgate's key-ring lock among PostgreSQL advisory locks.
_PG_LOCK_ID = 0x6A77_7467


def _key(row: Row[Any]) -> KeyRecord:
    return record_from_row(KeyRecord, KEYS, row)


class SqlKeyRepository:
    """KeyRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> list[KeyRecord]:
        """Every stored key, newest activation first."""
        stmt = select(KEYS).order_by(KEYS.c.created_at.desc(), KEYS.c.kid)
        return [_key(row) for row in self._conn.execute(stmt)]

    def add(self, key: KeyRecord) -> None:
        """Insert a key."""
        self._conn.execute(insert(KEYS).values(record_values(key, KEYS)))

    def retire(self, kid: str, *, now: float, expires_at: float) -> None:
        """Stop signing with a key; it verifies (and stays in the JWKS) until ``expires_at``."""
        self._conn.execute(
            update(KEYS)
            .where(KEYS.c.kid == kid, KEYS.c.retired_at.is_(None))
            .values(retired_at=now, expires_at=expires_at)
        )

    def lock(self) -> None:
        """Hold the key-ring lock until the transaction ends.

        SQLite write transactions are already exclusive (BEGIN IMMEDIATE); PostgreSQL takes a
        transaction-scoped advisory lock, so two processes never both create an active key.
        """
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})

    def prune(self, *, now: float) -> int:
        """Delete keys no token can need any more (their private parts with them)."""
        result = self._conn.execute(
            delete(KEYS).where(KEYS.c.expires_at.is_not(None), KEYS.c.expires_at <= now)
        )
        return result.rowcount
