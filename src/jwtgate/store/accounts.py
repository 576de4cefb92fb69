"""Account email in SQL: one-time tokens (by hash) and the address columns of ``users``.

A token is used by one conditional ``UPDATE account_tokens SET used_at = :now WHERE id = :id
AND used_at IS NULL AND expires_at > :now``, checked by its row count, so however many requests
race with one token, exactly one of them gets through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, func, insert, or_, select, update

from .batch import delete_expired
from .models import AccountTokenRow
from .records import AccountToken, UserRecord
from .rows import record_from_row, record_values
from .users import USERS, user_from_row, username_key

__all__ = ["SqlAccountRepository"]

TOKENS = cast(Table, AccountTokenRow.__table__)
MAX_MATCHES = 5
"""At most this many accounts share a login typed as an email address (emails are not unique)."""


def _token(row: Row[Any]) -> AccountToken:
    return record_from_row(AccountToken, TOKENS, row)


class SqlAccountRepository:
    """AccountRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- users by login, and their address --------------------------------------------------

    def users_by_login(self, login: str) -> list[UserRecord]:
        """The user with this username, else the users with this email address (any case)."""
        if "\x00" in login:
            return []
        row = self._conn.execute(
            select(USERS).where(USERS.c.username_key == username_key(login))
        ).first()
        if row is not None:
            return [user_from_row(row)]
        if "@" not in login:
            return []
        stmt = (
            select(USERS)
            .where(func.lower(USERS.c.email) == login.lower())
            .order_by(USERS.c.id)
            .limit(MAX_MATCHES)
        )
        return [user_from_row(r) for r in self._conn.execute(stmt)]

    def set_email(self, user_id: str, email: str | None, *, verified: bool, now: float) -> bool:
        """Set the address and whether it is verified; False when there is no such user."""
        result = self._conn.execute(
            update(USERS)
            .where(USERS.c.id == user_id)
            .values(email=email, email_verified=verified, updated_at=now)
        )
        return result.rowcount == 1

    def mark_verified(self, user_id: str, email: str, *, now: float) -> bool:
        """Mark the address verified, only if it is still ``email``; False otherwise."""
        result = self._conn.execute(
            update(USERS)
            .where(USERS.c.id == user_id, USERS.c.email == email)
            .values(email_verified=True, updated_at=now)
        )
        return result.rowcount == 1

    # -- one-time tokens --------------------------------------------------------------------

    def add_token(self, token: AccountToken) -> int:
        """Store a token (its hashes); returns its id."""
        values = record_values(token, TOKENS, exclude=("id",))
        result = self._conn.execute(insert(TOKENS).values(values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def drop_unused(self, user_id: str, purposes: Sequence[str]) -> int:
        """Delete the user's unused tokens of these purposes (only the newest one counts)."""
        result = self._conn.execute(
            delete(TOKENS).where(
                TOKENS.c.user_id == user_id,
                TOKENS.c.purpose.in_(list(purposes)),
                TOKENS.c.used_at.is_(None),
            )
        )
        return result.rowcount

    def by_hash(self, token_hash: str) -> AccountToken | None:
        """The token with this link hash, used or not, or None."""
        row = self._conn.execute(select(TOKENS).where(TOKENS.c.token_hash == token_hash)).first()
        return None if row is None else _token(row)

    def active(self, user_id: str, purposes: Sequence[str], *, now: float) -> AccountToken | None:
        """The user's newest unused, unexpired token of these purposes, or None."""
        row = self._conn.execute(
            select(TOKENS)
            .where(
                TOKENS.c.user_id == user_id,
                TOKENS.c.purpose.in_(list(purposes)),
                TOKENS.c.used_at.is_(None),
                TOKENS.c.expires_at > now,
            )
            .order_by(TOKENS.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _token(row)

    def use(self, token_id: int, *, now: float) -> bool:
        """Use a token: True for exactly one caller, and only before it expires."""
        result = self._conn.execute(
            update(TOKENS)
            .where(TOKENS.c.id == token_id, TOKENS.c.used_at.is_(None), TOKENS.c.expires_at > now)
            .values(used_at=now)
        )
        return result.rowcount == 1

    def failed_attempt(self, token_id: int, *, now: float, limit: int) -> None:
        """Count a wrong code for this token; at ``limit`` wrong codes it is used up."""
        self._conn.execute(
            update(TOKENS).where(TOKENS.c.id == token_id).values(attempts=TOKENS.c.attempts + 1)
        )
        self._conn.execute(
            update(TOKENS)
            .where(TOKENS.c.id == token_id, TOKENS.c.attempts >= limit, TOKENS.c.used_at.is_(None))
            .values(used_at=now)
        )

    def revoke(self, user_id: str, purposes: Sequence[str], *, now: float) -> int:
        """Use up every live token of the user with these purposes; returns how many."""
        result = self._conn.execute(
            update(TOKENS)
            .where(
                TOKENS.c.user_id == user_id,
                TOKENS.c.purpose.in_(list(purposes)),
                TOKENS.c.used_at.is_(None),
                TOKENS.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return result.rowcount

    def pending(self, user_id: str, purpose: str, *, now: float) -> bool:
        """Whether the user has a live token of this purpose (an open invitation)."""
        return self.active(user_id, [purpose], now=now) is not None

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete tokens that expired before ``before``."""
        condition = or_(TOKENS.c.expires_at < before, TOKENS.c.used_at < before)
        return delete_expired(self._conn, TOKENS, TOKENS.c.id, condition, limit)
