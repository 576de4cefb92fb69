"""Refresh-token rotation: how a successor is minted, and the reuse interval.

Every refresh token but a session's first is derived from the one it replaces:
``successor = base64url(HMAC-SHA256(K, predecessor))``, with ``K`` derived from the master key
(HKDF, its own label). Only the server can compute it (the key never leaves it), and only from
the predecessor itself (the database holds SHA-256 hashes of tokens, never a token).

That lets the server answer a token it has just rotated without a second rotation. Browsers
restore several tabs at once, and a client retries a refresh whose answer was lost: each
presents the same token moments apart. With strict reuse detection (RFC 9700 4.14.2) all but
the first would revoke the session. So, for ``reuse_interval`` seconds after a token was
rotated, presenting it again answers the successor already minted for it, as long as that
successor has not been rotated itself: only the immediate predecessor, never an older token,
and nothing new is minted. Anything else (an older token, the predecessor after the interval,
the predecessor once its successor was used) is reuse, and revokes the session. This is
Auth0's reuse interval, narrowed: Auth0 mints new tokens for every reuse in the interval.

What the interval costs: a thief who presents a stolen token within seconds of its rightful
holder gets the same successor, and the theft is detected one rotation later (when one of
the two presents a token the other has rotated), instead of at once. ``0`` switches it off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["MAX_REUSE_INTERVAL", "Rotation"]

MAX_REUSE_INTERVAL = 60.0
"""The longest reuse interval a deployment may configure, in seconds."""

_LABEL = b"jwtgate refresh-token successor v1"


@dataclass(frozen=True, slots=True)
class Rotation:
    """The successor key and the reuse interval. The repr shows no key material."""

    key: bytes = field(repr=False)
    reuse_interval: float

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("the successor key must be at least 32 bytes")
        if not 0 <= self.reuse_interval <= MAX_REUSE_INTERVAL:
            raise ValueError(f"the reuse interval must be 0 to {MAX_REUSE_INTERVAL:g} seconds")

    @classmethod
    def from_master_key(cls, master: bytes, *, reuse_interval: float) -> Rotation:
        """The rotation of a deployment: its key derived from the master key (HKDF-SHA256),
        so every process and instance sharing the master key mints the same successors."""
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(master)
        return cls(key=key, reuse_interval=reuse_interval)

    def successor(self, token: str) -> str:
        """The refresh token that replaces ``token`` (43 base64url characters, 256 bits)."""
        mac = hmac.new(self.key, token.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def may_repeat(self, rotated_at: float, now: float) -> bool:
        """Whether a token rotated at ``rotated_at`` may still be answered with its successor."""
        return self.reuse_interval > 0 and now - rotated_at <= self.reuse_interval
