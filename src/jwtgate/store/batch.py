"""Deleting in small batches: expired rows go without a long lock on the tables traffic uses.

One batch is ``DELETE ... WHERE pk IN (SELECT pk ... WHERE <expired> LIMIT n)``. On PostgreSQL
the inner SELECT takes ``FOR UPDATE SKIP LOCKED``, so two instances pruning at once split the
work instead of waiting on each other's rows; on SQLite the write lock is held only for one
batch. The caller commits between batches.
"""

from __future__ import annotations

from sqlalchemy import Column, ColumnElement, Connection, Table, delete, select

__all__ = ["delete_expired"]


def delete_expired(
    conn: Connection,
    table: Table,
    key: Column[object],
    condition: ColumnElement[bool],
    limit: int | None,
) -> int:
    """Delete the rows of ``table`` matching ``condition``: all of them when ``limit`` is None,
    else at most ``limit``. Returns how many were deleted."""
    if limit is None:
        return conn.execute(delete(table).where(condition)).rowcount
    chosen = select(key).where(condition).limit(limit)
    if conn.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    return conn.execute(delete(table).where(key.in_(chosen.scalar_subquery()))).rowcount
