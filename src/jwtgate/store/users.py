"""Users in SQL. A username is unique by its ``username_key``: its RFC 8265 PRECIS form
(:mod:`jwtgate.store.usernames`), which every lookup compares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .models import UserRow
from .protocols import DuplicateError
from .records import UserRecord
from .rows import record_from_row, record_values
from .usernames import username_key

__all__ = ["SqlUserRepository", "like_pattern", "user_from_row", "username_key"]

USERS = cast(Table, UserRow.__table__)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with ``%``, ``_`` and ``\\`` escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def user_from_row(row: Row[Any]) -> UserRecord:
    """A UserRecord from a row with the user columns."""
    return record_from_row(UserRecord, USERS, row)


class SqlUserRepository:
    """UserRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, user_id: str, *, for_update: bool = False) -> UserRecord | None:
        """The user with this id, or None; ``for_update`` locks the row until commit
        (PostgreSQL; SQLite's writers are serialized by BEGIN IMMEDIATE already)."""
        query = select(USERS).where(USERS.c.id == user_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else user_from_row(row)

    def by_username(self, username: str) -> UserRecord | None:
        """The user with this username (by its PRECIS key: any case, any width), or None."""
        key = username_key(username)
        if key is None:
            return None  # not a username at all (a NUL, which PostgreSQL cannot hold, included)
        row = self._conn.execute(select(USERS).where(USERS.c.username_key == key)).first()
        return None if row is None else user_from_row(row)

    def add(self, user: UserRecord) -> None:
        """Insert a user. Raises DuplicateError when the username is taken."""
        values = record_values(user, USERS)
        key = username_key(user.username)
        if key is None:
            raise ValueError("not a valid username (check it with auth.usernames first)")
        values["username_key"] = key
        # A savepoint keeps the surrounding transaction usable after the unique violation.
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(USERS).values(values))
        except IntegrityError:
            raise DuplicateError("the username is taken") from None

    def update(
        self,
        user_id: str,
        *,
        now: float,
        password_hash: str | None = None,
        roles: Sequence[str] | None = None,
        disabled: bool | None = None,
        not_before: float | None = None,
    ) -> bool:
        """Change the given fields; False when there is no such user."""
        values: dict[str, Any] = {"updated_at": now}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if roles is not None:
            values["roles"] = list(roles)
        if disabled is not None:
            values["disabled"] = disabled
        if not_before is not None:
            values["not_before"] = not_before
        result = self._conn.execute(update(USERS).where(USERS.c.id == user_id).values(values))
        return result.rowcount == 1

    def delete(self, user_id: str) -> bool:
        """Delete a user (its sessions and refresh tokens cascade); False when absent."""
        result = self._conn.execute(delete(USERS).where(USERS.c.id == user_id))
        return result.rowcount == 1

    def page(self, after: str | None, limit: int, q: str | None) -> list[UserRecord]:
        """Up to ``limit`` users with id greater than ``after``, in id (= creation) order."""
        stmt = select(USERS).order_by(USERS.c.id).limit(limit)
        if after is not None:
            stmt = stmt.where(USERS.c.id > after)
        if q:
            # Keys are lower-cased as PRECIS does (Unicode toLowerCase, not casefold: ß stays).
            pattern = like_pattern(username_key(q) or q.lower())
            stmt = stmt.where(
                or_(
                    USERS.c.username_key.like(pattern, escape="\\"),
                    func.lower(USERS.c.email).like(pattern, escape="\\"),
                )
            )
        return [user_from_row(row) for row in self._conn.execute(stmt)]

    def count(self) -> int:
        """How many users exist."""
        return int(self._conn.execute(select(func.count()).select_from(USERS)).scalar_one())
