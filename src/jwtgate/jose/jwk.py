"""Signing keys: JSON Web Key (RFC 7517, 7518 section 6, RFC 8037) and PEM.

A :class:`Key` is bound to exactly one algorithm (RFC 8725 3.1): it only ever signs with it
and only verifies tokens whose header names it. Misconfiguration is caught here, at
construction, with ``ValueError`` or ``TypeError``: weak RSA, short HMAC secrets, a curve that
does not match the algorithm, a public key offered as an HMAC secret, ``use``/``key_ops``
that forbid signatures.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from . import algorithms as _alg
from .b64 import b64url_decode, b64url_encode

if TYPE_CHECKING:
    from .keyset import KeySet

__all__ = ["Key"]

MIN_RSA_BITS = 2048
# RSA JWKs above this are refused before any arithmetic: validating an 8192-bit private key
# already costs seconds, and a 65536-bit one with a bogus d took minutes.
MAX_RSA_BITS = 8192
# Recovering p and q from n, e and d alone is only done up to this size (bounded; see below).
MAX_RSA_RECOVERY_BITS = 4096
_RECOVERY_BASES = 64
_EDDSA_ALGS = ("EdDSA", "Ed25519", "Ed448")
_CURVE_ALG = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | _alg.OKPPrivate
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | _alg.OKPPublic


def _spec(alg: object) -> _alg.Algorithm:
    if not isinstance(alg, str):
        raise TypeError(f"alg must be a string, not {type(alg).__name__}")
    spec = _alg.ALGORITHMS.get(alg)
    if spec is None:
        if alg.lower() == "none":
            raise ValueError('alg "none" is never accepted (RFC 8725 3.1)')
        raise ValueError(f"unsupported algorithm {alg!r}; use one of {sorted(_alg.ALGORITHMS)}")
    return spec


def _member(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ValueError(f"JWK member {name!r} must be a base64url string")
    try:
        # Tolerate '=' padding on input (some producers add it); the alphabet stays strict.
        return b64url_decode(value.rstrip("="))
    except ValueError:
        raise ValueError(f"JWK member {name!r} is not valid base64url") from None


def _int(jwk: Mapping[str, Any], name: str) -> int:
    return int.from_bytes(_member(jwk, name), "big")


def _uint_b64(value: int, size: int | None = None) -> str:
    length = size if size is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(length, "big"))


def _looks_like_public_key(secret: bytes) -> bool:
    """Whether a would-be HMAC secret is really a key meant for asymmetric crypto: PEM
    (keys and certificates), OpenSSH, JWK JSON, or DER (SubjectPublicKeyInfo, PKCS#1,
    PKCS#8, SEC1, X.509), raw or as base64 text."""
    head = secret.lstrip()[:64]
    if head.startswith((b"-----BEGIN", b"ssh-", b"ecdsa-sha2-", b"MII")):
        return True
    if head.startswith(b"{"):
        try:
            parsed = orjson.loads(secret)
        except orjson.JSONDecodeError:
            return False
        return isinstance(parsed, dict) and "kty" in parsed
    return _is_der_key(secret) or _is_der_key(_base64_text(secret))


def _base64_text(data: bytes) -> bytes:
    """The bytes that ``data`` encodes when it is base64 or base64url text (line breaks
    allowed), else b''."""
    text = b"".join(data.split()).replace(b"-", b"+").replace(b"_", b"/")
    if not text or text[:1] != b"M":  # base64 of a DER SEQUENCE (0x30) starts with M
        return b""
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:
        return b""


def _is_der_key(data: bytes) -> bool:
    """Whether ``data`` is a DER public key, private key or X.509 certificate. Parsing is
    linear in the size and only happens when a secret begins like a DER SEQUENCE."""
    if data[:1] != b"\x30":
        return False
    try:
        serialization.load_der_public_key(data)  # SubjectPublicKeyInfo and PKCS#1
        return True
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    try:
        x509.load_der_x509_certificate(data)
        return True
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    try:
        serialization.load_der_private_key(data, password=None)
        return True
    except TypeError:
        return True  # an encrypted private key: still a key, only locked
    except (ValueError, UnsupportedAlgorithm):
        return False


class Key:
    """One signing or verification key, bound to one algorithm.

    Build with :meth:`generate`, :meth:`from_jwk`, :meth:`from_pem` or :meth:`from_secret`.
    The repr shows ``kid`` and ``alg`` only, never key material.
    """

    __slots__ = (
        "_header_cache",
        "_private",
        "_public",
        "_secret",
        "_set",
        "_sign",
        "_verify",
        "alg",
        "kid",
        "spec",
    )

    alg: str
    kid: str

    def __init__(
        self,
        alg: str,
        *,
        private: PrivateKey | None = None,
        public: PublicKey | None = None,
        secret: bytes | None = None,
        kid: str | None = None,
        ops: frozenset[str] | None = None,
    ) -> None:
        """Low-level constructor; prefer the ``from_*`` and ``generate`` class methods."""
        spec = _spec(alg)
        self.spec = spec
        self.alg = spec.name
        self._secret = secret
        self._private = private
        self._set: KeySet | None = None
        self._header_cache: dict[Any, str] = {}
        if spec.family == "HMAC":
            if secret is None or private is not None or public is not None:
                raise TypeError(f"{alg} needs a secret (Key.from_secret), not an asymmetric key")
            self._public = None
            sign, verify = _alg.hmac_pair(spec, secret)
            self._sign: _alg.Signer | None = sign
        else:
            if secret is not None:
                raise TypeError(f"{alg} needs an asymmetric key, not a secret")
            if public is None:
                if private is None:
                    raise TypeError("a key needs its private or public part")
                public = private.public_key()
            self._public = public
            self._sign, verify = self._asymmetric_pair(spec, private, public)
        if ops is not None:
            if "sign" not in ops:
                self._sign = None
            if "verify" not in ops and "sign" not in ops:
                raise ValueError("key_ops allow neither sign nor verify: not a signature key")
        self._verify: _alg.Verifier = verify
        if kid is not None and not isinstance(kid, str):
            raise TypeError("kid must be a string")
        self.kid = kid if kid is not None else self.thumbprint()

    @staticmethod
    def _asymmetric_pair(
        spec: _alg.Algorithm, private: PrivateKey | None, public: PublicKey
    ) -> tuple[_alg.Signer | None, _alg.Verifier]:
        family = spec.family
        if family in ("RSA", "RSA-PSS"):
            if not isinstance(public, rsa.RSAPublicKey) or not isinstance(
                private, rsa.RSAPrivateKey | None
            ):
                raise ValueError(f"{spec.name} needs an RSA key")
            if public.key_size < MIN_RSA_BITS:
                raise ValueError(
                    f"RSA key of {public.key_size} bits is too weak; at least {MIN_RSA_BITS} "
                    "bits are required (RFC 7518 3.3)"
                )
            return _alg.rsa_pair(spec, private, public)
        if family == "EC":
            if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
                private, ec.EllipticCurvePrivateKey | None
            ):
                raise ValueError(f"{spec.name} needs an EC key on {spec.curve}")
            curve = _alg.EC_CURVES[spec.curve or ""]
            if public.curve.name != curve.name:
                raise ValueError(
                    f"{spec.name} needs a key on {spec.curve}, not {public.curve.name}"
                )
            return _alg.ec_pair(spec, private, public)
        if isinstance(public, ed25519.Ed25519PublicKey):
            curve_name = "Ed25519"
        elif isinstance(public, ed448.Ed448PublicKey):
            curve_name = "Ed448"
        else:
            raise ValueError(f"{spec.name} needs an Ed25519 or Ed448 key")
        if spec.curve is not None and spec.curve != curve_name:
            raise ValueError(f"{spec.name} needs an {spec.curve} key, not {curve_name}")
        if private is not None and not isinstance(
            private, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
        ):
            raise ValueError(f"{spec.name} needs an Ed25519 or Ed448 key")
        return _alg.okp_pair(private, public)

    # -- construction ------------------------------------------------------------------

    @classmethod
    def generate(cls, alg: str, *, kid: str | None = None, size: int | None = None) -> Key:
        """A new random key for ``alg``; ``size`` sets RSA bits (default 2048).

        For EdDSA the curve is Ed25519; use ``alg="Ed448"`` for Ed448.
        """
        spec = _spec(alg)
        if spec.family == "HMAC":
            return cls(spec.name, secret=secrets.token_bytes(spec.bits // 8), kid=kid)
        private: PrivateKey
        if spec.family in ("RSA", "RSA-PSS"):
            private = rsa.generate_private_key(65537, size or MIN_RSA_BITS)
        elif spec.family == "EC":
            private = ec.generate_private_key(_alg.EC_CURVES[spec.curve or ""])
        elif spec.curve == "Ed448":
            private = ed448.Ed448PrivateKey.generate()
        else:
            private = ed25519.Ed25519PrivateKey.generate()
        return cls(spec.name, private=private, kid=kid)

    @classmethod
    def from_secret(cls, secret: bytes | str, alg: str = "HS256", *, kid: str | None = None) -> Key:
        """An HMAC key (RFC 7518 3.2). ValueError if shorter than the hash output, or if it
        is really a public key (the classic algorithm-confusion setup, RFC 8725 2.1)."""
        return cls(alg, secret=_checked_secret(secret, alg), kid=kid)

    @classmethod
    def from_pem(
        cls,
        data: bytes | str,
        alg: str | None = None,
        *,
        kid: str | None = None,
        password: bytes | None = None,
    ) -> Key:
        """A key from a PEM private key, public key or X.509 certificate.

        ``alg`` is required for RSA; for EC and Ed keys it defaults from the curve.
        """
        if isinstance(data, str):
            data = data.encode("ascii")
        private: PrivateKey | None = None
        public: PublicKey
        if b"-----BEGIN CERTIFICATE-----" in data:
            cert_key = x509.load_pem_x509_certificate(data).public_key()
            if not isinstance(cert_key, PublicKey):
                raise ValueError("the certificate's key type cannot sign JWS")
            public = cert_key
        elif b"PRIVATE KEY-----" in data:
            key_obj = serialization.load_pem_private_key(data, password=password)
            if not isinstance(key_obj, PrivateKey):
                raise ValueError("this private key type cannot sign JWS")
            private = key_obj
            public = key_obj.public_key()
        else:
            pub_obj = serialization.load_pem_public_key(data)
            if not isinstance(pub_obj, PublicKey):
                raise ValueError("this public key type cannot verify JWS")
            public = pub_obj
        return cls(_default_alg(public, alg), private=private, public=public, kid=kid)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], alg: str | None = None) -> Key:
        """A key from a JWK object (RFC 7517 4, RFC 7518 6, RFC 8037 2).

        The algorithm comes from the JWK's ``alg``, else from ``alg=``, else from the curve.
        ValueError for an unsupported or inconsistent key; a missing ``kid`` becomes the
        RFC 7638 thumbprint.
        """
        if not isinstance(jwk, Mapping):
            raise TypeError("a JWK must be a JSON object (mapping)")
        kty = jwk.get("kty")
        if not isinstance(kty, str):
            raise ValueError("JWK has no 'kty'")
        use = jwk.get("use")
        if use is not None and use != "sig":
            raise ValueError(f"JWK has use={use!r}; only 'sig' keys can sign or verify JWS")
        ops: frozenset[str] | None = None
        if "key_ops" in jwk:
            raw_ops = jwk["key_ops"]
            if not isinstance(raw_ops, list) or not all(isinstance(o, str) for o in raw_ops):
                raise ValueError("JWK key_ops must be an array of strings")
            ops = frozenset(raw_ops)
            if not ops & {"sign", "verify"}:
                raise ValueError("JWK key_ops allow neither sign nor verify")
        jwk_alg = jwk.get("alg")
        if jwk_alg is not None and not isinstance(jwk_alg, str):
            raise ValueError("JWK alg must be a string")
        if jwk_alg is not None and alg is not None and jwk_alg != alg:
            raise ValueError(f"the JWK says alg={jwk_alg!r} but alg={alg!r} was asked for")
        chosen = jwk_alg or alg
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise ValueError("JWK kid must be a string")

        if kty == "oct":
            if chosen is None:
                raise ValueError("an 'oct' JWK needs 'alg' (or alg=): HS256, HS384 or HS512")
            return cls(chosen, secret=_checked_secret(_member(jwk, "k"), chosen), kid=kid, ops=ops)
        private: PrivateKey | None = None
        public: PublicKey
        if kty == "RSA":
            if chosen is None:
                raise ValueError("an RSA JWK needs 'alg' (or alg=): RS256..512 or PS256..512")
            private, public = _rsa_from_jwk(jwk)
        elif kty == "EC":
            private, public = _ec_from_jwk(jwk)
        elif kty == "OKP":
            private, public = _okp_from_jwk(jwk)
        else:
            raise ValueError(f"unsupported JWK kty {kty!r}")
        return cls(_default_alg(public, chosen), private=private, public=public, kid=kid, ops=ops)

    # -- views ------------------------------------------------------------------------

    @property
    def is_private(self) -> bool:
        """True when this key can sign (holds a private key or an HMAC secret)."""
        return self._sign is not None

    @property
    def is_symmetric(self) -> bool:
        return self._secret is not None

    def public(self) -> Key:
        """The same key without its private part. ValueError for HMAC keys."""
        if self._public is None:
            raise ValueError("an HMAC key has no public part")
        if self._private is None:
            return self
        return Key(self.alg, public=self._public, kid=self.kid)

    def to_jwk(self, private: bool = False) -> dict[str, Any]:
        """This key as a JWK dict; ``private=True`` includes the private members."""
        jwk: dict[str, Any] = {"kid": self.kid, "alg": self.alg, "use": "sig"}
        if self._secret is not None:
            if not private:
                raise ValueError("an HMAC key has no public JWK; use to_jwk(private=True)")
            jwk.update(kty="oct", k=b64url_encode(self._secret))
            return jwk
        jwk.update(self._public_members())
        if private and self._private is not None:
            jwk.update(_private_members(self._private))
        return jwk

    def to_pem(self, private: bool = False) -> bytes:
        """PEM (PKCS#8 private or SubjectPublicKeyInfo public), unencrypted."""
        if self._public is None:
            raise ValueError("an HMAC key has no PEM form")
        if private:
            if self._private is None:
                raise ValueError("this key has no private part")
            return self._private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def _public_members(self) -> dict[str, str]:
        """The required public members in RFC 7638 terms (also the thumbprint input)."""
        pub = self._public
        if self._secret is not None:
            return {"kty": "oct", "k": b64url_encode(self._secret)}
        if isinstance(pub, rsa.RSAPublicKey):
            nums = pub.public_numbers()
            return {"kty": "RSA", "n": _uint_b64(nums.n), "e": _uint_b64(nums.e)}
        if isinstance(pub, ec.EllipticCurvePublicKey):
            size = self.spec.coordinate_size
            pn = pub.public_numbers()
            crv = self.spec.curve or ""
            return {"kty": "EC", "crv": crv, "x": _uint_b64(pn.x, size), "y": _uint_b64(pn.y, size)}
        if pub is None:
            raise ValueError("key without a public part")
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        crv = "Ed25519" if isinstance(pub, ed25519.Ed25519PublicKey) else "Ed448"
        return {"kty": "OKP", "crv": crv, "x": b64url_encode(raw)}

    def thumbprint(self) -> str:
        """The RFC 7638 JWK thumbprint (SHA-256, base64url)."""
        canonical = orjson.dumps(self._public_members(), option=orjson.OPT_SORT_KEYS)
        return b64url_encode(hashlib.sha256(canonical).digest())

    def sign(self, data: bytes) -> bytes:
        """The raw JWS signature of ``data``. TypeError for a verification-only key."""
        if self._sign is None:
            raise TypeError(f"key {self.kid!r} is verification-only; it cannot sign")
        return self._sign(data)

    def _as_set(self) -> KeySet:
        """This key alone as a KeySet (cached), so ``decode(token, key)`` works."""
        if self._set is None:
            from .keyset import KeySet

            self._set = KeySet([self])
        return self._set

    def __repr__(self) -> str:
        return f"Key(kid={self.kid!r}, alg={self.alg!r}, private={self.is_private})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Key):
            return NotImplemented
        return (
            self.alg == other.alg
            and self.kid == other.kid
            and self.is_private == other.is_private
            and self.thumbprint() == other.thumbprint()
        )

    def __hash__(self) -> int:
        return hash((self.alg, self.kid))


