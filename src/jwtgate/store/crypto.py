"""Encryption of private signing keys at rest: AES-256-GCM under a master key.

The master key comes from ``JWTGATE_MASTER_KEY`` (base64url, 32 bytes) or from a key file that
is created on first start with mode 0600: ``Settings.key_file`` if set, else beside the SQLite
database (``<database>.key``), else ``./jwtgate.key``. An in-memory database gets a key that
lives as long as the process. The kid is the associated data, so a ciphertext moved to another
key's row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import shlex
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .engine import sqlite_path
from .files import private_umask

__all__ = ["KeyCipher", "default_key_file", "derive_subkey", "load_master_key"]

KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX = "v1."


def _b64decode(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _parse_key(text: str, source: str) -> bytes:
    try:
        key = _b64decode(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(f"{source} must be {KEY_BYTES} random bytes, base64url-encoded")
    return key


class KeyCipher:
    """Seals and opens private JWKs with AES-256-GCM. The repr shows no key material."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the master key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, aad: bytes) -> str:
        """Encrypt: ``v1.`` + base64url(nonce || ciphertext || tag)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return PREFIX + _b64encode(nonce + self._aead.encrypt(nonce, plaintext, aad))

    def open(self, sealed: str, *, aad: bytes) -> bytes:
        """Decrypt; ValueError when the text is damaged or was sealed under another key."""
        if not sealed.startswith(PREFIX):
            raise ValueError("unknown private key encoding")
        blob = _b64decode(sealed[len(PREFIX) :])
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise ValueError(
                "a private signing key does not decrypt: wrong JWTGATE_MASTER_KEY or key file"
            ) from None

    def __repr__(self) -> str:
        return "KeyCipher(<hidden>)"


def derive_subkey(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one ``purpose`` derived from the master key (HKDF-SHA256, RFC 5869,
    the purpose as ``info``): keys for different uses are independent, and none reveals the
    master key or another."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()
    ).derive(master)


def default_key_file(database_url: str) -> Path | None:
    """Where the key file lives by default; None for an in-memory SQLite database."""
    path = sqlite_path(database_url)
    if path is not None:
        return path.with_name(path.name + ".key")
    if database_url.startswith("sqlite"):
        return None
    return Path("jwtgate.key")


def load_master_key(
    database_url: str, *, master_key: str | None = None, key_file: str | None = None
) -> bytes:
    """The master key: from ``master_key``, else from the key file (created 0600 if absent).

    Raises ValueError for a key of the wrong shape, and for a key file that group or others
    may read or write (the message says which ``chmod`` to run).
    """
    if master_key:
        return _parse_key(master_key, "JWTGATE_MASTER_KEY")
    path = Path(key_file) if key_file else default_key_file(database_url)
    if path is None:
        return secrets.token_bytes(KEY_BYTES)
    if not path.exists():
        _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        # Whoever can read this file can open every private signing key: refuse to start
        # rather than warn into a log nobody reads.
        raise ValueError(
            f"the key file {path} is open to group or others (mode {mode:o}); "
            f"make it private with: chmod 600 {shlex.quote(str(path))}"
        )
    return _parse_key(path.read_text(encoding="ascii"), f"key file {path}")


def _create_key_file(path: Path) -> None:
    """Write a new random key to ``path`` atomically; if another process won, keep theirs."""
    with private_umask():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(_b64encode(secrets.token_bytes(KEY_BYTES)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails when the name exists, so two processes starting at once agree on one key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
