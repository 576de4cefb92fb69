"""JWS compact serialization (RFC 7515 sections 3.1, 5.1, 5.2, 7.1).

Verification rules (RFC 8725): the key binds the algorithm (a token is checked only by a key
whose ``alg`` equals the header's), ``none`` is never accepted, header parameters that carry
keys or key URLs (``jwk``, ``jku``, ``x5u``, ``x5c``) are never used to find a key, ``crit``
names we do not understand reject the token (RFC 7515 4.1.11), ``b64: false`` (RFC 7797) is
not supported, and every input is bounded before it is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from .algorithms import ALGORITHMS
from .b64 import b64url_encode, decode_checked
from .errors import (
    InvalidHeader,
    InvalidSignature,
    MalformedToken,
    UnknownKey,
    UnsupportedAlgorithm,
)
from .jwk import Key
from .keyset import KeySet

__all__ = [
    "MAX_HEADER_SIZE",
    "MAX_JSON_DEPTH",
    "MAX_TOKEN_SIZE",
    "sign_jws",
    "unverified_header",
    "verify_jws",
]

MAX_TOKEN_SIZE = 8 * 1024
MAX_HEADER_SIZE = 4 * 1024
MAX_JSON_DEPTH = 32

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)")
# Parsed headers by their exact encoded segment. Headers repeat across tokens (one per key),
# so this skips a base64 decode and a JSON parse per token. Only valid headers are stored,
# and the size is bounded: a flood of distinct headers costs only a re-parse.
_HEADER_CACHE: dict[str, tuple[dict[str, Any], str, str | None, str | None]] = {}
_HEADER_CACHE_SIZE = 512

KeysLike = KeySet | Key


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (iterative: no recursion limit to hit)."""
    depth = 0
    level: list[Any] = [value]
    while level:
        containers = [v for v in level if isinstance(v, dict | list)]
        if not containers:
            break
        depth += 1
        level = [item for c in containers for item in (c.values() if isinstance(c, dict) else c)]
    return depth


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise InvalidHeader("the JOSE header has a duplicate member name (RFC 7515 5.2)")
    return out


def _header_json(segment: str) -> Any:
    """The header segment as JSON. orjson first, as for the claims: strict RFC 8259 UTF-8
    JSON, so no NaN/Infinity and no lone surrogate, escaped or not (RFC 8725 3.7); then the
    stdlib parser, which can reject duplicate names. Headers are cached, so the second parse
    costs nothing on the hot path. ValueError or RecursionError when it is not JSON;
    InvalidHeader for a duplicate name."""
    raw = decode_checked(segment)
    orjson.loads(raw)
    return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)


def _parse_header(segment: str) -> tuple[dict[str, Any], str, str | None, str | None]:
    if len(segment) > MAX_HEADER_SIZE:
        raise InvalidHeader(f"the JOSE header is larger than {MAX_HEADER_SIZE} characters")
    try:
        header = _header_json(segment)
    except InvalidHeader:
        raise
    except (ValueError, RecursionError):
        raise MalformedToken("the JOSE header is not base64url-encoded JSON") from None
    if not isinstance(header, dict):
        raise InvalidHeader("the JOSE header must be a JSON object")
    if json_depth(header) > MAX_JSON_DEPTH:
        raise InvalidHeader("the JOSE header is nested too deeply")
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise InvalidHeader("the JOSE header has no 'alg' string (RFC 7515 4.1.1)")
    if alg not in ALGORITHMS:
        if alg.lower() == "none":
            raise UnsupportedAlgorithm('alg "none" is never accepted (RFC 8725 3.1)')
        raise UnsupportedAlgorithm(f"unsupported algorithm {_short(alg)}")
    kid = header.get("kid")
    if "kid" in header and not isinstance(kid, str):  # null is not absent
        raise InvalidHeader("the 'kid' header must be a string")
    typ = header.get("typ")
    if "typ" in header:
        if not isinstance(typ, str):
            raise InvalidHeader("the 'typ' header must be a string")
        typ = normalize_typ(typ)
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            raise InvalidHeader("'crit' must be a non-empty array of strings (RFC 7515 4.1.11)")
        raise InvalidHeader(f"critical header extensions not understood: {_short(crit)}")
    if "b64" in header and header["b64"] is not True:
        raise InvalidHeader("unencoded payloads (b64: false, RFC 7797) are not supported")
    for name in ("cty", "jku", "x5u", "x5t", "x5t#S256"):
        if name in header and not isinstance(header[name], str):
            raise InvalidHeader(f"the {name!r} header must be a string")
    return header, alg, kid, typ


