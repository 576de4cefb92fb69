"""The JWS algorithms of RFC 7518 section 3 and RFC 8037 (EdDSA), with RFC 9864 names.

Each algorithm is a frozen :class:`Algorithm` describing its family, hash and sizes; the
signers and verifiers themselves are built once per key in :mod:`jwtgate.jose.jwk`, so the
hot path does no lookups.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .b64 import b64url_encode, decode_checked

__all__ = ["ALGORITHMS", "Algorithm", "Signer", "Verifier"]

Signer = Callable[[bytes], bytes]
# A verifier takes the signing input and the signature segment (base64url text, alphabet
# already checked) and answers True only for a valid signature.
Verifier = Callable[[bytes, str], bool]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One JWS ``alg`` value (RFC 7518 3.1) and what it needs from a key."""

    name: str
    family: str  # "HMAC", "RSA", "RSA-PSS", "EC", "OKP"
    bits: int = 0  # hash size for HMAC/RSA/EC; 0 for EdDSA
    curve: str | None = None  # the one curve an EC or fully-specified OKP alg allows
    coordinate_size: int = 0  # ECDSA: bytes per R and S (RFC 7518 3.4)

    @property
    def hash(self) -> hashes.HashAlgorithm:
        return _HASHES[str(self.bits)]()


ALGORITHMS: dict[str, Algorithm] = {
    **{f"HS{b}": Algorithm(f"HS{b}", "HMAC", b) for b in (256, 384, 512)},
    **{f"RS{b}": Algorithm(f"RS{b}", "RSA", b) for b in (256, 384, 512)},
    **{f"PS{b}": Algorithm(f"PS{b}", "RSA-PSS", b) for b in (256, 384, 512)},
    "ES256": Algorithm("ES256", "EC", 256, "P-256", 32),
    "ES384": Algorithm("ES384", "EC", 384, "P-384", 48),
    "ES512": Algorithm("ES512", "EC", 512, "P-521", 66),
    # RFC 8037: EdDSA covers both curves; RFC 9864 adds fully-specified names.
    "EdDSA": Algorithm("EdDSA", "OKP"),
    "Ed25519": Algorithm("Ed25519", "OKP", curve="Ed25519"),
    "Ed448": Algorithm("Ed448", "OKP", curve="Ed448"),
}

EC_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
}
# Group orders, to reject r or s outside [1, n-1] before OpenSSL sees them (CVE-2022-21449).
_EC_ORDERS: dict[str, int] = {
    "P-256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "P-384": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "P-521": int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}


def hmac_pair(alg: Algorithm, secret: bytes) -> tuple[Signer, Verifier]:
    """HMAC signer and verifier (RFC 7518 3.2); the comparison is constant-time."""
    # The keyed state is computed once; copying it per message skips re-deriving the
    # inner and outer pads, which is a third of the cost of a short HMAC.
    keyed = hmac.new(secret, digestmod=getattr(hashlib, f"sha{alg.bits}"))
    copy = keyed.copy
    compare = hmac.compare_digest

    def sign(data: bytes) -> bytes:
        mac = copy()
        mac.update(data)
        return mac.digest()

    def verify(data: bytes, signature: str) -> bool:
        mac = copy()
        mac.update(data)
        # Comparing the canonical encodings also rejects any non-canonical signature text.
        return compare(b64url_encode(mac.digest()), signature)

    return sign, verify


def _decoded(signature: str) -> bytes | None:
    try:
        return decode_checked(signature)
    except ValueError:
        return None


def rsa_pair(
    alg: Algorithm, private: rsa.RSAPrivateKey | None, public: rsa.RSAPublicKey
) -> tuple[Signer | None, Verifier]:
    """RSASSA-PKCS1-v1_5 (RFC 7518 3.3) or RSASSA-PSS with salt = hash size (3.5)."""
    hash_ = alg.hash
    pad: padding.AsymmetricPadding
    if alg.family == "RSA-PSS":
        pad = padding.PSS(mgf=padding.MGF1(alg.hash), salt_length=hash_.digest_size)
    else:
        pad = padding.PKCS1v15()
    sig_size = (public.key_size + 7) // 8
    pub_verify = public.verify

    def verify(data: bytes, signature: str) -> bool:
        raw = _decoded(signature)
        if raw is None or len(raw) != sig_size:
            return False
        try:
            pub_verify(raw, data, pad, hash_)
        except _CryptoInvalidSignature:
            return False
        return True

    if private is None:
        return None, verify
    priv_sign = private.sign

    def sign(data: bytes) -> bytes:
        return priv_sign(data, pad, hash_)

    return sign, verify


def ec_pair(
    alg: Algorithm,
    private: ec.EllipticCurvePrivateKey | None,
    public: ec.EllipticCurvePublicKey,
) -> tuple[Signer | None, Verifier]:
    """ECDSA with the fixed-length R || S signature of RFC 7518 3.4 (never DER)."""
    if alg.curve is None:
        raise ValueError(f"{alg.name} is not an ECDSA algorithm")
    size = alg.coordinate_size
    order = _EC_ORDERS[alg.curve]
    scheme = ec.ECDSA(alg.hash)
    pub_verify = public.verify
    from_bytes = int.from_bytes

    def verify(data: bytes, signature: str) -> bool:
        raw = _decoded(signature)
        if raw is None or len(raw) != 2 * size:
            return False
        r = from_bytes(raw[:size], "big")
        s = from_bytes(raw[size:], "big")
        if not (0 < r < order and 0 < s < order):
            return False
        try:
            pub_verify(encode_dss_signature(r, s), data, scheme)
        except _CryptoInvalidSignature:
            return False
        return True

    if private is None:
        return None, verify
    priv_sign = private.sign

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(priv_sign(data, scheme))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    return sign, verify


OKPPrivate = ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
OKPPublic = ed25519.Ed25519PublicKey | ed448.Ed448PublicKey


def okp_pair(private: OKPPrivate | None, public: OKPPublic) -> tuple[Signer | None, Verifier]:
    """EdDSA over Ed25519 or Ed448 (RFC 8037 3.1)."""
    size = 64 if isinstance(public, ed25519.Ed25519PublicKey) else 114
    pub_verify = public.verify

    def verify(data: bytes, signature: str) -> bool:
        raw = _decoded(signature)
        if raw is None or len(raw) != size:
            return False
        try:
            pub_verify(raw, data)
        except _CryptoInvalidSignature:
            return False
        return True

    if private is None:
        return None, verify
    return private.sign, verify
