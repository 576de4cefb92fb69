"""Schema migrations (Alembic), configured in code: no alembic.ini, any working directory.

``upgrade(database_url)`` is what ``jwtgate db upgrade`` and the first ``serve`` call. Two
processes upgrading at once are safe: SQLite serialises the migration transactions (BEGIN
IMMEDIATE) and PostgreSQL takes an advisory lock first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

from .engine import create_db_engine

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "head_revision",
    "stamped_revision",
    "upgrade",
]

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision shipped (tests/store check it equals Alembic's head). Knowing it lets a
# server whose schema is current start without importing Alembic (9 MiB of resident memory).
HEAD_REVISION = "0009"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic Config for our migrations that runs on ``engine`` (see migrations/env.py)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(database_url: str, revision: str = "head", *, engine: Engine | None = None) -> None:
    """Bring the schema of ``database_url`` up to ``revision`` (default: the newest).

    Idempotent. Raises sqlalchemy errors when the database is unreachable.
    """
    own = engine is None
    engine = engine or create_db_engine(database_url)
    try:
        if revision == "head" and stamped_revision(engine) == HEAD_REVISION:
            return
        from alembic import command

        command.upgrade(alembic_config(engine), revision)
    finally:
        if own:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def stamped_revision(engine: Engine) -> str | None:
    """The single revision in alembic_version, read with plain SQL; None if unknown (no
    jwtgate schema yet, or the database cannot be read)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None  # no table yet: an empty database
    return str(rows[0][0]) if len(rows) == 1 else None


def head_revision() -> str | None:
    """The newest revision shipped with this version of jwtgate."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