def _checked_secret(secret: object, alg: str) -> bytes:
    spec = _spec(alg)
    if spec.family != "HMAC":
        raise ValueError(f"{alg} is not an HMAC algorithm; a secret can only be HS*")
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes | bytearray):
        raise TypeError("secret must be bytes or str")
    secret = bytes(secret)
    if _looks_like_public_key(secret):
        raise ValueError("this secret is an encoded asymmetric key; it cannot be an HMAC key")
    if len(secret) < spec.bits // 8:
        raise ValueError(
            f"{alg} needs a secret of at least {spec.bits // 8} bytes (RFC 7518 3.2), "
            f"got {len(secret)}"
        )
    return secret


def _default_alg(public: PublicKey, alg: str | None) -> str:
    if isinstance(public, ec.EllipticCurvePublicKey):
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(
            public.curve.name
        )
        if crv is None:
            raise ValueError(f"unsupported EC curve {public.curve.name}")
        return alg or _CURVE_ALG[crv]
    if isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return alg or "EdDSA"
    if alg is None:
        raise ValueError("an RSA key needs alg=: RS256, RS384, RS512, PS256, PS384 or PS512")
    return alg


def _private_members(private: PrivateKey) -> dict[str, str]:
    if isinstance(private, rsa.RSAPrivateKey):
        n = private.private_numbers()
        return {
            "d": _uint_b64(n.d),
            "p": _uint_b64(n.p),
            "q": _uint_b64(n.q),
            "dp": _uint_b64(n.dmp1),
            "dq": _uint_b64(n.dmq1),
            "qi": _uint_b64(n.iqmp),
        }
    if isinstance(private, ec.EllipticCurvePrivateKey):
        size = (private.curve.key_size + 7) // 8
        return {"d": _uint_b64(private.private_numbers().private_value, size)}
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return {"d": b64url_encode(raw)}


