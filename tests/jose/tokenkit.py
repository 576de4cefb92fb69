"""Helpers for the token-core tests: forging compact JWS by hand and the test key material.

Everything here is independent of jwtgate (only ``cryptography``, ``hmac`` and ``json``), so
a token forged here tests jwtgate instead of agreeing with it by construction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from jwtgate import Key

VECTORS = Path(__file__).parent / "vectors"
# A fixed clock for every test that validates claims: no test depends on the real time.
NOW = 1_700_000_000

# Parametrize ids: the header "alg", plus the curve where EdDSA leaves it open.
ALGS = (
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA-Ed25519",
    "EdDSA-Ed448",
    "Ed25519",
    "Ed448",
)
ASYMMETRIC = tuple(a for a in ALGS if not a.startswith("HS"))

_HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
EC_CURVES: dict[str, tuple[str, ec.EllipticCurve, int]] = {
    "ES256": ("P-256", ec.SECP256R1(), 32),
    "ES384": ("P-384", ec.SECP384R1(), 48),
    "ES512": ("P-521", ec.SECP521R1(), 66),
}
EC_ORDERS = {
    "ES256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ES384": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "ES512": int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}


def b64u(data: bytes) -> str:
    """base64url without padding (RFC 7515 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def forge(
    header: dict[str, Any] | bytes,
    payload: dict[str, Any] | bytes,
    sign: Callable[[bytes], bytes] | bytes = b"",
) -> str:
    """A compact JWS from a header and payload (dicts or raw bytes) and a signer or signature."""
    head = header if isinstance(header, bytes) else compact_json(header)
    body = payload if isinstance(payload, bytes) else compact_json(payload)
    signing_input = b64u(head) + "." + b64u(body)
    signature = sign(signing_input.encode()) if callable(sign) else sign
    return signing_input + "." + b64u(signature)


def segments(token: str) -> tuple[bytes, bytes, bytes]:
    head, body, sig = token.split(".")
    return unb64u(head), unb64u(body), unb64u(sig)


def hmac_signer(secret: bytes, alg: str = "HS256") -> Callable[[bytes], bytes]:
    digest = getattr(hashlib, "sha" + alg[2:])
    return lambda data: hmac.new(secret, data, digest).digest()


def claims(**extra: Any) -> dict[str, Any]:
    """A claims set valid at NOW, with anything in ``extra`` added or overriding."""
    base: dict[str, Any] = {"sub": "user-1", "iat": NOW - 10, "exp": NOW + 600}
    base.update(extra)
    return base


@dataclass(frozen=True)
class Material:
    """Key material for one algorithm, held outside jwtgate (cryptography objects)."""

    name: str  # the parametrize id, e.g. "EdDSA-Ed448"
    alg: str  # the JWS "alg" header value
    private: Any = None  # a cryptography private key; None for HMAC
    secret: bytes = b""

    @property
    def is_hmac(self) -> bool:
        return self.private is None

    @cached_property
    def private_pem(self) -> bytes:
        return bytes(
            self.private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    @cached_property
    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    @cached_property
    def key(self) -> Key:
        """The jwtgate signing key for this material."""
        if self.is_hmac:
            return Key.from_secret(self.secret, self.alg)
        return Key.from_pem(self.private_pem, alg=self.alg)

    @cached_property
    def public_key(self) -> Key:
        """The jwtgate verification key (the secret itself for HMAC)."""
        return self.key if self.is_hmac else Key.from_pem(self.public_pem, alg=self.alg)

    def sign(self, data: bytes) -> bytes:
        """Sign with cryptography directly, in the JWS form (R || S for ECDSA)."""
        if self.is_hmac:
            return hmac_signer(self.secret, self.alg)(data)
        if isinstance(self.private, rsa.RSAPrivateKey):
            hash_ = _HASHES[self.alg[2:]]
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(hash_), hash_.digest_size)
                if self.alg.startswith("PS")
                else padding.PKCS1v15()
            )
            return bytes(self.private.sign(data, pad, hash_))
        if isinstance(self.private, ec.EllipticCurvePrivateKey):
            size = EC_CURVES[self.alg][2]
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(_HASHES[self.alg[2:]])))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return bytes(self.private.sign(data))


def _ec_key_with_short_coordinates(alg: str) -> ec.EllipticCurvePrivateKey:
    """A deterministic EC key whose x (and for P-521 also y) has a leading zero byte.

    Such keys catch producers and consumers that drop leading zeros from JWK coordinates,
    which RFC 7518 6.2.1.2 forbids; a random key would only hit the case now and then.
    """
    _, curve, size = EC_CURVES[alg]
    seed = int.from_bytes(hashlib.sha256(f"jwtgate-test-{alg}".encode()).digest(), "big")
    for offset in range(1, 1 << 16):
        private = ec.derive_private_key(seed % EC_ORDERS[alg] + offset, curve)
        numbers = private.public_key().public_numbers()
        coords = (numbers.x, numbers.y) if alg == "ES512" else (numbers.x,)
        if all(c.to_bytes(size, "big")[0] == 0 for c in coords):
            return private
    raise AssertionError("no key found")  # pragma: no cover


def make_materials() -> dict[str, Material]:
    """One Material per entry of ALGS; all RSA algorithms share one 2048-bit key."""
    rsa_key = rsa.generate_private_key(65537, 2048)
    ed25519_key = ed25519.Ed25519PrivateKey.generate()
    ed448_key = ed448.Ed448PrivateKey.generate()
    out: dict[str, Material] = {}
    for name in ALGS:
        if name.startswith("HS"):
            secret = hashlib.sha512(f"jwtgate-test-{name}".encode()).digest()
            out[name] = Material(name, name, secret=secret[: int(name[2:]) // 8])
        elif name[:2] in ("RS", "PS"):
            out[name] = Material(name, name, rsa_key)
        elif name.startswith("ES"):
            out[name] = Material(name, name, _ec_key_with_short_coordinates(name))
        else:
            curve = name.removeprefix("EdDSA-")
            alg = "EdDSA" if name.startswith("EdDSA") else name
            out[name] = Material(name, alg, ed25519_key if curve == "Ed25519" else ed448_key)
    return out


def load_vector(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())
