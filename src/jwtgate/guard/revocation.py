"""What the issuer has revoked, as far as this Guard knows: sessions, token ids, and per-user
"not before" times.

Filled from the issuer's revocation feed (``GET /auth/revocations?since=CURSOR``, body
``{cursor, sessions, tokens, users, more}``, see :mod:`jwtgate.guard.feed`) or by
:meth:`Guard.apply_revocations`. A token is revoked when its ``sid`` is a revoked session, its
``jti`` a revoked token, or its ``iat`` earlier than its user's not-before time. Reads take no
lock: sets and dicts are only added to, or swapped whole, never iterated by readers.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..jose.errors import RevokedToken

__all__ = ["MAX_ID_LENGTH", "RevocationList", "parse_feed"]

MAX_ID_LENGTH = 256  # session ids, token ids and user ids are short; anything longer is garbage


class Revocations:
    """One parsed feed page: what it revokes, and the cursor to continue from."""

    __slots__ = ("cursor", "more", "sessions", "tokens", "users")

    def __init__(
        self,
        cursor: str,
        sessions: set[str],
        tokens: set[str],
        users: dict[str, float],
        more: bool,
    ) -> None:
        self.cursor = cursor
        self.sessions = sessions
        self.tokens = tokens
        self.users = users
        self.more = more


def _ids(value: Any, name: str) -> set[str]:
    if not isinstance(value, list):
        raise ValueError(f"'{name}' must be an array")
    for item in value:
        if type(item) is not str or not item or len(item) > MAX_ID_LENGTH:
            raise ValueError(f"'{name}' must hold non-empty strings")
    return set(value)


def parse_feed(body: Any) -> Revocations:
    """Validate a revocation feed body. ValueError when it is not one."""
    if not isinstance(body, dict):
        raise ValueError("the feed must be a JSON object")
    cursor = body.get("cursor")
    if type(cursor) is not str or len(cursor) > MAX_ID_LENGTH:
        raise ValueError("'cursor' must be a short string")
    users = body.get("users", {})
    if not isinstance(users, dict):
        raise ValueError("'users' must be an object")
    for sub, not_before in users.items():
        if not sub or len(sub) > MAX_ID_LENGTH:
            raise ValueError("'users' keys must be user ids")
        if type(not_before) not in (int, float) or not_before != not_before:
            raise ValueError("'users' values must be NumericDates")
    more = body.get("more", False)
    if type(more) is not bool:
        raise ValueError("'more' must be a boolean")
    return Revocations(
        cursor,
        _ids(body.get("sessions", []), "sessions"),
        _ids(body.get("tokens", []), "tokens"),
        {sub: float(nb) for sub, nb in users.items()},
        more,
    )


class RevocationList:
    """The revoked sessions, token ids and user not-before times known to one Guard."""

    def __init__(self) -> None:
        self._sessions: set[str] = set()
        self._tokens: set[str] = set()
        self._users: dict[str, float] = {}
        self._lock = threading.Lock()
        self.cursor: str | None = None

    def check(self, sid: str | None, jti: str | None, sub: str, iat: float) -> None:
        """Raise RevokedToken when the token's session, id or user-level cut-off revokes it."""
        if sid is not None and sid in self._sessions:
            raise RevokedToken("the session of this token has been revoked")
        if jti is not None and jti in self._tokens:
            raise RevokedToken("this token has been revoked")
        not_before = self._users.get(sub)
        if not_before is not None and iat < not_before:
            raise RevokedToken("the tokens of this user issued before now are revoked")

    def apply(self, page: Revocations) -> None:
        """Add one feed page's revocations and advance the cursor."""
        with self._lock:
            self._sessions.update(page.sessions)
            self._tokens.update(page.tokens)
            for sub, not_before in page.users.items():
                if not_before > self._users.get(sub, float("-inf")):
                    self._users[sub] = not_before
            self.cursor = page.cursor

    def replace(self, pages: list[Revocations]) -> None:
        """Swap in the whole state from a full feed read (no ``since``): what the issuer has
        forgotten (every token it could reject has expired) is forgotten here too, which
        keeps memory bounded."""
        fresh = RevocationList()
        for page in pages:
            fresh.apply(page)
        with self._lock:
            self._sessions, self._tokens, self._users = (
                fresh._sessions,
                fresh._tokens,
                fresh._users,
            )
            self.cursor = fresh.cursor

    def __len__(self) -> int:
        return len(self._sessions) + len(self._tokens) + len(self._users)

    def __bool__(self) -> bool:
        return True

    def to_feed(self) -> Mapping[str, Any]:
        """The state as a feed body (for inspection and tests)."""
        return {
            "cursor": self.cursor,
            "sessions": sorted(self._sessions),
            "tokens": sorted(self._tokens),
            "users": dict(self._users),
            "more": False,
        }
