"""DPoP proofs (RFC 9449): check that the sender of a request holds the key a token is bound to.

A proof is a compact JWS the client signs for each request, with its public key in the ``jwk``
header. :func:`verify_proof` runs every check of RFC 9449 4.3 (and, given the access token and
its ``cnf.jkt``, those of 7.1), cheapest first, and raises :class:`InvalidDPoPProof` (or
:class:`UseDPoPNonce`) naming the one that failed:

1. a compact JWS of bounded size, its header a JSON object (no ``crit`` we do not know);
2. ``typ`` is ``dpop+jwt``;
3. ``alg`` is asymmetric and one of the allowed algorithms (never ``none``, never HMAC);
4. ``jwk`` is a public key for that algorithm: private members are refused (a client that
   sent its private key has lost it), as are symmetric keys;
5. the signature verifies with that key;
6. the claims: ``jti`` (a string), ``htm`` equal to the request's method, ``htu`` equal to
   the request's URL without query and fragment, both compared after RFC 3986 6.2.2/6.2.3
   normalisation (case of scheme and host, default port, percent-encoding case, empty path);
   ``iat`` within ``max_age`` seconds in the past (and ``leeway`` in the future);
7. ``nonce`` equal to one the server issued, when it demands one (RFC 9449 8, 9);
8. ``ath`` = base64url(SHA-256(access token)) when an access token comes with the proof (7.1);
9. the key's RFC 7638 thumbprint equals the token's ``cnf.jkt`` when one is given (7.1);
10. ``jti`` not seen before within the window: the :class:`ReplayCache` (bounded) remembers
    each accepted proof for as long as its ``iat`` could still pass check 6. Done last, so only
    proofs that passed every other check can take room in it.

Pure: no I/O. The replay cache is a Protocol; :class:`MemoryReplayCache` is bounded and
per process (the server shares one through Redis).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import orjson

from .algorithms import ALGORITHMS
from .b64 import b64url_encode, decode_checked
from .errors import InvalidDPoPProof, InvalidToken, UseDPoPNonce
from .jwk import Key
from .jws import _header_info

__all__ = [
    "DEFAULT_DPOP_ALGORITHMS",
    "DPOP_TYP",
    "DPoPProof",
    "MemoryReplayCache",
    "NonceSource",
    "ReplayCache",
    "access_token_hash",
    "normalize_htu",
    "verify_proof",
]

DPOP_TYP = "dpop+jwt"
# Asymmetric only (RFC 9449 4.2); HMAC is refused whatever the caller asks for.
DEFAULT_DPOP_ALGORITHMS = (
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
    "PS256",
    "PS384",
    "PS512",
    "RS256",
)
MAX_PROOF_SIZE = 8 * 1024
MAX_JTI = 256
MAX_NONCE = 512
_PRIVATE_MEMBERS = frozenset(("d", "p", "q", "dp", "dq", "qi", "oth", "k"))
_NUMBER = (int, float)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Keys of proofs' headers (by encoded header segment): a client signs every proof with the
# same key, so its JWK is parsed and thumbprinted once. Only valid keys; bounded.
_KEYS: dict[str, tuple[Key, str]] = {}
_KEYS_SIZE = 512


def _percent(match: re.Match[str]) -> str:
    """RFC 3986 6.2.2.2: decode unreserved characters, upper-case the other encodings."""
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def check_algorithms(algorithms: Iterable[str]) -> frozenset[str]:
    """The allowed proof algorithms; ValueError for an unknown or symmetric one."""
    names = frozenset((algorithms,) if isinstance(algorithms, str) else algorithms)
    if not names:
        raise ValueError("give at least one DPoP algorithm")
    for name in names:
        spec = ALGORITHMS.get(name)
        if spec is None or spec.family == "HMAC":
            raise ValueError(f"{name!r} is not an asymmetric JWS algorithm (RFC 9449 4.2)")
    return names


def access_token_hash(token: str) -> str:
    """``ath``: base64url of the SHA-256 of the access token's ASCII (RFC 9449 4.2)."""
    return b64url_encode(hashlib.sha256(token.encode("ascii")).digest())


def normalize_htu(url: str) -> str:
    """``url`` without query and fragment, in RFC 3986 6.2.2/6.2.3 normal form: lower-case
    scheme and host, no default port, an empty path as ``/``, percent-encodings of unreserved
    characters decoded and the others in upper case. ValueError when not an absolute URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("htu must be an absolute http or https URL")
    port = parts.port  # ValueError for a bad port
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _PERCENT.sub(_percent, parts.path) or "/"
    return urlunsplit((scheme, netloc, path, "", ""))


class ReplayCache(Protocol):
    """Remembers proof ids until they expire."""

    def add(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; False when it was already there (a replay),
        or when it cannot be remembered (full): both refuse the proof."""
        ...


