"""The keys that protect second factors at rest, derived from the master key.

TOTP secrets are sealed with AES-256-GCM (as private signing keys are, :mod:`jwtgate.store.
crypto`) under a key derived from the master key, the factor id as associated data: a
ciphertext copied to another user's row does not open. Recovery codes (40 bits each) are
stored as an HMAC bound to the user, under another derived key, so a stolen database cannot
be brute-forced offline without the master key. The repr shows no key material.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ...store.crypto import KeyCipher

__all__ = ["FactorKeys"]


def _derive(master_key: bytes, label: bytes) -> bytes:
    return hmac.new(master_key, label, hashlib.sha256).digest()


class FactorKeys:
    """Seals TOTP secrets and hashes recovery codes."""

    __slots__ = ("_cipher", "_code_key")

    def __init__(self, master_key: bytes) -> None:
        self._cipher = KeyCipher(_derive(master_key, b"jwtgate factor secrets v1"))
        self._code_key = _derive(master_key, b"jwtgate recovery codes v1")

    @classmethod
    def ephemeral(cls) -> FactorKeys:
        """Keys for an AuthContext built by hand (tests): gone with the process."""
        return cls(secrets.token_bytes(32))

    def seal(self, secret: str, *, factor_id: str) -> str:
        """The TOTP secret (base32) encrypted for the factor's row."""
        return self._cipher.seal(secret.encode("ascii"), aad=b"totp:" + factor_id.encode())

    def open(self, sealed: str, *, factor_id: str) -> str:
        """The TOTP secret back; ValueError when damaged or moved to another row."""
        return self._cipher.open(sealed, aad=b"totp:" + factor_id.encode()).decode("ascii")

    def code_hash(self, code: str, *, user_id: str) -> str:
        """HMAC-SHA256 of a normalized recovery code, bound to the user, hex."""
        message = f"recovery\x00{user_id}\x00{code}".encode()
        return hmac.new(self._code_key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "FactorKeys(<hidden>)"
