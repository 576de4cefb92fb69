"""atheris harness: ``decode``, ``verify_jws`` and ``unverified_header`` on any input.

Promise checked (DESIGN.md, rules of the core): only ``InvalidToken`` escapes, whatever the
input; and a token that is accepted honours the policy and verifies under PyJWT with the one
algorithm of its key (``fuzz.checks.check_token``).

Inputs are compact tokens. Besides libFuzzer's byte mutations, the custom mutator makes
structured ones: it decodes a segment, mutates the header or claims as JSON (alg spellings,
kid traversal, crit, embedded jwk/jku/x5u/x5c, wrong types, duplicates, deep nesting, time
claims at the edges) or as bytes, and then usually re-signs the result with the harness key the
header names, or with an HMAC keyed by that key's public PEM or JWK (algorithm confusion), so
the fuzzer reaches claims validation instead of stopping at the signature.

    .venv/bin/python -m fuzz.fuzz_decode -max_total_time=600 /tmp/new fuzz/corpus/decode
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random

import atheris

with atheris.instrument_imports(include=["jwtgate"]):
    import jwtgate  # noqa: F401  (instrumented before anything else imports it)

from .checks import check_token
from .fuzzkit import CLAIM_NAMES, HEADER_NAMES, b64u, mutate_json, run, signing_keys, unb64u

MAX_LEN = 10_000  # above the 8 KiB token limit, so the size check is exercised too


def resign(header: bytes, payload: bytes, rng: random.Random) -> bytes:
    """Sign ``header.payload`` as the header asks, when a harness key fits; else leave the
    signature for libFuzzer to invent."""
    signing_input = b64u(header) + b"." + b64u(payload)
    try:
        parsed = json.loads(header)
    except (ValueError, RecursionError):
        parsed = None
    alg = parsed.get("alg") if isinstance(parsed, dict) else None
    kid = parsed.get("kid") if isinstance(parsed, dict) else None
    keys = signing_keys()
    named = [k for k in keys if k.kid == kid] or [k for k in keys if k.alg == alg] or list(keys)
    key = rng.choice(named)
    if isinstance(alg, str) and alg.startswith("HS") and not key.is_symmetric:
        # Algorithm confusion (CVE-2015-9235 and kin): HMAC keyed with the public key.
        secret = key.to_pem() if rng.random() < 0.5 else json.dumps(key.to_jwk()).encode()
        digest = {"HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(alg, hashlib.sha256)
        signature = hmac.new(secret, signing_input, digest).digest()
    else:
        signature = key.sign(signing_input)
    return signing_input + b"." + b64u(signature)


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    """libFuzzer custom mutator: byte-level or structured (see the module docstring)."""
    rng = random.Random(seed)
    parts = data.split(b".")
    if rng.random() < 0.25 or len(parts) != 3:
        return bytes(atheris.Mutate(data, max_size))
    header, payload = unb64u(parts[0]), unb64u(parts[1])
    if header is None or payload is None:
        return bytes(atheris.Mutate(data, max_size))
    roll = rng.random()
    if roll < 0.35:
        header = mutate_json(header, HEADER_NAMES, rng, max_size)
    elif roll < 0.75:
        payload = mutate_json(payload, CLAIM_NAMES, rng, max_size)
    elif roll < 0.85:
        payload = bytes(atheris.Mutate(payload, max_size))
    elif roll < 0.9:
        header = bytes(atheris.Mutate(header, max_size))
    if rng.random() < 0.8:
        out = resign(header, payload, rng)
    else:
        signature = unb64u(parts[2]) or b""
        out = b64u(header) + b"." + b64u(payload) + b"." + b64u(atheris.Mutate(signature, 600))
    return out[:max_size]


def main() -> None:
    """Run libFuzzer on the arguments given (flags and corpus directories)."""
    run(check_token, mutate, max_len=MAX_LEN)


if __name__ == "__main__":
    main()