def normalize_typ(typ: str) -> str:
    """RFC 7515 4.1.9: compare media types case-insensitively, ``application/`` optional."""
    typ = typ.lower()
    return typ[12:] if typ.startswith("application/") else typ


def _header_info(segment: str) -> tuple[dict[str, Any], str, str | None, str | None]:
    info = _HEADER_CACHE.get(segment)
    if info is None:
        if _SEGMENT.fullmatch(segment) is None:
            raise MalformedToken("the JOSE header is not base64url")
        info = _parse_header(segment)
        if len(_HEADER_CACHE) >= _HEADER_CACHE_SIZE:
            _HEADER_CACHE.clear()
        _HEADER_CACHE[segment] = info
    return info


def verify_compact(
    token: str | bytes,
    keys: KeysLike,
    algorithms: Iterable[str] | None,
    max_size: int,
) -> tuple[tuple[dict[str, Any], str, str | None, str | None], bytes]:
    """Check a compact JWS and return (header info, payload bytes). Internal hot path."""
    if type(token) is not str:
        if isinstance(token, bytes | bytearray):
            try:
                token = bytes(token).decode("ascii")
            except UnicodeDecodeError:
                raise MalformedToken("a token is ASCII text") from None
        elif isinstance(token, str):
            token = str(token)
        else:
            raise MalformedToken(f"a token is a string, not {type(token).__name__}")
    if len(token) > max_size:
        raise MalformedToken(f"the token is larger than {max_size} bytes")
    # Only the header segment is matched against the alphabet; non-ASCII text elsewhere
    # would make encode("ascii") and hmac.compare_digest raise. isascii() is O(1) in CPython.
    if not token.isascii():
        raise MalformedToken("a token is ASCII text")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken(
            "not a compact JWS: expected three base64url segments separated by dots"
        )
    header_seg, payload_seg, sig_seg = parts
    info = _header_info(header_seg)
    alg = info[1]
    if algorithms is not None and alg not in algorithms:
        raise UnsupportedAlgorithm(f"algorithm {alg} is not allowed here")
    if type(keys) is Key:
        keys = keys._as_set()
    kid = info[2]
    signing_input = token[: len(header_seg) + len(payload_seg) + 1].encode("ascii")
    if kid is not None:
        named = keys._by_kid.get(kid)  # type: ignore[union-attr]
        if named is None:
            raise UnknownKey(f"no key with kid {_short(kid)}")
        key = named.get(alg)  # (alg, kid) picks exactly one key
        if key is None:
            raise UnsupportedAlgorithm(
                f"key {_short(kid)} is bound to {', '.join(named)}; the token says {alg}"
            )
        if not sig_seg:
            raise InvalidSignature("the token has no signature")
        if not key._verify(signing_input, sig_seg):
            raise _signature_failure(payload_seg, sig_seg)
    else:
        candidates = keys.with_alg(alg)  # type: ignore[union-attr]
        if not candidates:
            raise UnknownKey(f"no {alg} key to verify this token")
        if not sig_seg:
            raise InvalidSignature("the token has no signature")
        for key in candidates:
            if key._verify(signing_input, sig_seg):
                break
        else:
            raise _signature_failure(payload_seg, sig_seg)
    try:
        payload = decode_checked(payload_seg)
    except ValueError:
        raise MalformedToken("the payload is not valid base64url") from None
    return info, payload


