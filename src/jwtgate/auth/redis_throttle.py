"""The login throttle shared by every instance through Redis (see :mod:`.throttle`).

Failures are counted atomically in Redis (:class:`jwtgate.store.redis.FailureCounters`), so
five failures spread over two instances throttle a username exactly as five on one, and
concurrent failures are all counted: the doubling back-off sees the true count. Every failure
is also counted in this process (:class:`InMemoryThrottle`); while Redis is unavailable the
throttle decides from those local counts alone, says so once in the log, and goes back to the
shared counts when Redis answers again (failures counted elsewhere during the outage are then
in Redis already; this instance's are not replayed).

An attempt is reserved (:meth:`RedisThrottle.reserve`) in one Redis script that checks every
limit and counts the attempt together, so a burst spread over several instances gets no more
password checks than the same attempts one after the other.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from ..store.redis import FailureCounters, RedisUnavailable
from .throttle import InMemoryThrottle, Reservation, ThrottlePolicy, throttle_keys

__all__ = ["RedisThrottle"]

log = logging.getLogger("jwtgate.auth")


class RedisThrottle:
    """A Throttle whose counts live in Redis, with an in-process fallback."""

    def __init__(
        self,
        policy: ThrottlePolicy,
        counters: FailureCounters,
        *,
        clock: Callable[[], float],
        fallback: InMemoryThrottle | None = None,
    ) -> None:
        self.policy = policy
        self._counters = counters
        self._clock = clock
        self.fallback = fallback or InMemoryThrottle(policy, clock=clock)
        self._local = False

    def _names(self, username: str | None, ip: str | None) -> list[tuple[str, int]]:
        return throttle_keys(self.policy, username, ip)

    @property
    def _keep(self) -> int:
        # Enough history to reach the back-off cap, as the in-memory throttle keeps.
        cap = math.ceil(math.log2(max(self.policy.max_backoff, 1))) + 1
        return max(self.policy.user_limit, self.policy.ip_limit) + cap

    def retry_after(self, username: str, ip: str | None) -> int:
        """Whole seconds until another attempt is allowed; 0 when it is allowed now."""
        names = self._names(username, ip)
        now = self._clock()
        try:
            counts = self._counters.read([n for n, _ in names], now=now, window=self.policy.window)
        except RedisUnavailable:
            self._fell_back()
            return self.fallback.retry_after(username, ip)
        self._shared()
        wait = 0.0
        for (_, limit), (recent, last) in zip(names, counts, strict=True):
            if last is not None:
                wait = max(wait, last + self.policy.backoff(recent, limit) - now)
        return math.ceil(wait)

    def reserve(self, username: str | None, ip: str | None) -> Reservation:
        """Refuse the attempt or count it, atomically across every instance (one script)."""
        names = self._names(username, ip)
        now = self._clock()
        try:
            wait, member = self._counters.reserve(
                names,
                now=now,
                window=self.policy.window,
                keep=self._keep,
                max_backoff=self.policy.max_backoff,
            )
        except RedisUnavailable:
            self._fell_back()
            return self.fallback.reserve(username, ip)
        self._shared()
        if wait > 0:
            return Reservation(math.ceil(wait))
        self.fallback.failure(username, ip)  # the local count for a Redis outage
        return Reservation(0, username, ip, now, member)

    def succeeded(self, reservation: Reservation) -> None:
        """Forget the username's failures and give the address its attempt back, in Redis
        and here."""
        if not reservation.allowed:
            return
        username, ip = reservation.username, reservation.ip
        # The local copy was counted at the same instant (or reserved locally during an outage).
        self.fallback.succeeded(reservation)
        if not reservation.token:
            return  # reserved in-process while Redis was down
        names = [n for n, _ in self._names(username, ip)]
        users = [n for n in names if n.startswith("u:")]
        try:
            self._counters.release(users, [n for n in names if n not in users], reservation.token)
        except RedisUnavailable:
            self._fell_back()
            return
        self._shared()

    def failure(self, username: str, ip: str | None) -> None:
        """Count a failed attempt for the username and the address, in Redis and here."""
        self.fallback.failure(username, ip)
        names = [n for n, _ in self._names(username, ip)]
        try:
            self._counters.add(names, now=self._clock(), window=self.policy.window, keep=self._keep)
        except RedisUnavailable:
            self._fell_back()
            return
        self._shared()

    def success(self, username: str, ip: str | None) -> None:
        """Forget the username's failures, in Redis and here."""
        self.fallback.success(username, ip)
        try:
            self._counters.clear(self._names(username, None)[0][0])
        except RedisUnavailable:
            self._fell_back()
            return
        self._shared()

    def _fell_back(self) -> None:
        if not self._local:
            self._local = True
            log.warning(
                "login throttling falls back to in-process counters (not shared between "
                "instances) while Redis is unavailable",
                extra={"event": "throttle_local"},
            )

    def _shared(self) -> None:
        if self._local:
            self._local = False
            log.info(
                "login throttling is shared through Redis again",
                extra={"event": "throttle_shared"},
            )
