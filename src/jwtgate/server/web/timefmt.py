"""Readable times for the pages: "2025-11-28 15:40:12 UTC (3 min ago)"."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["absolute", "readable", "relative"]


def absolute(moment: datetime | float | None) -> str:
    """``YYYY-MM-DD HH:MM:SS UTC`` of a datetime or an epoch; "—" for None. Never raises:
    an epoch beyond the calendar (a forged ``exp`` of 1e300) is shown as the number."""
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        try:
            moment = datetime.fromtimestamp(moment, UTC)
        except (OverflowError, OSError, ValueError):
            return f"{moment} (not a representable date)"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _epoch(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def relative(moment: datetime | float | None, now: float) -> str:
    """ "in 5 min", "3 h ago", "just now"; "" for None."""
    if moment is None:
        return ""
    delta = _epoch(moment) - now
    seconds = abs(delta)
    if seconds < 5:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            break
    return f"in {amount}" if delta > 0 else f"{amount} ago"


def readable(moment: datetime | float | None, now: float) -> str:
    """Absolute and relative together: "2025-11-28 15:40:12 UTC (3 min ago)"."""
    if moment is None:
        return "—"
    return f"{absolute(moment)} ({relative(moment, now)})"