def _signature_failure(payload_seg: str, sig_seg: str) -> MalformedToken | InvalidSignature:
    """Why verification failed. Only checked after a failure, so the hot path stays lean: a
    stray character or padding (a trailing newline from a file, say) is a malformed token,
    not a bad signature, and the message should say so."""
    try:
        decode_checked(payload_seg)
        decode_checked(sig_seg)
    except ValueError:
        return MalformedToken("the token is not strict base64url (stray character or padding)")
    return InvalidSignature("the signature does not verify")


def verify_jws(
    token: str | bytes,
    keys: KeysLike,
    *,
    algorithms: Iterable[str] | None = None,
    max_size: int = MAX_TOKEN_SIZE,
) -> bytes:
    """Verify a compact JWS signature and return its payload bytes (RFC 7515 5.2).

    Raises an :class:`InvalidToken` subclass for any problem. No claims are checked.
    """
    if isinstance(algorithms, str):
        algorithms = (algorithms,)  # one name, not a substring test
    return verify_compact(token, keys, algorithms, max_size)[1]


def header_segment(key: Key, headers: Mapping[str, Any] | None) -> str:
    """The encoded protected header for ``key`` plus extra ``headers`` (cached per key)."""
    cache_key: Any = None
    if headers is None:
        cache_key = ()
    else:
        try:
            # Only string values: 1, 1.0 and True are equal as cache keys but not as JSON.
            if all(type(value) is str for value in headers.values()):
                cache_key = tuple(sorted(headers.items()))
        except TypeError:
            cache_key = None
    if cache_key is not None:
        cached = key._header_cache.get(cache_key)
        if cached is not None:
            return cached
    header: dict[str, Any] = {"alg": key.alg, "typ": "JWT", "kid": key.kid}
    if headers:
        for name, expected in (("alg", key.alg), ("kid", key.kid)):
            if name in headers and headers[name] != expected:
                raise ValueError(f"header {name!r} must be the key's own ({expected!r})")
        header.update(headers)
    segment = b64url_encode(orjson.dumps(header))
    if cache_key is not None and len(key._header_cache) < 16:
        key._header_cache[cache_key] = segment
    return segment


def sign_jws(payload: bytes, key: Key, headers: Mapping[str, Any] | None = None) -> str:
    """Sign ``payload`` as a compact JWS with ``key`` (RFC 7515 5.1).

    TypeError when the key cannot sign (a public key).
    """
    sign = key._sign
    if sign is None:
        raise TypeError(f"key {key.kid!r} is verification-only; it cannot sign")
    segment = key._header_cache.get(()) if headers is None else None
    if segment is None:
        segment = header_segment(key, headers)
    signing_input = segment + "." + b64url_encode(payload)
    return signing_input + "." + b64url_encode(sign(signing_input.encode("ascii")))


def unverified_header(token: str | bytes) -> dict[str, Any]:
    """The JOSE header of a token WITHOUT verifying anything (for display and debugging).

    Raises :class:`MalformedToken` when the token is not a compact JWS or its header is not
    a JSON object within the bounds verification applies (size, ``MAX_JSON_DEPTH``).
    """
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_SIZE:
        raise MalformedToken("not a compact JWS")
    match = _COMPACT.fullmatch(token)
    if match is None:
        raise MalformedToken(
            "not a compact JWS: expected three base64url segments separated by dots"
        )
    try:
        header = _header_json(match.group(1))  # the parser verification uses, so they agree
    except (ValueError, RecursionError, InvalidHeader):
        raise MalformedToken("the JOSE header is not base64url-encoded JSON") from None
    if not isinstance(header, dict):
        raise MalformedToken("the JOSE header must be a JSON object")
    if json_depth(header) > MAX_JSON_DEPTH:  # the bound verification applies
        raise MalformedToken("the JOSE header is nested too deeply")
    return header
