"""The engine factory: SQLite in WAL mode with foreign keys, a busy timeout and a bounded
page cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from jwtgate.auth import build_auth
from jwtgate.config import Settings
from jwtgate.store import DatabaseURLError, SqlStore, check_database_url, create_db_engine
from jwtgate.store.engine import BUSY_TIMEOUT_MS, sqlite_path


def test_sqlite_file_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    engine = create_db_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
            assert conn.execute(text("PRAGMA cache_size")).scalar() == -2048  # KiB
        assert (tmp_path / "sub" / "x.db").exists()
    finally:
        engine.dispose()


def test_the_sqlite_page_cache_follows_the_setting(tmp_path: Path) -> None:
    """JWTGATE_SQLITE_CACHE_KIB bounds each pooled connection's page cache."""
    service = build_auth(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'x.db'}",
            sqlite_cache_kib=256,
            argon2_time_cost=1,
            argon2_memory_cost=8,
            argon2_parallelism=1,
        )
    )
    try:
        store = service.store
        assert isinstance(store, SqlStore)
        engine = store.engine
        connections = [engine.raw_connection() for _ in range(2)]  # two pooled connections
        try:
            for conn in connections:
                assert conn.execute("PRAGMA cache_size").fetchone() == (-256,)
        finally:
            for conn in connections:
                conn.close()
    finally:
        service.close()


def test_the_sqlite_cache_setting_is_bounded() -> None:
    with pytest.raises(ValidationError, match="sqlite_cache_kib"):
        Settings(sqlite_cache_kib=8)


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


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://u:hunter2@db/x", "write postgresql+psycopg://u:***@db/x"),
        ("postgresql+psycopg2://u:hunter2@db/x", "write postgresql+psycopg://u:***@db/x"),
        ("mysql://u:hunter2@db/x", "mysql is not supported: jwtgate stores its data in SQLite"),
        ("oracle://u:hunter2@db/x", "oracle is not supported"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite is not supported"),
        ("not a url", "this is not a database URL; examples: sqlite:///./jwtgate.db"),
    ],
)
def test_unusable_database_urls_say_what_to_write(url: str, says: str) -> None:
    with pytest.raises(DatabaseURLError) as info:
        create_db_engine(url)
    assert says in str(info.value)
    assert "hunter2" not in str(info.value)


def test_postgresql_without_a_driver_means_psycopg_3() -> None:
    assert check_database_url("postgresql://u@db/x").drivername == "postgresql+psycopg"
    assert check_database_url("postgresql+psycopg://u@db/x").drivername == "postgresql+psycopg"


def test_a_sqlite_file_in_a_missing_directory_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    with pytest.raises(DatabaseURLError) as info:
        create_db_engine(f"sqlite:///{missing / 'x.db'}")
    assert f"the directory {missing} of the SQLite database does not exist" in str(info.value)
    assert not (tmp_path / "nonexistent").exists()