def _rsa_from_jwk(jwk: Mapping[str, Any]) -> tuple[rsa.RSAPrivateKey | None, rsa.RSAPublicKey]:
    bits = _int(jwk, "n").bit_length()
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        raise ValueError(
            f"RSA key of {bits} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are accepted"
        )
    try:
        public_numbers = rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n"))
        public = public_numbers.public_key()
    except ValueError as exc:
        raise ValueError(f"invalid RSA JWK: {exc}") from None
    if "d" not in jwk:
        return None, public
    if "oth" in jwk:
        raise ValueError("multi-prime RSA keys ('oth') are not supported")
    d = _int(jwk, "d")
    n, e = public_numbers.n, public_numbers.e
    try:
        if "p" in jwk and "q" in jwk:
            p, q = _int(jwk, "p"), _int(jwk, "q")
        else:
            p, q = _recover_prime_factors(n, e, d)
        dp = _int(jwk, "dp") if "dp" in jwk else rsa.rsa_crt_dmp1(d, p)
        dq = _int(jwk, "dq") if "dq" in jwk else rsa.rsa_crt_dmq1(d, q)
        qi = _int(jwk, "qi") if "qi" in jwk else rsa.rsa_crt_iqmp(p, q)
        private = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public_numbers).private_key()
    except ValueError as exc:
        raise ValueError(f"invalid RSA private JWK: {exc}") from None
    return private, private.public_key()


