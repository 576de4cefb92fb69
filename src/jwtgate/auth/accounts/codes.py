"""One-time secrets mailed to users: a link token and a short code, and how they are stored.

A link token has 256 random bits (base64url), so its SHA-256 is enough at rest. A code is 8
characters of ``23456789ABCDEFGHJKLMNPQRSTUVWXYZ`` (no 0/O, 1/I/L: read aloud or typed from
a phone without mistakes), 40 bits: few enough to brute-force a bare hash offline, so codes are
stored as an HMAC under a key derived from the master key, and bound to the user and purpose.
Online guessing is bounded by the wrong-code limit per token (then it is used up).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "Secrets",
    "derive_code_key",
    "format_code",
    "normalize_code",
    "parse_link_token",
]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_LINK_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
_CODE_SHAPE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
_IGNORED = str.maketrans("", "", "- \t")


def derive_code_key(master_key: bytes) -> bytes:
    """The HMAC key of account codes, derived from the master key (never the key itself)."""
    return hmac.new(master_key, b"jwtgate account codes v1", hashlib.sha256).digest()


def format_code(code: str) -> str:
    """``XXXXXXXX`` as ``XXXX-XXXX``."""
    return f"{code[:4]}-{code[4:]}"


def normalize_code(text: object) -> str | None:
    """The code the user meant (dashes, spaces and case ignored), or None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 32:
        return None
    code = text.translate(_IGNORED).upper()
    return code if _CODE_SHAPE.fullmatch(code) else None


def parse_link_token(text: object) -> str | None:
    """The link token if it has the shape of one of ours, else None (never raises)."""
    if type(text) is not str or len(text) != 43:
        return None
    return text if _LINK_SHAPE.fullmatch(text) else None


@dataclass(frozen=True)
class Secrets:
    """Makes and hashes link tokens and codes; the repr hides the key."""

    code_key: bytes = field(repr=False)

    @staticmethod
    def new_pair() -> tuple[str, str]:
        """A fresh (link token, code)."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        return secrets.token_urlsafe(32), code

    @staticmethod
    def link_hash(token: str) -> str:
        """SHA-256 of a link token, hex."""
        return hashlib.sha256(token.encode("ascii")).hexdigest()

    def code_hash(self, code: str, *, user_id: str, purpose: str) -> str:
        """HMAC-SHA256 of a normalized code, bound to the user and the purpose, hex."""
        message = f"{purpose}\x00{user_id}\x00{code}".encode()
        return hmac.new(self.code_key, message, hashlib.sha256).hexdigest()

    def code_matches(self, code: str, stored: str, *, user_id: str, purpose: str) -> bool:
        """Constant-time comparison of ``code`` with a stored code hash."""
        return hmac.compare_digest(self.code_hash(code, user_id=user_id, purpose=purpose), stored)
