"""Where a page may send the browser next: ``safe_next`` and its allow-list.

``next`` comes from the query string or a form field, so anyone can choose it; it must only
ever name one of our own pages. A browser resolves the target before it follows it: ``..``
and ``.`` segments (also spelled ``%2e``), backslashes (read as ``/``), and tab or newline
(dropped) all change where ``/web/...`` ends up, so ``/web/..//evil.example`` lands on
another site and ``/web/../auth/me`` outside the pages. Rather than normalising such a value
(and trusting that the browser normalises it the same way), anything that normalisation
would change is refused and the default used instead.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["NEXT_PATHS", "NEXT_PREFIXES", "safe_next"]

NEXT_PREFIXES: tuple[str, ...] = ("/web/",)
"""Path prefixes ``next`` may name (each ends with ``/``)."""

NEXT_PATHS: tuple[str, ...] = ("/auth/authorize",)
"""Exact paths ``next`` may name besides the prefixes (with any query): the authorization
endpoint sends its sign-in through the pages and is resumed after it."""

MAX_NEXT = 2048
# Controls, space, DEL and backslash: a browser drops tab and newline from a URL and reads
# a backslash as a slash; none belongs in a path of ours.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_DOT_SEGMENTS = frozenset({".", ".."})


def _clean_path(path: str) -> bool:
    """True when ``path`` (raw, and once percent-decoded) is absolute with no empty, ``.`` or
    ``..`` segment, no backslash or control character, and nothing left encoded twice."""
    decoded = unquote(path, errors="strict") if "%" in path else path
    if not decoded.startswith("/") or _UNSAFE.search(decoded) or "%" in decoded:
        return False
    segments = decoded.split("/")[1:]
    # An empty segment in the middle (``//``) is how ``/web/..//host`` turns into a host.
    return not any(
        s in _DOT_SEGMENTS or (s == "" and i < len(segments) - 1) for i, s in enumerate(segments)
    )


def _allowed(path: str, prefixes: tuple[str, ...], paths: tuple[str, ...]) -> bool:
    return path in paths or any(path.startswith(prefix) for prefix in prefixes)


def safe_next(
    value: str | None,
    default: str = "/web/account",
    *,
    prefixes: tuple[str, ...] = NEXT_PREFIXES,
    paths: tuple[str, ...] = NEXT_PATHS,
) -> str:
    """``value`` if it is a path of this site under one of ``prefixes`` or exactly one of
    ``paths`` (a query allowed), already in normal form; else ``default``. Never raises."""
    if not value or len(value) > MAX_NEXT or _UNSAFE.search(value) or "#" in value:
        return default
    path = value.partition("?")[0]
    try:
        clean = _clean_path(path)
    except UnicodeDecodeError:
        return default
    if not clean:
        return default
    decoded = unquote(path)
    if not (_allowed(path, prefixes, paths) and _allowed(decoded, prefixes, paths)):
        return default
    return value
