"""The engine factory: SQLite in WAL mode with foreign keys and a busy timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from jwtgate.store import create_db_engine
from jwtgate.store.engine import BUSY_TIMEOUT_MS, sqlite_path


def test_sqlite_file_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
        assert (tmp_path / "sub" / "x.db").exists()  # the directory was created
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_shared_database() -> None:
    engine = create_db_engine("sqlite://")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///./jwtgate.db", Path("jwtgate.db")),
        ("sqlite:////var/lib/j.db", Path("/var/lib/j.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_sqlite_path(url: str, path: Path | None) -> None:
    assert sqlite_path(url) == path


def test_a_write_transaction_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("boom")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()
