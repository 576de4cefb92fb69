"""The engine factory: SQLite tuned for a web server, PostgreSQL with a sized connection pool.

SQLite runs in WAL mode (readers never block the writer), with foreign keys enforced and a busy
timeout. Write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue on the busy
timeout instead of failing when a read lock cannot be upgraded (SQLITE_BUSY_SNAPSHOT); read-only
units of work use a plain deferred ``BEGIN``.
The database file and the files SQLite keeps beside it are mode 0600 (see :mod:`.files`).
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from .files import SQLITE_COMPANIONS, create_private_file, private_umask, tighten

__all__ = [
    "BUSY_TIMEOUT_MS",
    "WRITE_OPTION",
    "DatabaseURLError",
    "PoolOptions",
    "check_database_url",
    "create_db_engine",
    "sqlite_path",
]

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "jwtgate_write"
"""Execution option that marks a connection's next transaction as a write transaction."""


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """The connection pool of a server-backed database, and SQLite's page cache.

    Each process holds up to ``size + max_overflow`` connections; a request waits at most
    ``timeout`` seconds for one (then sqlalchemy.exc.TimeoutError); a connection older than
    ``recycle`` seconds is replaced (negative: never). Connections are checked with a ping
    before use, so a database restart costs one failed ping per pooled connection, not errors.
    SQLite ignores these (SQLAlchemy's own pool of 5 + 10 applies); each SQLite connection
    keeps a page cache of up to ``sqlite_cache_kib`` KiB (``PRAGMA cache_size``), which fills
    as the database grows: a process's bound is connections x that.
    """

    size: int = 5
    max_overflow: int = 10
    timeout: float = 30.0
    recycle: float = 1800.0
    sqlite_cache_kib: int = 2048


EXAMPLES = "sqlite:///./jwtgate.db, or postgresql+psycopg://user:password@host:5432/dbname"


class DatabaseURLError(ValueError):
    """A database URL jwtgate cannot use; the message says why and what to write instead.

    The message never holds the URL's password.
    """


def check_database_url(database_url: str) -> URL:
    """The parsed URL when jwtgate supports it: SQLite, or PostgreSQL through psycopg 3.

    ``postgresql://`` means psycopg 3 (whatever SQLAlchemy's default driver). A SQLite file's
    directory must exist: nothing is created but the file itself, so a typo in the path fails
    instead of starting an empty database elsewhere. Raises DatabaseURLError otherwise.
    """
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise DatabaseURLError(f"this is not a database URL; examples: {EXAMPLES}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "postgresql" and driver in ("", "psycopg"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend in ("postgres", "postgresql"):
        fixed = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
        raise DatabaseURLError(
            f"{url.drivername}:// is not a database URL jwtgate can use: write {fixed} "
            "(PostgreSQL through psycopg 3)"
        )
    elif backend == "sqlite" and driver not in ("", "pysqlite"):
        raise DatabaseURLError(f"sqlite+{driver} is not supported: write sqlite:///path/to/file.db")
    elif backend != "sqlite":
        raise DatabaseURLError(
            f"{backend} is not supported: jwtgate stores its data in SQLite (one machine) or "
            f"PostgreSQL (several); examples: {EXAMPLES}"
        )
    path = sqlite_path(database_url)
    if path is not None and not path.parent.is_dir():
        raise DatabaseURLError(
            f"the directory {path.parent.absolute()} of the SQLite database does not exist: "
            "create it first, or use a path in an existing directory"
        )
    return url


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for other backends, in-memory databases and
    unparseable URLs."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    return Path(database)


def create_db_engine(
    database_url: str, *, echo: bool = False, pool: PoolOptions | None = None
) -> Engine:
    """An engine for ``database_url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    ``pool`` sizes the pool of other backends. Raises DatabaseURLError for a URL jwtgate cannot
    use (see :func:`check_database_url`).
    """
    url = check_database_url(database_url)
    pool = pool or PoolOptions()
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=pool.size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.timeout,
            pool_recycle=int(pool.recycle),
            json_serializer=_json_text,
        )
    path = sqlite_path(database_url)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if path is None:
        # One shared connection, or every checkout would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        # Created empty (a valid database) and private before SQLite first opens it: the
        # -wal and -shm files it creates then take the database's mode.
        create_private_file(path)
        tighten(path)
    engine = create_engine(url, echo=echo, json_serializer=_json_text, **kwargs)
    connect = functools.partial(_sqlite_connect, pool.sqlite_cache_kib, path)
    event.listen(engine, "connect", connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _json_text(value: Any) -> str:
    """JSON columns (audit details, ...) written with orjson: a fifth of the stdlib's time."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_connect(
    cache_kib: int, path: Path | None, dbapi_connection: sqlite3.Connection, _record: Any
) -> None:
    # The driver's own implicit BEGIN is switched off; _sqlite_begin emits ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if path is not None and not path.with_name(path.name + "-wal").exists():
            with private_umask():  # switching to WAL creates the -wal and -shm files
                cursor.execute("PRAGMA journal_mode = WAL")
        else:
            cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL loses nothing on a process crash (kill -9), only on power loss.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Negative: a size in KiB, not in pages (SQLite's default is -2000).
        cursor.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    finally:
        cursor.close()
    if path is not None:
        for companion in SQLITE_COMPANIONS:
            tighten(path.with_name(path.name + companion))


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, True)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
