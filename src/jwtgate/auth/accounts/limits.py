"""A sliding-window counter per key (client address), in this process's memory, bounded.

Used for wrong codes and links per address; the mail-sending requests are counted in the
outbox itself (shared by every instance), see :mod:`.flows`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["WindowCounter"]


class WindowCounter:
    """At most ``limit`` events per key within ``window`` seconds; ``max_keys`` keys kept."""

    def __init__(
        self, *, limit: int, window: float, clock: Callable[[], float], max_keys: int = 100_000
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int:
        """Whole seconds until the key is below its limit again; 0 when it is now."""
        now = self._clock()
        with self._lock:
            times = self._events.get(key)
            if times is None:
                return 0
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[0] + self.window - now))

    def add(self, key: str) -> None:
        """Count one event for ``key``."""
        now = self._clock()
        with self._lock:
            times = self._events.get(key)
            if times is None:
                times = self._events[key] = deque(maxlen=self.limit)
            times.append(now)
            self._events.move_to_end(key)
            while len(self._events) > self._max_keys:
                self._events.popitem(last=False)
