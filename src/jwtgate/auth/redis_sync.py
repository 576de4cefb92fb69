"""Revocations and key rotations shared between instances through Redis pub/sub.

An instance that revokes (logout, reuse detection, an admin action) applies the revocation to
its own memory once the transaction has committed, then publishes it; every other instance's
subscriber applies it to its in-memory :class:`RevocationState` within milliseconds. A key
rotation is announced the same way and makes the others re-read the key ring.

The database stays the truth and the poll (``AuthService.sync``) keeps running: a message lost
while Redis was down is found by the next poll, and each (re)subscription reloads every live
revocation and the key ring from the database, so a reconnecting instance misses nothing.
Whoever can publish on the channel can revoke tokens (deny service) but never accept one:
messages only add revocations, and a key announcement only triggers a read of the database.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..store.records import Revocation
from ..store.redis import EventChannel, RedisLink, Subscriber
from ..store.revocations import KINDS
from .revocation import RevocationState

__all__ = ["RedisSync", "decode_revocations", "encode_revocations"]

log = logging.getLogger("jwtgate.auth")

VERSION = 1
CHUNK = 200
"""Revocations per message: revoking a user with many sessions sends several small messages."""
MAX_VALUE = 128
MAX_ID = 2**63 - 1


def encode_revocations(origin: str, events: Sequence[Revocation]) -> dict[str, Any]:
    """A ``revoked`` message: ``{v, type, origin, events: [[id, kind, value, not_before,
    expires_at, created_at], ...]}``."""
    return {
        "v": VERSION,
        "type": "revoked",
        "origin": origin,
        "events": [
            [e.id, e.kind, e.value, e.not_before, e.expires_at, e.created_at] for e in events
        ],
    }


def _number(value: object, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("not a finite number")
    return float(value)


def decode_revocations(message: Mapping[str, Any]) -> list[Revocation]:
    """The revocations of a ``revoked`` message. Raises ValueError for anything malformed
    (a wrong shape, an unknown kind, an id or value out of bounds, a non-finite time)."""
    events = message.get("events")
    if not isinstance(events, list) or len(events) > CHUNK:
        raise ValueError("events must be a list of at most CHUNK items")
    out: list[Revocation] = []
    for item in events:
        if not isinstance(item, list) or len(item) != 6:
            raise ValueError("an event is a list of six fields")
        id_, kind, value, not_before, expires_at, created_at = item
        if isinstance(id_, bool) or not isinstance(id_, int) or not 0 < id_ <= MAX_ID:
            raise ValueError("bad id")
        if kind not in KINDS or not isinstance(value, str) or not 0 < len(value) <= MAX_VALUE:
            raise ValueError("bad kind or value")
        out.append(
            Revocation(
                id=id_,
                kind=kind,
                value=value,
                not_before=_number(not_before, optional=True),
                expires_at=_number(expires_at) or 0.0,
                created_at=_number(created_at) or 0.0,
            )
        )
    return out


class RedisSync:
    """Publishes this instance's revocations and key rotations; applies the others'."""

    def __init__(
        self,
        link: RedisLink,
        *,
        revocations: RevocationState,
        reload_keys: Callable[[], object],
        resync: Callable[[], object],
    ) -> None:
        """``reload_keys`` re-reads the key ring; ``resync`` reloads every live revocation and
        the key ring from the database (run after each (re)subscription)."""
        self.link = link
        self.origin = secrets.token_hex(8)
        self._revocations = revocations
        self._reload_keys = reload_keys
        self._resync = resync
        self.channel = EventChannel(link)
        self.subscriber = Subscriber(
            self.channel, on_message=self._on_message, on_connect=self._on_connect
        )

    def start(self) -> None:
        """Start listening (a daemon thread)."""
        self.subscriber.start()

    def close(self) -> None:
        """Stop listening and close the Redis connections."""
        self.subscriber.close()
        self.link.close()

    # -- publishing (Announcer) -------------------------------------------------------------

    def revoked(self, events: Sequence[Revocation]) -> None:
        """Tell the other instances of committed revocations; never raises (a failure is
        logged by the link, and the others' poll finds the revocation in the database)."""
        for start in range(0, len(events), CHUNK):
            self.channel.publish(encode_revocations(self.origin, events[start : start + CHUNK]))

    def keys_changed(self) -> None:
        """Tell the other instances that the key ring changed (a rotation); never raises."""
        self.channel.publish({"v": VERSION, "type": "keys", "origin": self.origin})

    # -- receiving ---------------------------------------------------------------------------

    def _on_connect(self) -> None:
        self._resync()

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("v") != VERSION or message.get("origin") == self.origin:
            return
        kind = message.get("type")
        if kind == "revoked":
            try:
                events = decode_revocations(message)
            except ValueError:
                log.warning(
                    "ignored a malformed revocation message from Redis",
                    extra={"event": "redis_bad_message"},
                )
                return
            self._revocations.apply_all(events)
        elif kind == "keys":
            self._reload_keys()
