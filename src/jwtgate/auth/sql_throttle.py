"""The login throttle kept in the database: one set of counters for every worker of
``jwtgate serve --workers N`` and every instance on the same database, without Redis.

Reserving an attempt is one short write transaction (lock the counters, read them, count the
attempt if the limits allow it), so concurrent attempts in different processes see each
other exactly as the in-process throttle's lock makes threads do (see :mod:`.throttle`).
Attempts older than the window and the longest back-off are pruned with the other expired
rows (:meth:`jwtgate.auth.AuthService.prune`).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable

from ..store.protocols import Store
from .throttle import Reservation, ThrottlePolicy, throttle_keys

__all__ = ["SqlThrottle"]


class SqlThrottle:
    """A Throttle whose counters are rows of the ``throttle_attempts`` table."""

    def __init__(self, policy: ThrottlePolicy, store: Store, *, clock: Callable[[], float]) -> None:
        self.policy = policy
        self._store = store
        self._clock = clock

    def _wait(self, limits: list[tuple[str, int]], stats: list[tuple[int, float | None]]) -> float:
        now = self._clock()
        wait = 0.0
        for (_, limit), (recent, last) in zip(limits, stats, strict=True):
            if last is not None:
                wait = max(wait, last + self.policy.backoff(recent, limit) - now)
        return wait

    def reserve(self, username: str | None, ip: str | None) -> Reservation:
        """Refuse the attempt, or count it now (one transaction, serialised per counter)."""
        limits = throttle_keys(self.policy, username, ip)
        names = [name for name, _ in limits]
        token = secrets.token_hex(16)
        with self._store.write() as uow:
            uow.throttle.lock(names)
            now = self._clock()
            wait = self._wait(limits, uow.throttle.stats(names, since=now - self.policy.window))
            if wait > 0:
                return Reservation(math.ceil(wait))
            uow.throttle.add(names, at=now, token=token)
        return Reservation(0, username, ip, now, token)

    def succeeded(self, reservation: Reservation) -> None:
        """Forget the username's failures; take the reserved attempt off the address."""
        if not reservation.allowed:
            return
        names = [n for n, _ in throttle_keys(self.policy, reservation.username, reservation.ip)]
        with self._store.write() as uow:
            for name in names:
                if name.startswith("u:"):
                    uow.throttle.clear(name)
            uow.throttle.remove(
                [n for n in names if not n.startswith("u:")], token=reservation.token
            )

    def retry_after(self, username: str, ip: str | None) -> int:
        """Whole seconds until another attempt is allowed; 0 when it is allowed now."""
        limits = throttle_keys(self.policy, username, ip)
        with self._store.read() as uow:
            since = self._clock() - self.policy.window
            stats = uow.throttle.stats([n for n, _ in limits], since=since)
        return math.ceil(self._wait(limits, stats))

    def failure(self, username: str, ip: str | None) -> None:
        """Count a failed attempt for the username and the address."""
        names = [n for n, _ in throttle_keys(self.policy, username, ip)]
        with self._store.write() as uow:
            uow.throttle.add(names, at=self._clock(), token=secrets.token_hex(16))

    def success(self, username: str, ip: str | None) -> None:
        """Forget the username's failures."""
        with self._store.write() as uow:
            uow.throttle.clear(throttle_keys(self.policy, username, None)[0][0])

    @property
    def horizon(self) -> float:
        """How far back a counted attempt can still matter, in seconds."""
        return max(self.policy.window, self.policy.max_backoff)
