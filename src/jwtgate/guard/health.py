"""What :meth:`Guard.health` reports: whether the Guard's view of the issuer is current.

A Guard keeps verifying with what it knows when the issuer cannot be reached (the last good
keys, the last known revocations). For keys that is safe; for revocations it fails open:
a session revoked at the issuer while the feed is down is still accepted here. So a feed that
has not succeeded for ``revocation_max_staleness`` seconds makes the Guard unhealthy, for a
readiness probe or an alert to act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .feed import RevocationFeed

__all__ = ["GuardHealth"]


@dataclass(frozen=True, slots=True)
class GuardHealth:
    """``ok`` is false while the revocation feed is stale; ``revocations_age`` is the seconds
    since its last success (None without a feed, or before it started)."""

    ok: bool
    revocations_stale: bool
    revocations_age: float | None
    revocations_max_staleness: float | None

    @classmethod
    def of(cls, feed: RevocationFeed | None) -> GuardHealth:
        """The health of a Guard following ``feed`` (None: no feed, nothing to be stale)."""
        if feed is None:
            return cls(True, False, None, None)
        stale = feed.stale()
        return cls(not stale, stale, feed.age(), feed.max_staleness)
