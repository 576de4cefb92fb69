"""Alembic environment: runs on the engine handed over in ``config.attributes["engine"]``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from jwtgate.store.engine import create_db_engine
from jwtgate.store.models import Base

# An arbitrary constant naming jwtgate's migration lock among PostgreSQL advisory locks.
_PG_MIGRATION_LOCK = 0x6A77_746D

config = context.config


def _engine() -> tuple[Engine, bool]:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine, False
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass an engine or set sqlalchemy.url")
    return create_db_engine(url), True


def run_migrations_online() -> None:
    """Run the migrations in one transaction, holding the migration lock."""
    engine, own = _engine()
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK}
                    )
                context.run_migrations()
    finally:
        if own:
            engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_migrations_online()
