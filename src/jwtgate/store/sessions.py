"""Sessions and refresh tokens in SQL.

A refresh token is stored only as its SHA-256 hash. Rotation is one conditional
``UPDATE refresh_tokens SET used_at = :now WHERE id = :id AND used_at IS NULL``, checked by its
row count: however many requests race with one token, the database lets exactly one through.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, insert, select, update

from .batch import delete_expired
from .models import RefreshTokenRow, SessionRow
from .records import RefreshLookup, RefreshRecord, SessionRecord, UserRecord
from .rows import record_from_row, record_values
from .users import USERS, user_from_row

__all__ = ["SqlSessionRepository"]

SESSIONS = cast(Table, SessionRow.__table__)
TOKENS = cast(Table, RefreshTokenRow.__table__)

# The refresh path runs these on every request: built once, so SQLAlchemy reuses their
# compiled form instead of rebuilding and re-hashing the statement each time.
_FIND_REFRESH = (
    select(TOKENS, SESSIONS, USERS)
    .join(SESSIONS, SESSIONS.c.sid == TOKENS.c.sid)
    .join(USERS, USERS.c.id == SESSIONS.c.user_id)
    .where(TOKENS.c.token_hash == bindparam("p_hash"))
)
_MARK_USED = (
    update(TOKENS)
    .where(TOKENS.c.id == bindparam("p_id"), TOKENS.c.used_at.is_(None))
    .values(used_at=bindparam("p_now"))
)
_TOUCH = (
    update(SESSIONS)
    .where(SESSIONS.c.sid == bindparam("p_sid"), SESSIONS.c.revoked_at.is_(None))
    .values(
        last_used_at=bindparam("p_now"),
        expires_at=bindparam("p_expires"),
        ip=bindparam("p_ip"),
        user_agent=bindparam("p_ua"),
    )
)
_ADD_REFRESH = insert(TOKENS)
_ADD_SESSION = insert(SESSIONS)
_BY_SSO_HASH = (
    select(SESSIONS, USERS)
    .join(USERS, USERS.c.id == SESSIONS.c.user_id)
    .where(SESSIONS.c.sso_hash == bindparam("p_hash"))
)


def _session(row: Row[Any]) -> SessionRecord:
    return record_from_row(SessionRecord, SESSIONS, row)


class SqlSessionRepository:
    """SessionRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, session: SessionRecord) -> None:
        """Insert a session."""
        self._conn.execute(_ADD_SESSION, record_values(session, SESSIONS))

    def get(self, sid: str) -> SessionRecord | None:
        """The session with this sid, or None."""
        row = self._conn.execute(select(SESSIONS).where(SESSIONS.c.sid == sid)).first()
        return None if row is None else _session(row)

    def for_user(self, user_id: str) -> list[SessionRecord]:
        """Every session of a user, newest first."""
        stmt = (
            select(SESSIONS)
            .where(SESSIONS.c.user_id == user_id)
            .order_by(SESSIONS.c.created_at.desc(), SESSIONS.c.sid)
        )
        return [_session(row) for row in self._conn.execute(stmt)]

    def started_from(self, sso_sid: str) -> list[SessionRecord]:
        """The live sessions started from a browser sign-in session (the apps it signed in)."""
        stmt = select(SESSIONS).where(
            SESSIONS.c.sso_sid == sso_sid, SESSIONS.c.revoked_at.is_(None)
        )
        return [_session(row) for row in self._conn.execute(stmt)]

    def touch(
        self, sid: str, *, now: float, expires_at: float, ip: str | None, user_agent: str | None
    ) -> bool:
        """Record a refresh (last use, new sliding expiry, origin); False when the session
        is gone or was revoked meanwhile."""
        params = {
            "p_sid": sid,
            "p_now": now,
            "p_expires": expires_at,
            "p_ip": ip,
            "p_ua": user_agent,
        }
        return self._conn.execute(_TOUCH, params).rowcount == 1

    def revoke(self, sid: str, *, now: float, reason: str) -> bool:
        """Mark a live session revoked; False when absent or revoked already."""
        result = self._conn.execute(
            update(SESSIONS)
            .where(SESSIONS.c.sid == sid, SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return result.rowcount == 1

    def revoke_for_user(
        self, user_id: str, *, now: float, reason: str, keep: str | None = None
    ) -> list[SessionRecord]:
        """Revoke every live session of a user except ``keep``; return those revoked."""
        stmt = select(SESSIONS).where(
            SESSIONS.c.user_id == user_id,
            SESSIONS.c.revoked_at.is_(None),
            SESSIONS.c.expires_at > now,
        )
        if keep is not None:
            stmt = stmt.where(SESSIONS.c.sid != keep)
        live = [_session(row) for row in self._conn.execute(stmt)]
        revoked = [s for s in live if self.revoke(s.sid, now=now, reason=reason)]
        return revoked

    def by_sso_hash(self, sso_hash: str) -> tuple[SessionRecord, UserRecord] | None:
        """The browser sign-in session whose SSO cookie hashes to ``sso_hash``, with its user."""
        row = self._conn.execute(_BY_SSO_HASH, {"p_hash": sso_hash}).first()
        return None if row is None else (_session(row), user_from_row(row))

    def set_sso_hash(self, sid: str, sso_hash: str) -> None:
        """Make a session a browser sign-in session, identified by its SSO cookie's hash."""
        self._conn.execute(update(SESSIONS).where(SESSIONS.c.sid == sid).values(sso_hash=sso_hash))

    def revoke_where(
        self,
        *,
        now: float,
        reason: str,
        client_id: str | None = None,
        user_id: str | None = None,
        sso_sid: str | None = None,
    ) -> list[SessionRecord]:
        """Revoke every live session matching all the given fields; return those revoked."""
        stmt = select(SESSIONS).where(SESSIONS.c.revoked_at.is_(None), SESSIONS.c.expires_at > now)
        if client_id is not None:
            stmt = stmt.where(SESSIONS.c.client_id == client_id)
        if user_id is not None:
            stmt = stmt.where(SESSIONS.c.user_id == user_id)
        if sso_sid is not None:
            stmt = stmt.where(SESSIONS.c.sso_sid == sso_sid)
        if client_id is None and user_id is None and sso_sid is None:
            raise ValueError("revoke_where needs at least one condition")
        live = [_session(row) for row in self._conn.execute(stmt)]
        return [s for s in live if self.revoke(s.sid, now=now, reason=reason)]

    def add_refresh(self, token_hash: str, sid: str, *, now: float, expires_at: float) -> None:
        """Store a new refresh token's hash for a session."""
        self._conn.execute(
            _ADD_REFRESH,
            {"token_hash": token_hash, "sid": sid, "created_at": now, "expires_at": expires_at},
        )

    def find_refresh(self, token_hash: str) -> RefreshLookup | None:
        """The refresh token with this hash, its session and its user, in one query."""
        row = self._conn.execute(_FIND_REFRESH, {"p_hash": token_hash}).first()
        if row is None:
            return None
        return RefreshLookup(
            token=record_from_row(RefreshRecord, TOKENS, row),
            session=_session(row),
            user=user_from_row(row),
        )

    def mark_used(self, token_id: int, *, now: float) -> bool:
        """Rotate: True for exactly one caller per token, False for every other."""
        return self._conn.execute(_MARK_USED, {"p_id": token_id, "p_now": now}).rowcount == 1

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete sessions (and, by cascade, their tokens) that expired before ``before``, at
        most ``limit``."""
        return delete_expired(
            self._conn, SESSIONS, SESSIONS.c.sid, SESSIONS.c.expires_at < before, limit
        )

    def prune_refresh(self, *, before: float, limit: int | None = None) -> int:
        """Delete refresh tokens that expired before ``before`` (rotated ones of live sessions
        too: past its expiry a token can refresh nothing), at most ``limit``."""
        return delete_expired(self._conn, TOKENS, TOKENS.c.id, TOKENS.c.expires_at < before, limit)