def _recover_prime_factors(n: int, e: int, d: int) -> tuple[int, int]:
    """p and q from n, e and d (HAC 8.2.2(i)) in bounded time; ValueError when impossible.

    Not cryptography's rsa_recover_prime_factors: it tries up to 1000 bases, so a crafted JWK
    whose "modulus" is a prime or a prime power with a matching d cost 35 s of CPU at 2048
    bits. Here those are recognised at once (a prime power p^j shares p with d*e - 1; for a
    prime, n - 1 divides it), and any other n falls to each base with probability >= 1/2.
    """
    if n.bit_length() > MAX_RSA_RECOVERY_BITS:
        raise ValueError(
            f"an RSA private JWK over {MAX_RSA_RECOVERY_BITS} bits must include p, q, dp, dq, qi"
        )
    if not 1 < d < n or n % 2 == 0:
        raise ValueError("invalid RSA private JWK: d must be between 1 and n, n odd")
    k = d * e - 1
    shared = math.gcd(k, n)
    if 1 < shared < n:
        return _ordered(shared, n)  # the key check that follows decides whether they are primes
    if k % (n - 1) == 0:
        raise ValueError("invalid RSA private JWK: the modulus is prime")
    s = (k & -k).bit_length() - 1
    t = k >> s
    for _ in range(_RECOVERY_BASES):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, t, n)
        if x in (1, n - 1):
            continue
        for _ in range(s):
            y = x * x % n
            if y == 1:  # x is a square root of 1 other than +-1: gcd(x - 1, n) splits n
                return _ordered(math.gcd(x - 1, n), n)
            if y == n - 1:
                break
            x = y
        else:
            raise ValueError("invalid RSA private JWK: n, e and d do not match")
    raise ValueError("invalid RSA private JWK: cannot recover p and q from n, e and d")


