"""Password hashing with argon2id (RFC 9106), and the equal-cost check for unknown users.

Every credential check runs exactly one argon2 verification: against the user's hash, or, for
a user that does not exist, against a dummy hash made with the current parameters. So "no such
user", "wrong password" and "disabled" take the same path and the same time.
"""

from __future__ import annotations

import os
import secrets
import threading

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from ..config import Settings

__all__ = ["PasswordHasher"]


class PasswordHasher:
    """argon2id hashing with the parameters from Settings (OWASP minimums by default)."""

    __slots__ = ("_argon2", "_dummy", "_slots")

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        """ValueError for parameters argon2 refuses."""
        if time_cost < 1 or parallelism < 1 or memory_cost < 8 * parallelism:
            raise ValueError("argon2 needs time_cost >= 1, parallelism >= 1, memory >= 8p KiB")
        self._argon2 = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
        )
        self._dummy = self._argon2.hash(secrets.token_urlsafe(32))
        # At most one hash per CPU at a time: each holds memory_cost KiB, and more in parallel
        # would only queue on the CPUs anyway. Without the bound, a burst of logins (or an
        # attacker's) multiplies memory by the server's thread count.
        self._slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHasher:
        """A hasher with ``argon2_time_cost``, ``argon2_memory_cost``, ``argon2_parallelism``."""
        return cls(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        )

    def hash(self, password: str) -> str:
        """The PHC-format argon2id hash of ``password`` with a fresh random salt."""
        with self._slots:
            return self._argon2.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches ``password_hash``.

        ``None`` (no such user) verifies against the dummy hash and is always False, at the
        same cost. A damaged stored hash is False, never an exception.
        """
        target = self._dummy if password_hash is None else password_hash
        ok: bool
        try:
            with self._slots:
                ok = self._argon2.verify(target, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def __repr__(self) -> str:
        a = self._argon2
        return f"PasswordHasher(t={a.time_cost}, m={a.memory_cost}, p={a.parallelism})"
