"""The verified-token cache: a bounded LRU from a whole token to its principal and ``exp``.

A token that verified once is the same bytes the next time, so its signature and claims need
not be checked again; only time (``exp``) and revocation can change its verdict, and the Guard
checks both on every hit. The key is the whole token, so a token differing in any byte misses.
A cache belongs to one key set: the Guard starts a new, empty one when the key set changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

from .principal import Principal

__all__ = ["CacheEntry", "TokenCache"]


class CacheEntry(NamedTuple):
    """What a hit needs: the principal, and the times to re-check (``exp``, ``iat``)."""

    principal: Principal
    exp: float
    iat: float


class TokenCache:
    """At most ``maxsize`` verified tokens, least recently used evicted first.

    Lookups take no lock (OrderedDict operations are atomic under the GIL); inserts and
    evictions are serialised. ``maxsize`` 0 caches nothing.
    """

    __slots__ = ("_data", "_lock", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[str, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> CacheEntry | None:
        """The entry for ``token``, marked most recently used; None on a miss."""
        entry = self._data.get(token)
        if entry is not None:
            try:  # noqa: SIM105 - the hot path: try/except costs nothing, suppress() does
                self._data.move_to_end(token)
            except KeyError:  # evicted by another thread in between
                pass
        return entry

    def put(self, token: str, entry: CacheEntry) -> None:
        """Remember ``token``, evicting the least recently used entry past ``maxsize``."""
        if self.maxsize <= 0:
            return
        with self._lock:
            self._data[token] = entry
            self._data.move_to_end(token)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def discard(self, token: str) -> None:
        """Forget ``token`` (expired, or revoked for good)."""
        with self._lock:
            self._data.pop(token, None)

    def __len__(self) -> int:
        return len(self._data)
