"""Shared pieces of the atheris harnesses: the fixed harness keys, the verification policy the
oracles check against, JSON-aware mutations, and the libFuzzer runner.

Nothing here imports atheris at module level, so the tests can replay corpora through the same
oracles (``fuzz.checks``) without the fuzzing engine.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from jwtgate import Key, KeySet

FUZZ_DIR = Path(__file__).resolve().parent
CORPUS_DIR = FUZZ_DIR / "corpus"
# A private JWK Set made by ``python -m fuzz.seeds --new-keys``. Test material only: it signs
# the seed tokens, so the fuzzer starts from tokens that really verify.
KEYS_FILE = FUZZ_DIR / "keys.json"

# The policy every harness verifies with; a fixed clock keeps runs reproducible.
NOW = 1_700_000_000
ISSUER = "https://auth.example"
AUDIENCE = "api"

Mutator = Callable[[bytes, int, int], bytes]


@cache
def signing_keys() -> tuple[Key, ...]:
    """The harness keys, private (HMAC, RSA, RSA-PSS, ECDSA P-256/P-521, Ed25519, Ed448)."""
    jwks = json.loads(KEYS_FILE.read_text())
    return tuple(Key.from_jwk(jwk) for jwk in jwks["keys"])


@cache
def verification_keys() -> KeySet:
    """What a verifier holds: the public halves, and the HMAC secret itself."""
    return KeySet(k if k.is_symmetric else k.public() for k in signing_keys())


def b64u(data: bytes) -> bytes:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def unb64u(data: bytes) -> bytes | None:
    """Lenient base64url decoding for the mutators (None when it is not base64 at all)."""
    try:
        return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    except ValueError:
        return None


# Values that have broken JWT libraries before: alg spellings, types in the wrong place, huge
# and tiny numbers, path and SQL fragments in kid, header-embedded keys, deep nesting.
INTERESTING: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    2**64,
    -(2**63),
    10**400,
    1e308,
    -1e308,
    0.5,
    float("nan"),
    float("inf"),
    "",
    "none",
    "None",
    "NONE",
    "nOnE",
    "HS256",
    "HS512",
    "RS256",
    "PS384",
    "ES256",
    "ES512",
    "EdDSA",
    "Ed25519",
    "Ed448",
    "at+jwt",
    "JWT",
    "application/at+jwt",
    "../../../../dev/null",
    "' OR '1'='1",
    "\x00",
    "x" * 5000,
    [],
    {},
    [[[[[[]]]]]],
    {"a": {"b": {"c": {}}}},
    ["api"],
    ["other", "api"],
    ["exp"],
    ["b64"],
    ISSUER,
    AUDIENCE,
    NOW,
    NOW - 1,
    NOW + 1,
    NOW + 3600,
    {"kty": "oct", "k": "AAAA"},
    {"kty": "EC", "crv": "P-256", "x": "", "y": ""},
    "http://127.0.0.1:1/jwks.json",
    ["MIIB"],
)
HEADER_NAMES = ("alg", "kid", "typ", "cty", "crit", "b64", "jwk", "jku", "x5u", "x5c", "x5t", "zip")
CLAIM_NAMES = ("exp", "nbf", "iat", "iss", "aud", "sub", "jti", "scope", "roles", "sid")


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """An interesting value, or a random one of any JSON type."""
    roll = rng.random()
    if roll < 0.6 or depth > 3:
        return rng.choice(INTERESTING)
    if roll < 0.7:
        return rng.randint(-(2**70), 2**70)
    if roll < 0.8:
        return "".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(0, 20)))
    if roll < 0.9:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(CLAIM_NAMES): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def nested(depth: int) -> Any:
    """A value nested ``depth`` levels deep, alternating arrays and objects."""
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


def mutate_json(text: bytes, names: tuple[str, ...], rng: random.Random, max_size: int) -> bytes:
    """A JSON-aware mutation of ``text``: set, delete, nest or duplicate a member.

    Text that is not a JSON object gets a fresh object with one member.
    """
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        value = {rng.choice(names): random_value(rng)}
    obj: dict[str, Any] = value
    roll = rng.random()
    name = rng.choice(names) if rng.random() < 0.8 or not obj else rng.choice(list(obj))
    if roll < 0.5:
        obj[name] = random_value(rng)
    elif roll < 0.65:
        obj.pop(name, None)
    elif roll < 0.75:
        obj[name] = nested(rng.choice((8, 31, 32, 33, 40, 200, 2000)))
    elif roll < 0.85 and obj:
        # A duplicate member: JSON parsers disagree on which one wins.
        body = json.dumps(obj, separators=(",", ":"))
        extra = json.dumps({name: random_value(rng)}, separators=(",", ":"))[1:-1]
        return (body[:-1] + ("," if len(body) > 2 else "") + extra + "}").encode()[:max_size]
    else:
        obj[name] = [obj.get(name)] if rng.random() < 0.5 else {"v": obj.get(name)}
    try:
        out = json.dumps(obj, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        return text
    return out[:max_size]


def run(test_one_input: Callable[[bytes], None], mutator: Mutator, *, max_len: int) -> None:
    """Start libFuzzer with ``sys.argv`` (libFuzzer flags and corpus directories)."""
    import atheris

    args = list(sys.argv)
    if not any(a.startswith("-max_len=") for a in args):
        args.insert(1, f"-max_len={max_len}")
    atheris.Setup(args, test_one_input, custom_mutator=mutator)
    atheris.Fuzz()
