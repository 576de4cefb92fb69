"""The DPoP proof replay cache shared by every instance (RFC 9449 11.1).

A proof's ``jti`` is remembered as a Redis key with the proof window as expiry, set only if
absent (``SET NX PX``, atomic): of two instances receiving the same proof, exactly one accepts
it. Keys hold a SHA-256 of the key thumbprint and ``jti`` (bounded length, nothing a client
chose in clear). When Redis is unavailable, each instance falls back to its own bounded
memory cache: a proof is still refused when replayed at the same instance.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from ...jose.dpop import MemoryReplayCache
from .link import RedisLink, RedisUnavailable

__all__ = ["RedisReplayCache"]


class RedisReplayCache:
    """A :class:`jwtgate.jose.dpop.ReplayCache` in Redis, with an in-memory fallback."""

    def __init__(self, link: RedisLink, fallback: MemoryReplayCache | None = None) -> None:
        self._link = link
        self._fallback = fallback or MemoryReplayCache()

    def add(self, key: str, ttl: float) -> bool:
        """True when ``key`` was not seen within its ``ttl`` on any instance."""
        name = self._link.key("dpop", hashlib.sha256(key.encode()).hexdigest()[:40])
        ms = max(1, math.ceil(ttl * 1000))

        def run(client: Any) -> bool:
            return bool(client.set(name, b"1", nx=True, px=ms))

        try:
            return self._link.call(run)
        except RedisUnavailable:
            return self._fallback.add(key, ttl)
