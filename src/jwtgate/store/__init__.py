"""Persistence: users, sessions, refresh tokens, revocations, signing keys, clients, audit.

SQLAlchemy 2 on SQLite (default) or PostgreSQL, behind the Protocols in
:mod:`jwtgate.store.protocols`; the schema is managed by Alembic (:func:`upgrade`).
"""

from __future__ import annotations

from .crypto import KeyCipher, load_master_key
from .engine import DatabaseURLError, PoolOptions, check_database_url, create_db_engine, sqlite_path
from .migrate import current_revision, head_revision, stamped_revision, upgrade
from .protocols import DuplicateError, Store, StoreError, UnitOfWork
from .records import (
    ClientRecord,
    EventRecord,
    KeyRecord,
    RefreshLookup,
    RefreshRecord,
    Revocation,
    SessionRecord,
    UserRecord,
)
from .uow import SqlStore

__all__ = [
    "ClientRecord",
    "DatabaseURLError",
    "DuplicateError",
    "EventRecord",
    "KeyCipher",
    "KeyRecord",
    "PoolOptions",
    "RefreshLookup",
    "RefreshRecord",
    "Revocation",
    "SessionRecord",
    "SqlStore",
    "Store",
    "StoreError",
    "UnitOfWork",
    "UserRecord",
    "check_database_url",
    "create_db_engine",
    "current_revision",
    "head_revision",
    "load_master_key",
    "sqlite_path",
    "stamped_revision",
    "upgrade",
]
