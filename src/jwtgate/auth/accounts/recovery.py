"""Recovery codes: ten single-use codes for when the authenticator is lost.

A code has the shape of a mailed account code (8 characters of ``23456789ABCDEFGHJKLMNPQRSTUVWXYZ``,
written ``XXXX-XXXX``; dashes, spaces and case ignored when typed; 40 bits), is shown once,
and is stored as an HMAC bound to the user (:class:`.factor_keys.FactorKeys`). Regenerating
replaces every earlier code. Using one is audited and mailed to the user.
"""

from __future__ import annotations

import secrets

from .codes import ALPHABET, CODE_LENGTH, format_code, normalize_code

__all__ = ["RECOVERY_CODES", "new_recovery_codes", "normalize_recovery_code"]

RECOVERY_CODES = 10


def new_recovery_codes() -> list[str]:
    """Ten fresh codes, formatted ``XXXX-XXXX``, all different."""
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODES:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))
    return [format_code(code) for code in sorted(codes)]


def normalize_recovery_code(text: object) -> str | None:
    """The code the user meant, or None if ``text`` cannot be one."""
    return normalize_code(text)
