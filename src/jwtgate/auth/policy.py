"""The password policy: length limits, not the username, and not guessable (zxcvbn).

zxcvbn estimates how many guesses a password takes, with dictionaries of common passwords,
names and words; a score below 2 (under ~10^6 guesses) is refused. Its cost grows with the
length, so only the first ``ZXCVBN_PREFIX`` characters are scored: a password whose prefix is
strong is strong.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..config import Settings
from .errors import WeakPassword

__all__ = ["PasswordPolicy"]

ZXCVBN_PREFIX = 64


class PasswordPolicy:
    """Decides whether a new password is acceptable."""

    __slots__ = ("max_length", "min_length", "min_score")

    def __init__(self, *, min_length: int = 8, max_length: int = 1024, min_score: int = 2) -> None:
        """ValueError for inconsistent limits."""
        if not 1 <= min_length <= max_length:
            raise ValueError("password length limits must satisfy 1 <= min <= max")
        if not 0 <= min_score <= 4:
            raise ValueError("zxcvbn scores run from 0 to 4")
        self.min_length = min_length
        self.max_length = max_length
        self.min_score = min_score

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        """A policy with ``password_min_length`` and ``password_max_length``."""
        return cls(min_length=settings.password_min_length, max_length=settings.password_max_length)

    def problems(self, password: str, *, user_inputs: Iterable[str | None] = ()) -> list[str]:
        """Why ``password`` is refused (empty when it is fine). ``user_inputs`` are the
        username, email and the like, which the password must not be built from."""
        if len(password) < self.min_length:
            return [f"the password must have at least {self.min_length} characters"]
        if len(password) > self.max_length:
            return [f"the password must have at most {self.max_length} characters"]
        inputs = [value for value in user_inputs if value]
        folded = password.casefold()
        if any(folded == value.casefold() for value in inputs):
            return ["the password must not be the username or email"]
        # Imported here: its dictionaries take 12 MiB, needed only when a password is set.
        from zxcvbn import zxcvbn

        result = zxcvbn(password[:ZXCVBN_PREFIX], user_inputs=inputs)
        if int(result["score"]) >= self.min_score:
            return []
        feedback = result.get("feedback") or {}
        reasons = ["the password is too easy to guess"]
        if feedback.get("warning"):
            reasons.append(str(feedback["warning"]))
        reasons.extend(str(s) for s in feedback.get("suggestions") or ())
        return reasons

    def check(self, password: str, *, user_inputs: Iterable[str | None] = ()) -> None:
        """Raise WeakPassword with the reasons when ``password`` is refused."""
        reasons = self.problems(password, user_inputs=user_inputs)
        if reasons:
            raise WeakPassword(reasons)
