"""Which database a ``jwtgate`` command works on, and what to say when it cannot.

The default URL ``sqlite:///./jwtgate.db`` is relative to the working directory, so a command
run elsewhere would silently create an empty database there. Only ``serve`` and ``db
upgrade`` create one; every other command refuses a database that does not exist yet
(:func:`require_database`) and names the one it opened (:func:`describe_database`).
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from .store import check_database_url, create_db_engine, sqlite_path, stamped_revision

__all__ = [
    "MissingDatabase",
    "connection_failure",
    "describe_database",
    "require_database",
    "safe_url",
]

START_FIRST = "start `jwtgate serve` first, or set JWTGATE_DATABASE_URL"


class MissingDatabase(Exception):
    """The configured database does not exist yet, or holds no jwtgate schema."""


def safe_url(database_url: str) -> str:
    """The database URL with any password hidden, for messages."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def describe_database(database_url: str) -> str:
    """The database for people: a SQLite file by its absolute path, else the URL without its
    password."""
    path = sqlite_path(database_url)
    if path is not None:
        return str(path.absolute())
    return safe_url(database_url)


def require_database(database_url: str) -> None:
    """Raise MissingDatabase unless the database exists and has jwtgate's schema.

    A SQLite file is looked for before connecting (connecting would create it). Raises
    DatabaseURLError for an unusable URL and sqlalchemy errors for an unreachable server.
    """
    check_database_url(database_url)
    path = sqlite_path(database_url)
    if path is not None and not path.is_file():
        raise MissingDatabase(f"no database at {path.absolute()}: {START_FIRST}")
    engine = create_db_engine(database_url)
    try:
        with engine.connect():
            pass  # an unreachable server fails here, with the driver's reason
        if stamped_revision(engine) is None:
            raise MissingDatabase(
                f"{describe_database(database_url)} holds no jwtgate tables: {START_FIRST} "
                "(or run `jwtgate db upgrade`)"
            )
    finally:
        engine.dispose()


def connection_failure(exc: SQLAlchemyError | OSError, database_url: str) -> str:
    """Why the database could not be used, in the driver's words, with no password in it."""
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
    else:
        original = getattr(exc, "orig", None)
        reason = str(original if original is not None else exc).strip()
        # psycopg's message names host and port, never the password; hide it all the same.
        try:
            password = make_url(database_url).password
        except ArgumentError:
            password = None
        if password:
            reason = reason.replace(str(password), "***")
        reason = " ".join(reason.split())[:500] or type(exc).__name__
    return f"cannot use the database {describe_database(database_url)}: {reason}"
