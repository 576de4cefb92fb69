"""OAuth clients in SQL; only the SHA-256 hash of a client secret is stored."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, delete, insert, select, update

from .models import ClientRow
from .records import ClientRecord
from .rows import record_from_row, record_values

__all__ = ["SqlClientRepository"]

CLIENTS = cast(Table, ClientRow.__table__)
# Every token request reads its client: built once (see store/sessions.py).
_GET = select(CLIENTS).where(CLIENTS.c.client_id == bindparam("p_id"))
_GET_LOCKED = _GET.with_for_update()


def _client(row: Row[Any]) -> ClientRecord:
    return record_from_row(ClientRecord, CLIENTS, row)


class SqlClientRepository:
    """ClientRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, client: ClientRecord) -> None:
        """Insert a client."""
        self._conn.execute(insert(CLIENTS).values(record_values(client, CLIENTS)))

    def get(self, client_id: str, *, for_update: bool = False) -> ClientRecord | None:
        """The client with this id, or None (locked until the transaction ends if asked)."""
        row = self._conn.execute(_GET_LOCKED if for_update else _GET, {"p_id": client_id}).first()
        return None if row is None else _client(row)

    def all(self) -> list[ClientRecord]:
        """Every client, oldest first."""
        stmt = select(CLIENTS).order_by(CLIENTS.c.created_at, CLIENTS.c.client_id)
        return [_client(row) for row in self._conn.execute(stmt)]

    def replace(self, client: ClientRecord) -> bool:
        """Store every field of ``client`` over the row with its id; False when absent."""
        values = record_values(client, CLIENTS, exclude=("client_id", "created_at"))
        stmt = update(CLIENTS).where(CLIENTS.c.client_id == client.client_id).values(values)
        return self._conn.execute(stmt).rowcount == 1

    def delete(self, client_id: str) -> bool:
        """Delete a client (its codes and consents go by cascade); False when absent."""
        stmt = delete(CLIENTS).where(CLIENTS.c.client_id == client_id)
        return self._conn.execute(stmt).rowcount == 1