def _ordered(factor: int, n: int) -> tuple[int, int]:
    """The factor and its cofactor, larger first (as cryptography orders p and q)."""
    other = n // factor
    return (factor, other) if factor > other else (other, factor)


def _ec_from_jwk(
    jwk: Mapping[str, Any],
) -> tuple[ec.EllipticCurvePrivateKey | None, ec.EllipticCurvePublicKey]:
    crv = jwk.get("crv")
    if not isinstance(crv, str) or crv not in _alg.EC_CURVES:
        raise ValueError(f"unsupported EC curve {crv!r}; use P-256, P-384 or P-521")
    curve = _alg.EC_CURVES[crv]
    size = (curve.key_size + 7) // 8
    x, y = _member(jwk, "x"), _member(jwk, "y")
    if len(x) != size or len(y) != size:
        raise ValueError(f"EC JWK coordinates for {crv} must be {size} bytes")
    try:
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve
        ).public_key()
    except ValueError:
        raise ValueError(f"the EC JWK point is not on {crv}") from None
    if "d" not in jwk:
        return None, public
    d = _member(jwk, "d")
    if len(d) != size:
        raise ValueError(f"EC JWK 'd' for {crv} must be {size} bytes")
    try:
        private = ec.derive_private_key(int.from_bytes(d, "big"), curve)
    except ValueError:
        raise ValueError("invalid EC private key") from None
    if private.public_key().public_numbers() != public.public_numbers():
        raise ValueError("the EC JWK's 'd' does not match its 'x' and 'y'")
    return private, public


def _okp_from_jwk(jwk: Mapping[str, Any]) -> tuple[_alg.OKPPrivate | None, _alg.OKPPublic]:
    crv = jwk.get("crv")
    kinds: dict[str, tuple[Any, Any, int]] = {
        "Ed25519": (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, 32),
        "Ed448": (ed448.Ed448PrivateKey, ed448.Ed448PublicKey, 57),
    }
    if not isinstance(crv, str) or crv not in kinds:
        raise ValueError(f"unsupported OKP curve {crv!r}; use Ed25519 or Ed448")
    priv_cls, pub_cls, size = kinds[crv]
    x = _member(jwk, "x")
    if len(x) != size:
        raise ValueError(f"{crv} public key must be {size} bytes")
    public = pub_cls.from_public_bytes(x)
    if "d" not in jwk:
        return None, public
    d = _member(jwk, "d")
    if len(d) != size:
        raise ValueError(f"{crv} private key must be {size} bytes")
    private = priv_cls.from_private_bytes(d)
    raw_pub = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if raw_pub != x:
        raise ValueError(f"the {crv} JWK's 'd' does not match its 'x'")
    return private, public