class MemoryReplayCache:
    """At most ``maxsize`` proof ids of one process, each until its expiry.

    Expiries only grow with the clock (each is ``now + ttl`` with the same ttl from one
    policy), so the oldest entry is the first to expire and purging is O(1) amortised. When
    full of live entries it refuses new proofs (fails closed) rather than forgetting one that
    could then be replayed.
    """

    def __init__(self, maxsize: int = 100_000, *, clock: Callable[[], float] = time.time) -> None:
        if type(maxsize) is not int or maxsize < 1:
            raise ValueError("maxsize must be an integer >= 1")
        self.maxsize = maxsize
        self._clock = clock
        self._data: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str, ttl: float) -> bool:
        """See :meth:`ReplayCache.add`."""
        now = self._clock()
        with self._lock:
            data = self._data
            while data:
                oldest, expires = next(iter(data.items()))
                if expires > now:
                    break
                del data[oldest]
            if key in data:
                return False
            if len(data) >= self.maxsize:
                return False
            data[key] = now + ttl
            return True

    def __len__(self) -> int:
        return len(self._data)


class NonceSource:
    """Server-issued DPoP nonces (RFC 9449 8, 9) that need no storage: a nonce is the time
    step it was made in and an HMAC of it, so every instance sharing ``secret`` accepts the
    others'. A new nonce every ``lifetime`` seconds (rotation); the current and previous ones
    are accepted, so a client never holds one younger than ``lifetime`` that is refused."""

    def __init__(
        self,
        secret: bytes | None = None,
        *,
        lifetime: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret is None:
            secret = secrets.token_bytes(32)
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ValueError("the nonce secret must be at least 16 bytes")
        if not lifetime > 0:
            raise ValueError("lifetime must be > 0")
        self._secret = secret
        self._lifetime = float(lifetime)
        self._clock = clock

    def _make(self, step: int) -> str:
        packed = struct.pack(">Q", step)
        mac = hmac.new(self._secret, b"dpop-nonce" + packed, hashlib.sha256).digest()[:16]
        return b64url_encode(packed + mac)

    def _step(self) -> int:
        return int(self._clock() // self._lifetime)

    def current(self) -> str:
        """The nonce to hand out now (``DPoP-Nonce`` header)."""
        return self._make(self._step())

    def accepts(self, nonce: object) -> bool:
        """True for the current or the previous nonce."""
        if not isinstance(nonce, str) or len(nonce) > MAX_NONCE:
            return False
        step = self._step()
        return any(hmac.compare_digest(nonce, self._make(s)) for s in (step, step - 1))

    def __repr__(self) -> str:
        return f"NonceSource(lifetime={self._lifetime})"


@dataclass(frozen=True, slots=True)
class DPoPProof:
    """A proof that passed: the key's thumbprint and the claims the caller may want."""

    jkt: str
    jti: str
    iat: float
    htm: str
    htu: str
    nonce: str | None
    claims: dict[str, Any]


def _header(proof: str, algorithms: Collection[str]) -> tuple[dict[str, Any], str]:
    try:
        header, alg, _, typ = _header_info(proof.partition(".")[0])
    except InvalidToken as exc:
        raise InvalidDPoPProof(f"the DPoP proof's header is not valid ({exc})") from None
    if typ != DPOP_TYP:
        raise InvalidDPoPProof("the DPoP proof's typ must be dpop+jwt (RFC 9449 4.2)")
    if alg not in algorithms:
        raise InvalidDPoPProof(f"the DPoP proof's algorithm {alg} is not allowed here")
    return header, alg


def _key(header: dict[str, Any], alg: str) -> Key:
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidDPoPProof("the DPoP proof has no jwk header (RFC 9449 4.2)")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise InvalidDPoPProof("the DPoP proof's jwk must be a public key, not a private one")
    try:
        key = Key.from_jwk(jwk, alg=alg)
    except (ValueError, TypeError) as exc:
        raise InvalidDPoPProof(f"the DPoP proof's jwk is not a usable {alg} key ({exc})") from None
    if key.is_symmetric or key.alg != alg:
        raise InvalidDPoPProof(f"the DPoP proof's jwk is not a public {alg} key")
    return key


def _claims(proof: str, key: Key) -> dict[str, Any]:
    head, _, rest = proof.partition(".")
    payload_seg, _, sig_seg = rest.partition(".")
    if not sig_seg or not key._verify(f"{head}.{payload_seg}".encode("ascii"), sig_seg):
        raise InvalidDPoPProof("the DPoP proof's signature does not verify with its jwk")
    try:
        claims = orjson.loads(decode_checked(payload_seg))
    except (ValueError, orjson.JSONDecodeError):
        raise InvalidDPoPProof("the DPoP proof's claims are not base64url JSON") from None
    if type(claims) is not dict:
        raise InvalidDPoPProof("the DPoP proof's claims must be a JSON object")
    return claims


def _string_claim(claims: dict[str, Any], name: str, limit: int = 4096) -> str:
    value = claims.get(name)
    if type(value) is not str or not value or len(value) > limit:
        raise InvalidDPoPProof(f"the DPoP proof has no {name!r} string claim (RFC 9449 4.2)")
    return value


def verify_proof(
    proof: str,
    *,
    htm: str,
    htu: str,
    algorithms: Collection[str] = DEFAULT_DPOP_ALGORITHMS,
    max_age: float = 60.0,
    leeway: float = 5.0,
    now: float | None = None,
    access_token: str | None = None,
    jkt: str | None = None,
    nonces: NonceSource | None = None,
    replay: ReplayCache | None = None,
) -> DPoPProof:
    """Check a DPoP proof for a request (``htm`` its method, ``htu`` its URL as the client
    sent it); the checks and their order are in the module docstring.

    Raises InvalidDPoPProof naming the failed check, or UseDPoPNonce (carrying the nonce to
    use) when ``nonces`` demands one the proof lacks.
    """
    if type(proof) is not str or len(proof) > MAX_PROOF_SIZE or not proof.isascii():
        raise InvalidDPoPProof(f"the DPoP proof must be a compact JWS of at most {MAX_PROOF_SIZE}")
    if proof.count(".") != 2:
        raise InvalidDPoPProof("the DPoP proof is not a compact JWS")
    segment = proof.partition(".")[0]
    header, alg = _header(proof, algorithms)
    known = _KEYS.get(segment)
    if known is None:
        key = _key(header, alg)
        known = (key, key.thumbprint())
        if len(_KEYS) >= _KEYS_SIZE:
            _KEYS.clear()
        _KEYS[segment] = known
    key, thumbprint = known
    claims = _claims(proof, key)
    jti = _string_claim(claims, "jti", MAX_JTI)
    if _string_claim(claims, "htm") != htm:
        raise InvalidDPoPProof(f"the DPoP proof's htm does not match the request method {htm}")
    try:
        sent_htu = normalize_htu(_string_claim(claims, "htu"))
    except ValueError:
        raise InvalidDPoPProof("the DPoP proof's htu is not an absolute http(s) URL") from None
    try:
        expected_htu = normalize_htu(htu)
    except ValueError:
        raise InvalidDPoPProof("the request URL is not an absolute http(s) URL") from None
    if sent_htu != expected_htu:
        raise InvalidDPoPProof("the DPoP proof's htu does not match the request URL")
    iat: Any = claims.get("iat")
    if type(iat) not in _NUMBER:
        raise InvalidDPoPProof("the DPoP proof has no numeric 'iat' claim (RFC 9449 4.2)")
    t = time.time() if now is None else now
    if iat > t + leeway:
        raise InvalidDPoPProof("the DPoP proof was issued in the future (iat)")
    if iat < t - max_age - leeway:
        raise InvalidDPoPProof("the DPoP proof is too old (iat); sign a new one for each request")
    nonce = claims.get("nonce")
    if nonces is not None and not nonces.accepts(nonce):
        described = "has no nonce" if nonce is None else "has a stale or unknown nonce"
        raise UseDPoPNonce(
            f"the DPoP proof {described}: use the one in DPoP-Nonce", nonce=nonces.current()
        )
    if access_token is not None:
        ath = claims.get("ath")
        if type(ath) is not str or not hmac.compare_digest(ath, access_token_hash(access_token)):
            raise InvalidDPoPProof("the DPoP proof's ath does not match the access token")
    if jkt is not None and not hmac.compare_digest(thumbprint, jkt):
        raise InvalidDPoPProof("the DPoP proof is signed by another key than the token is bound to")
    if replay is not None and not replay.add(
        f"{thumbprint}:{jti}", max_age + 2 * leeway
    ):  # the longest any proof with this iat could still pass the iat check
        raise InvalidDPoPProof("the DPoP proof was used before (jti replay)")
    return DPoPProof(
        jkt=thumbprint,
        jti=jti,
        iat=float(iat),
        htm=htm,
        htu=sent_htu,
        nonce=nonce if isinstance(nonce, str) else None,
        claims=claims,
    )
