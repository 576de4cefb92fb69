"""Login throttling: per username and per client address, with exponential back-off.

After ``limit`` failures within ``window`` seconds, each further attempt must wait
``2 ** (failures - limit)`` seconds after the last failure (1 s, 2 s, 4 s ...), capped at
``max_backoff``. A success clears the username's count (not the address's: one address
guessing many usernames stays throttled). The in-memory implementation serves one process
(and is the Redis throttle's fallback); the default keeps its counters in the database
(:mod:`.sql_throttle`, shared by every worker and instance), and with Redis configured they
live in Redis (:mod:`.redis_throttle`).

A password check first *reserves* its attempt (:meth:`Throttle.reserve`): the check of the
limits and the recording of the attempt as a failure are one atomic step, taken before the
slow hash. Concurrent attempts therefore each see the ones before them, and a burst of 40
gets exactly as many password checks as 40 attempts one after the other would. A success then
gives the attempt back (:meth:`Throttle.succeeded`); a failure leaves it counted.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..config import Settings
from ..store.usernames import counting_key

__all__ = ["InMemoryThrottle", "Reservation", "Throttle", "ThrottlePolicy", "throttle_keys"]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The limits; defaults as in the contract (5 per username, 20 per address, 15 min)."""

    user_limit: int = 5
    ip_limit: int = 20
    window: float = 15 * 60
    max_backoff: float = 15 * 60

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        """The policy from the ``throttle_*`` settings."""
        return cls(
            user_limit=settings.throttle_user_failures,
            ip_limit=settings.throttle_ip_failures,
            window=settings.throttle_window,
            max_backoff=settings.throttle_max_backoff,
        )

    def backoff(self, failures: int, limit: int) -> float:
        """Seconds to wait after the last of ``failures`` failures (0 below the limit)."""
        if failures < limit:
            return 0.0
        exponent = failures - limit
        # 2**exponent overflows nothing here: beyond 2**30 the cap has long applied.
        return float(min(2 ** min(exponent, 30), self.max_backoff))


@dataclass(frozen=True, slots=True)
class Reservation:
    """The outcome of :meth:`Throttle.reserve`: ``retry_after`` seconds to wait (nothing was
    reserved), or 0 and the attempt now counted as a failure under ``username`` and ``ip``."""

    retry_after: int
    username: str | None = None
    ip: str | None = None
    at: float = 0.0
    token: str = field(default="", repr=False)

    @property
    def allowed(self) -> bool:
        """Whether the attempt may go ahead (and was counted)."""
        return self.retry_after == 0


def throttle_keys(
    policy: ThrottlePolicy, username: str | None, ip: str | None
) -> list[tuple[str, int]]:
    """The counter names an attempt counts under, with their limits: the username (in its
    lookup form, so every spelling of one account shares a count), unless None, and the
    address."""
    keys = [] if username is None else [("u:" + counting_key(username), policy.user_limit)]
    if ip:
        keys.append(("a:" + ip, policy.ip_limit))
    return keys


class Throttle(Protocol):
    """What the login flow asks of a throttle."""

    def reserve(self, username: str | None, ip: str | None) -> Reservation:
        """Atomically: refuse the attempt (``retry_after`` > 0), or count it as a failure now,
        before the password is checked, so concurrent attempts see each other."""
        ...

    def succeeded(self, reservation: Reservation) -> None:
        """The reserved attempt succeeded: forget the username's failures and give the
        address back the attempt."""
        ...

    def retry_after(self, username: str, ip: str | None) -> int:
        """Whole seconds until another attempt is allowed; 0 when it is allowed now."""
        ...

    def failure(self, username: str, ip: str | None) -> None:
        """Count a failed attempt."""
        ...

    def success(self, username: str, ip: str | None) -> None:
        """Forget the username's failures after a successful login."""
        ...


class InMemoryThrottle:
    """A Throttle in this process's memory, bounded to ``max_keys`` usernames and addresses."""

    def __init__(
        self,
        policy: ThrottlePolicy,
        *,
        clock: Callable[[], float],
        max_keys: int = 100_000,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self, username: str | None, ip: str | None) -> list[tuple[str, int]]:
        return throttle_keys(self.policy, username, ip)

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        recent = sum(1 for t in times if t > now - self.policy.window)
        return max(0.0, times[-1] + self.policy.backoff(recent, limit) - now)

    def retry_after(self, username: str, ip: str | None) -> int:
        """Whole seconds until another attempt is allowed; 0 when it is allowed now."""
        now = self._clock()
        with self._lock:
            wait = max(self._wait(key, limit, now) for key, limit in self._keys(username, ip))
        return math.ceil(wait)

    def reserve(self, username: str | None, ip: str | None) -> Reservation:
        """Refuse the attempt, or count it as a failure now (one step under the lock)."""
        now = self._clock()
        keys = self._keys(username, ip)
        with self._lock:
            wait = max((self._wait(key, limit, now) for key, limit in keys), default=0.0)
            if wait > 0:
                return Reservation(math.ceil(wait))
            self._record(keys, now)
        return Reservation(0, username, ip, now)

    def succeeded(self, reservation: Reservation) -> None:
        """Forget the username's failures; take the reserved attempt off the address."""
        if not reservation.allowed:
            return
        keys = self._keys(reservation.username, reservation.ip)
        with self._lock:
            for key, _ in keys:
                if key.startswith("u:"):
                    self._failures.pop(key, None)
                    continue
                times = self._failures.get(key)
                if times is not None and reservation.at in times:
                    times.remove(reservation.at)

    def failure(self, username: str | None, ip: str | None) -> None:
        """Count a failed attempt for the username (unless None) and the address."""
        now = self._clock()
        with self._lock:
            self._record(self._keys(username, ip), now)

    def success(self, username: str, ip: str | None) -> None:
        """Forget the username's failures."""
        with self._lock:
            self._failures.pop(self._keys(username, None)[0][0], None)

    def _record(self, keys: list[tuple[str, int]], now: float) -> None:
        for key, limit in keys:
            times = self._failures.get(key)
            if times is None:
                # Enough history to reach the back-off cap, no more: memory per key is bounded.
                cap = limit + math.ceil(math.log2(max(self.policy.max_backoff, 1))) + 1
                times = self._failures[key] = deque(maxlen=cap)
            times.append(now)
            self._failures.move_to_end(key)
        self._evict(now)

    def _evict(self, now: float) -> None:
        if len(self._failures) <= self._max_keys:
            return
        horizon = now - max(self.policy.window, self.policy.max_backoff)
        for key in [k for k, times in self._failures.items() if times[-1] <= horizon]:
            del self._failures[key]
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
