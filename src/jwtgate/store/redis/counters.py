"""Failure counters in Redis, shared by every instance: the login throttle's memory.

Each counter is a sorted set of failure times (one member per failure, so concurrent failures
never overwrite each other). Adding a failure is one Lua script, atomic in Redis: insert, drop
entries older than the window, keep at most ``keep`` newest, renew the expiry. Reading is
another script that returns the count within the window and the newest time together, so a
reader never pairs a count with a time from another moment. Reserving an attempt
(:meth:`FailureCounters.reserve`) is a third script that does both over every name at once:
it reads each count and newest time, decides whether the attempt must wait, and only if not
adds it under every name, so two instances racing for the last allowed attempt cannot both
get it. Keys hold a SHA-256 of the name (no username or address is stored in Redis in clear,
and key length is bounded).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from typing import Any

from redis.commands.core import Script

from .link import RedisLink

__all__ = ["FailureCounters"]

_ADD = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

_READ = """
local count = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {count, last[2] or false}
"""


# KEYS: the counters. ARGV: now, cutoff, keep, ttl_ms, member, max_backoff, then one limit
# per key. The back-off is ThrottlePolicy.backoff: min(2 ** (count - limit), max_backoff) once
# count >= limit. Returns the wait as a string (Redis would truncate a Lua number to an integer),
# "0" when the attempt was added under every key.
_RESERVE = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[6 + i])
  local count = redis.call('ZCOUNT', key, '(' .. ARGV[2], '+inf')
  if count >= limit then
    local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    if last[2] then
      local backoff = math.min(2 ^ math.min(count - limit, 30), tonumber(ARGV[6]))
      wait = math.max(wait, tonumber(last[2]) + backoff - now)
    end
  end
end
if wait > 0 then
  return tostring(wait)
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[5])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
  redis.call('ZREMRANGEBYRANK', key, 0, -tonumber(ARGV[3]) - 1)
  redis.call('PEXPIRE', key, ARGV[4])
end
return '0'
"""


class FailureCounters:
    """Named failure counters over a sliding window, atomic across processes."""

    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._add: Script = link.client.register_script(_ADD)
        self._read: Script = link.client.register_script(_READ)
        self._reserve: Script = link.client.register_script(_RESERVE)

    def _key(self, name: str) -> str:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self._link.key("fail", digest)

    def add(self, names: Sequence[str], *, now: float, window: float, keep: int) -> None:
        """Count one failure at ``now`` under each name; forget failures older than ``window``
        seconds and all but the ``keep`` newest. Raises RedisUnavailable."""
        ttl_ms = str(max(1, math.ceil(window * 1000)))
        cutoff = repr(now - window)

        def run(client: Any) -> None:
            pipe = client.pipeline(transaction=False)
            for name in names:
                member = f"{now!r}:{secrets.token_hex(8)}"
                self._add(
                    keys=[self._key(name)],
                    args=[repr(now), cutoff, str(keep), ttl_ms, member],
                    client=pipe,
                )
            pipe.execute()

        self._link.call(run)

    def read(
        self, names: Sequence[str], *, now: float, window: float
    ) -> list[tuple[int, float | None]]:
        """For each name: the failures within ``window`` seconds before ``now``, and the time of
        the newest failure kept (None for none). Raises RedisUnavailable."""
        cutoff = repr(now - window)

        def run(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for name in names:
                self._read(keys=[self._key(name)], args=[cutoff], client=pipe)
            result: list[Any] = pipe.execute()
            return result

        out: list[tuple[int, float | None]] = []
        for count, last in self._link.call(run):
            out.append((int(count), float(last) if last else None))
        return out

    def reserve(
        self,
        limits: Sequence[tuple[str, int]],
        *,
        now: float,
        window: float,
        keep: int,
        max_backoff: float,
    ) -> tuple[float, str]:
        """Atomically, over every ``(name, limit)``: the seconds the attempt must still wait
        (and nothing added), or 0 and the attempt added at ``now`` under every name, as the
        member returned (give it back with :meth:`release`). Raises RedisUnavailable."""
        member = f"{now!r}:{secrets.token_hex(8)}"
        keys = [self._key(name) for name, _ in limits]
        args = [repr(now), repr(now - window), str(keep), str(max(1, math.ceil(window * 1000)))]
        args += [member, repr(float(max_backoff)), *(str(limit) for _, limit in limits)]
        answer = self._link.call(lambda client: self._reserve(keys=keys, args=args, client=client))
        wait = float(answer.decode() if isinstance(answer, bytes) else answer)
        return wait, member

    def release(self, clear: Sequence[str], remove: Sequence[str], member: str) -> None:
        """Forget every failure under each name of ``clear``, and the one ``member`` under
        each name of ``remove``. Raises RedisUnavailable."""

        def run(client: Any) -> None:
            pipe = client.pipeline(transaction=False)
            for name in clear:
                pipe.delete(self._key(name))
            for name in remove:
                pipe.zrem(self._key(name), member)
            pipe.execute()

        self._link.call(run)

    def clear(self, name: str) -> None:
        """Forget every failure counted under ``name``. Raises RedisUnavailable."""
        key = self._key(name)
        self._link.call(lambda client: client.delete(key))
