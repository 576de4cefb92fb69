"""Names someone typed that match no account, as the audit log records them: a keyed hash.

A failed login for an unknown username is often a password typed into the username box, so
the name is never stored as typed. It is stored as ``unknown:`` and 16 hex digits of
HMAC-SHA256 under a key derived from the master key (``derive_subkey``), over the name in its
lookup form (:func:`jwtgate.store.usernames.counting_key`, so ``Bob`` and ``bob`` agree). The same
name always gives the same pseudonym, so an admin can see repeated attempts and, knowing a
name, find its attempts (``GET /admin/events?user=NAME`` matches its pseudonym too); without
the server's master key, nobody can test guesses against the log. No real username can look
like a pseudonym: usernames have no ``:``.
"""

from __future__ import annotations

import hashlib
import hmac

from ..store.usernames import counting_key

__all__ = ["PSEUDONYM_PREFIX", "Pseudonyms", "is_pseudonym"]

PSEUDONYM_PREFIX = "unknown:"
PURPOSE = "jwtgate audit username pseudonym v1"
"""The HKDF ``info`` of the pseudonym key (see :func:`jwtgate.store.crypto.derive_subkey`)."""


def is_pseudonym(name: str | None) -> bool:
    """Whether an audit username is a pseudonym (an unknown name), not a real username."""
    return name is not None and name.startswith(PSEUDONYM_PREFIX)


class Pseudonyms:
    """Maps a typed name to its pseudonym. The repr hides the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the pseudonym key must have at least 32 bytes")
        self._key = key

    def of(self, name: str) -> str:
        """``unknown:`` + 16 hex digits of HMAC-SHA256 over the name's lookup form."""
        data = counting_key(name).encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, data, hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:16]

    def __repr__(self) -> str:
        return "Pseudonyms(<hidden>)"
