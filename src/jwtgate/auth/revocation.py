"""The revocation state in memory, so that verifying a token never touches the database.

It holds the revoked session ids, the revoked token ids (until their ``exp``), and per-user
"not before" times, each with the moment after which it can be forgotten (every token it could
reject has expired by then). It is loaded from the store at start, updated when this process
revokes, and fed by ``apply`` with revocations other processes made (database polling, or Redis
pub/sub later). ``since(cursor)`` reads what it holds after a cursor.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..jose.errors import RevokedToken
from ..store.records import Revocation

__all__ = ["RevocationState", "feed"]

PRUNE_EVERY = 1024


def feed(events: Iterable[Revocation], cursor: int, *, more: bool = False) -> dict[str, Any]:
    """The revocation feed body: ``{cursor, sessions, tokens, users, more}``.

    ``users`` maps a user id to the NumericDate before which its tokens are revoked.
    """
    sessions: list[str] = []
    tokens: list[str] = []
    users: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for event in events:
        cursor = max(cursor, event.id)
        if event.kind == "user":
            not_before = math.floor(event.not_before or 0)
            users[event.value] = max(users.get(event.value, 0), not_before)
        elif (event.kind, event.value) not in seen:
            seen.add((event.kind, event.value))
            (sessions if event.kind == "sid" else tokens).append(event.value)
    return {
        "cursor": str(cursor),
        "sessions": sessions,
        "tokens": tokens,
        "users": users,
        "more": more,
    }


class RevocationState:
    """What is revoked, in memory. Reads take no lock; writes are serialised."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._sids: dict[str, float] = {}
        self._jtis: dict[str, float] = {}
        self._users: dict[str, tuple[int, float]] = {}
        self._events: dict[int, Revocation] = {}
        self._lock = threading.Lock()
        self._applied = 0
        self.cursor = 0

    def apply(self, event: Revocation) -> None:
        """Take one revocation into account (idempotent; order does not matter)."""
        with self._lock:
            self._apply(event)

    def apply_all(self, events: Iterable[Revocation]) -> None:
        """Take many revocations into account."""
        with self._lock:
            for event in events:
                self._apply(event)

    def _apply(self, event: Revocation) -> None:
        if event.kind == "sid":
            self._sids[event.value] = max(self._sids.get(event.value, 0.0), event.expires_at)
        elif event.kind == "jti":
            self._jtis[event.value] = max(self._jtis.get(event.value, 0.0), event.expires_at)
        elif event.kind == "user":
            not_before = math.floor(event.not_before or 0)
            old_nb, old_exp = self._users.get(event.value, (0, 0.0))
            self._users[event.value] = (max(old_nb, not_before), max(old_exp, event.expires_at))
        else:
            return
        self._events[event.id] = event
        self.cursor = max(self.cursor, event.id)
        self._applied += 1
        if self._applied % PRUNE_EVERY == 0:
            # Bounded memory even when nobody calls prune(): entries die with their tokens.
            self._prune_locked(self._clock())

    def check(self, claims: Mapping[str, Any]) -> None:
        """Raise RevokedToken when the token's session, id or user has been revoked."""
        sid = claims.get("sid")
        if sid is not None and sid in self._sids:
            raise RevokedToken("the session of this token has been revoked")
        jti = claims.get("jti")
        if jti is not None and jti in self._jtis:
            raise RevokedToken("this token has been revoked")
        sub = claims.get("sub")
        if sub is not None:
            entry = self._users.get(sub)
            if entry is not None:
                iat = claims.get("iat")
                if not isinstance(iat, int | float) or iat < entry[0]:
                    raise RevokedToken("the tokens of this user issued before now are revoked")

    def is_session_revoked(self, sid: str) -> bool:
        """True when ``sid`` is known to be revoked."""
        return sid in self._sids

    def since(self, cursor: int) -> list[Revocation]:
        """The live revocations held with id above ``cursor``, by id."""
        now = self._clock()
        with self._lock:
            events = [e for e in self._events.values() if e.id > cursor and e.expires_at > now]
        return sorted(events, key=lambda e: e.id)

    def prune(self) -> int:
        """Forget revocations whose tokens have all expired; return how many."""
        with self._lock:
            return self._prune_locked(self._clock())

    def _prune_locked(self, now: float) -> int:
        dead = [i for i, e in self._events.items() if e.expires_at <= now]
        for i in dead:
            del self._events[i]
        # New dicts swapped in whole: lock-free readers see the old or the new, never a
        # dict changing size under them.
        self._sids = {k: t for k, t in self._sids.items() if t > now}
        self._jtis = {k: t for k, t in self._jtis.items() if t > now}
        self._users = {k: v for k, v in self._users.items() if v[1] > now}
        return len(dead)

    def __len__(self) -> int:
        return len(self._sids) + len(self._jtis) + len(self._users)
