"""PostgreSQL through psycopg 3: the pool follows the settings (size, overflow, timeout,
recycle), an exhausted pool answers with a timeout instead of hanging, SQLite ignores the
pool settings, and ``jwtgate db upgrade`` migrates a PostgreSQL schema."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc
from pydantic import ValidationError
from sqlalchemy import QueuePool
from typer.testing import CliRunner

from jwtgate.auth import AuthService, build_auth
from jwtgate.cli import app
from jwtgate.config import Settings

from ..auth.authkit import engine_of, fast_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pooled(postgres_url: str) -> Iterator[AuthService]:
    service = build_auth(
        fast_settings(
            postgres_url,
            db_pool_size=2,
            db_max_overflow=1,
            db_pool_timeout=0.3,
            db_pool_recycle=60,
        )
    )
    yield service
    service.close()


def test_the_pool_follows_the_settings(pooled: AuthService) -> None:
    pool = engine_of(pooled).pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 2
    assert pool._max_overflow == 1
    assert pool._timeout == 0.3
    assert pool._recycle == 60
    assert engine_of(pooled).dialect.driver == "psycopg"


def test_an_exhausted_pool_times_out_instead_of_hanging(pooled: AuthService) -> None:
    engine = engine_of(pooled)
    held = [engine.connect() for _ in range(3)]  # size 2 + overflow 1
    try:
        start = time.monotonic()
        with pytest.raises(sqlalchemy.exc.TimeoutError):
            engine.connect()
        assert 0.25 < time.monotonic() - start < 2
    finally:
        for conn in held:
            conn.close()
    with engine.connect():
        pass  # and the pool serves again once connections come back


def test_sqlite_ignores_the_pool_settings(tmp_path: Path) -> None:
    service = build_auth(
        fast_settings(f"sqlite:///{tmp_path / 'db.sqlite'}", db_pool_size=1, db_max_overflow=0)
    )
    try:
        pool = engine_of(service).pool
        assert isinstance(pool, QueuePool) and pool.size() == 5  # SQLAlchemy's own default
    finally:
        service.close()


@pytest.mark.parametrize(
    "field, value",
    [("db_pool_size", 0), ("db_max_overflow", -1), ("db_pool_timeout", 0), ("redis_prefix", "")],
)
def test_unusable_pool_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})


def test_db_upgrade_migrates_a_postgresql_schema(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JWTGATE_DATABASE_URL", postgres_url)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "is at revision" in result.output
