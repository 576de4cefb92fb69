"""atheris harness: ``KeySet.from_jwks`` on any document.

Promise checked: only ``ValueError`` or ``TypeError`` escapes, a document is turned into keys
within ``JWKS_TIME_LIMIT`` seconds, and a key set that is returned is usable (its private keys
sign tokens the set verifies, its public JWKS loads back) (``fuzz.checks.check_jwks``).

Inputs are JWK Set JSON documents. The custom mutator edits one key as JSON: kty, crv, alg,
use, key_ops and kid values of every type, base64url members of telling lengths (empty, one
byte, the right size, a 64 Ki-bit RSA modulus), private members added or dropped.

    .venv/bin/python -m fuzz.fuzz_jwks -max_total_time=600 /tmp/new fuzz/corpus/jwks
"""

from __future__ import annotations

import json
import random
from typing import Any

import atheris

with atheris.instrument_imports(include=["jwtgate"]):
    import jwtgate  # noqa: F401  (instrumented before anything else imports it)

from .checks import check_jwks
from .fuzzkit import b64u, mutate_json, random_value, run

MAX_LEN = 40_000
JWK_NAMES = (
    "kty",
    "crv",
    "alg",
    "use",
    "key_ops",
    "kid",
    "k",
    "n",
    "e",
    "d",
    "p",
    "q",
    "dp",
    "dq",
    "qi",
    "oth",
    "x",
    "y",
    "x5c",
)
TELLING_VALUES: dict[str, tuple[Any, ...]] = {
    "kty": ("RSA", "EC", "OKP", "oct", "rsa", "", "RSA-PSS"),
    "crv": ("P-256", "P-384", "P-521", "Ed25519", "Ed448", "X25519", "secp256k1", "p-256"),
    "alg": ("RS256", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed448", "HS256", "none"),
    "use": ("sig", "enc", "SIG"),
    "key_ops": (["sign"], ["verify"], ["encrypt"], [], ["sign", "verify"], "sign"),
}
# Lengths of base64url members: empty, tiny, the sizes of real coordinates and moduli, huge.
MEMBER_BYTES = (0, 1, 3, 31, 32, 33, 48, 57, 66, 128, 256, 257, 512, 1024, 2048, 8192)


def mutate_key(jwk: dict[str, Any], rng: random.Random) -> None:
    """Change one member of ``jwk`` in place."""
    name = rng.choice(JWK_NAMES)
    roll = rng.random()
    if roll < 0.15:
        jwk.pop(name, None)
    elif name in TELLING_VALUES and roll < 0.7:
        jwk[name] = rng.choice(TELLING_VALUES[name])
    elif roll < 0.85:
        size = rng.choice(MEMBER_BYTES)
        raw = bytes(rng.getrandbits(8) for _ in range(size))
        if raw and rng.random() < 0.5:
            raw = b"\xff" + raw[1:-1] + b"\x01"  # a full-size odd modulus, if it is one
        jwk[name] = b64u(raw).decode()
    else:
        jwk[name] = random_value(rng)


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    """libFuzzer custom mutator: byte-level, whole-document JSON, or one key's members."""
    rng = random.Random(seed)
    roll = rng.random()
    if roll < 0.2:
        return bytes(atheris.Mutate(data, max_size))
    if roll < 0.3:
        return mutate_json(data, ("keys",), rng, max_size)
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return bytes(atheris.Mutate(data, max_size))
    entries = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        return bytes(atheris.Mutate(data, max_size))
    index = rng.randrange(len(entries))
    if rng.random() < 0.1:
        entries.append(entries[index])  # duplicate kid
    elif isinstance(entries[index], dict):
        for _ in range(rng.randint(1, 3)):
            mutate_key(entries[index], rng)
    else:
        entries[index] = random_value(rng)
    try:
        return json.dumps(doc, separators=(",", ":")).encode()[:max_size]
    except (ValueError, RecursionError):
        return data


def main() -> None:
    """Run libFuzzer on the arguments given (flags and corpus directories)."""
    run(check_jwks, mutate, max_len=MAX_LEN)


if __name__ == "__main__":
    main()
