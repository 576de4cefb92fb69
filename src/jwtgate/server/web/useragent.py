"""A short, human name for the device behind a User-Agent header ("Firefox on Windows").

Only for display on the sessions list: it is a hint a person recognises their device by, not
an identification, so a few ordered substring rules are enough and unknown agents are shown as
the first word of the header, shortened.
"""

from __future__ import annotations

__all__ = ["describe_device"]

_MAX_SHOWN = 40

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", and so on.
_BROWSERS: tuple[tuple[str, str], ...] = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Chrome (headless)"),
    ("Chromium/", "Chromium"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx/", "Python httpx"),
    ("python-requests/", "Python requests"),
    ("jwtgate", "jwtgate client"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str | None) -> str:
    """ "Browser on System" from a User-Agent header; "Unknown device" when there is none."""
    if not user_agent or not user_agent.strip():
        return "Unknown device"
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    first = user_agent.strip().split()[0]
    return first if len(first) <= _MAX_SHOWN else first[: _MAX_SHOWN - 1] + "…"
