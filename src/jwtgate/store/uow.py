"""The SQL unit of work: one connection, one transaction, every repository bound to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine

from .accounts import SqlAccountRepository
from .audit import SqlAuditRepository
from .clients import SqlClientRepository
from .codes import SqlCodeRepository, SqlConsentRepository
from .engine import WRITE_OPTION, PoolOptions, create_db_engine
from .keys import SqlKeyRepository
from .logouts import SqlLogoutRepository
from .mfa import SqlMfaRepository
from .outbox import SqlOutboxRepository
from .revocations import SqlRevocationRepository
from .sessions import SqlSessionRepository
from .throttle import SqlThrottleRepository
from .users import SqlUserRepository

__all__ = ["SqlStore", "SqlUnitOfWork"]


class SqlUnitOfWork:
    """The repositories of one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self.users = SqlUserRepository(conn)
        self.sessions = SqlSessionRepository(conn)
        self.revocations = SqlRevocationRepository(conn)
        self.keys = SqlKeyRepository(conn)
        self.clients = SqlClientRepository(conn)
        self.codes = SqlCodeRepository(conn)
        self.consents = SqlConsentRepository(conn)
        self.events = SqlAuditRepository(conn)
        self.accounts = SqlAccountRepository(conn)
        self.outbox = SqlOutboxRepository(conn)
        self.mfa = SqlMfaRepository(conn)
        self.throttle = SqlThrottleRepository(conn)
        self.logouts = SqlLogoutRepository(conn)


class SqlStore:
    """A Store on a SQLAlchemy engine. ``write()`` commits on success and rolls back on error.

    On SQLite a write unit of work holds the database's write lock from its first statement
    (BEGIN IMMEDIATE), so keep slow work such as password hashing outside it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite lets one writer in at a time. This process's threads queue for it on a lock
        # rather than in SQLite's busy handler, which polls with sleeps growing to 100 ms
        # (16 concurrent refreshes had a p99 of 880 ms that way); other processes sharing
        # the file still wait in the busy handler. Re-entrant: a write nested in a write
        # reaches SQLite as before.
        self._writer = threading.RLock() if engine.dialect.name == "sqlite" else None

    @classmethod
    def from_url(cls, database_url: str, *, pool: PoolOptions | None = None) -> SqlStore:
        """A store with a fresh engine for ``database_url`` (``pool``: see PoolOptions)."""
        return cls(create_db_engine(database_url, pool=pool))

    @contextmanager
    def _unit(self, write: bool) -> Iterator[SqlUnitOfWork]:
        queue = self._writer if write and self._writer is not None else nullcontext()
        with queue, self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: write})
            with conn.begin():
                yield SqlUnitOfWork(conn)

    def write(self) -> AbstractContextManager[SqlUnitOfWork]:
        """A unit of work that may write; committed when the block ends without error."""
        return self._unit(True)

    def read(self) -> AbstractContextManager[SqlUnitOfWork]:
        """A read-only unit of work (on SQLite a deferred transaction: no write lock)."""
        return self._unit(False)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
