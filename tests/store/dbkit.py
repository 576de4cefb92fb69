"""Fresh databases for tests: a SQLite file, or a throw-away PostgreSQL schema.

PostgreSQL runs at 127.0.0.1:5432 (database ``test``). When it is unreachable its cases skip
with the reason, except under ``CI=true``, where they fail: CI must exercise both backends.
Each PostgreSQL case gets its own schema (dropped afterwards), so runs are repeatable and
parallel runs do not meet.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from ..backends import unreachable

PG_DSN = os.environ.get("JWTGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _require_postgres() -> None:
    try:
        psycopg.connect(PG_DSN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        unreachable(f"PostgreSQL is not reachable at {PG_DSN}: {str(exc).strip()[:200]}")


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database on ``backend``, cleaned up afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'jwtgate.db'}"
        return
    _require_postgres()
    schema = f"jwtgate_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        dsn = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{dsn}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
