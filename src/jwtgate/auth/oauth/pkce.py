"""Proof Key for Code Exchange (RFC 7636), S256 only.

Every client must send a ``code_challenge`` with ``code_challenge_method=S256`` (OAuth 2.1,
RFC 9700 2.1.1); ``plain`` is refused, as is a challenge without its method, so a code can
never be redeemed without the verifier that only the client that asked for it knows. The
verifier is checked in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from ..errors import AuthorizationError

__all__ = ["check_challenge", "s256", "verifier_matches"]

_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.1


def s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str | None, method: str | None) -> str:
    """The challenge of an authorization request. Raises AuthorizationError
    ``invalid_request`` when it is missing, ``plain``, without method or malformed."""
    if method is not None and method != "S256":
        raise AuthorizationError(
            "invalid_request", "code_challenge_method must be S256 (plain is refused)"
        )
    if not challenge:
        raise AuthorizationError(
            "invalid_request", "code_challenge is required (PKCE with S256, RFC 7636)"
        )
    if method is None:
        raise AuthorizationError(
            "invalid_request", "code_challenge_method=S256 is required with code_challenge"
        )
    if not _CHALLENGE.fullmatch(challenge):
        raise AuthorizationError(
            "invalid_request", "code_challenge must be 43 base64url characters (S256)"
        )
    return challenge


def verifier_matches(verifier: object, challenge: str) -> bool:
    """True when ``verifier`` is well formed and hashes to ``challenge``."""
    if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(s256(verifier).encode(), challenge.encode())
