"""Redis for a deployment of several instances: a circuit-broken client, failure counters
shared by every instance (the login throttle), a pub/sub channel (revocations and key
rotations) and the DPoP proof replay cache. Redis only accelerates: the database stays the
truth, and every caller falls back when Redis is unavailable.

Importing this package imports redis-py; the auth layer imports it only when
``JWTGATE_REDIS_URL`` is set.
"""

from __future__ import annotations

from .channel import EventChannel, Subscriber
from .counters import FailureCounters
from .link import Backoff, RedisLink, RedisUnavailable, safe_redis_url
from .replay import RedisReplayCache

__all__ = [
    "Backoff",
    "EventChannel",
    "FailureCounters",
    "RedisLink",
    "RedisReplayCache",
    "RedisUnavailable",
    "Subscriber",
    "safe_redis_url",
]
