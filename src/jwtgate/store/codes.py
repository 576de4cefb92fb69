"""Authorization codes and consents in SQL.

A code is stored only as its SHA-256 hash. Redeeming is one conditional
``UPDATE ... SET used_at = :now WHERE code_hash = :h AND used_at IS NULL``, checked by its row
count: however many requests race with one code, exactly one wins (RFC 6749 4.1.2).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, delete, insert, select, update

from .batch import delete_expired
from .models import AuthorizationCodeRow, ConsentRow
from .records import CodeRecord, ConsentRecord
from .rows import record_from_row, record_values

__all__ = ["SqlCodeRepository", "SqlConsentRepository"]

CODES = cast(Table, AuthorizationCodeRow.__table__)
CONSENTS = cast(Table, ConsentRow.__table__)

# The code exchange runs these on every request: built once, so SQLAlchemy reuses their
# compiled form instead of rebuilding and re-hashing each statement.
_ADD = insert(CODES)
_GET = select(CODES).where(CODES.c.code_hash == bindparam("p_hash"))
_MARK_USED = (
    update(CODES)
    .where(CODES.c.code_hash == bindparam("p_hash"), CODES.c.used_at.is_(None))
    .values(used_at=bindparam("p_now"))
)
_SET_SESSION = (
    update(CODES).where(CODES.c.code_hash == bindparam("p_hash")).values(sid=bindparam("p_sid"))
)


def _code(row: Row[Any]) -> CodeRecord:
    return record_from_row(CodeRecord, CODES, row)


class SqlCodeRepository:
    """CodeRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, code: CodeRecord) -> None:
        """Insert a code."""
        self._conn.execute(_ADD, record_values(code, CODES))

    def get(self, code_hash: str) -> CodeRecord | None:
        """The code with this hash, or None."""
        row = self._conn.execute(_GET, {"p_hash": code_hash}).first()
        return None if row is None else _code(row)

    def mark_used(self, code_hash: str, *, now: float) -> bool:
        """Redeem: True for exactly one caller per code, False for every other."""
        return self._conn.execute(_MARK_USED, {"p_hash": code_hash, "p_now": now}).rowcount == 1

    def set_session(self, code_hash: str, sid: str) -> None:
        """Remember the session the code's redemption started (a replay revokes it)."""
        self._conn.execute(_SET_SESSION, {"p_hash": code_hash, "p_sid": sid})

    def delete_for_client(self, client_id: str) -> int:
        """Delete every code of a client."""
        return self._conn.execute(delete(CODES).where(CODES.c.client_id == client_id)).rowcount

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete codes that expired before ``before``, at most ``limit``."""
        return delete_expired(
            self._conn, CODES, CODES.c.code_hash, CODES.c.expires_at < before, limit
        )


class SqlConsentRepository:
    """ConsentRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, user_id: str, client_id: str) -> ConsentRecord | None:
        """What ``user_id`` allowed ``client_id``, or None."""
        row = self._conn.execute(
            select(CONSENTS).where(CONSENTS.c.user_id == user_id, CONSENTS.c.client_id == client_id)
        ).first()
        return None if row is None else record_from_row(ConsentRecord, CONSENTS, row)

    def put(self, consent: ConsentRecord) -> None:
        """Insert or replace the consent of ``(user_id, client_id)``."""
        self.delete(consent.user_id, consent.client_id)
        self._conn.execute(insert(CONSENTS).values(record_values(consent, CONSENTS)))

    def for_user(self, user_id: str) -> list[ConsentRecord]:
        """Every consent a user gave, oldest first."""
        stmt = (
            select(CONSENTS)
            .where(CONSENTS.c.user_id == user_id)
            .order_by(CONSENTS.c.created_at, CONSENTS.c.client_id)
        )
        return [record_from_row(ConsentRecord, CONSENTS, row) for row in self._conn.execute(stmt)]

    def delete(self, user_id: str, client_id: str) -> bool:
        """Withdraw a consent; False when there was none."""
        stmt = delete(CONSENTS).where(
            CONSENTS.c.user_id == user_id, CONSENTS.c.client_id == client_id
        )
        return self._conn.execute(stmt).rowcount == 1

    def delete_for_client(self, client_id: str) -> int:
        """Withdraw every consent given to a client."""
        stmt = delete(CONSENTS).where(CONSENTS.c.client_id == client_id)
        return self._conn.execute(stmt).rowcount
