"""Inputs the atheris harnesses (fuzz/) found, each pinned as a test of the fix it led to.

The raw crash inputs also live in fuzz/corpus/<harness>/regress-*, so every fuzz run replays
them first; these tests say in plain terms what was wrong.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from jwtgate import (
    InvalidClaim,
    InvalidHeader,
    InvalidToken,
    Key,
    KeySet,
    MalformedToken,
    decode,
    encode,
    unverified_header,
)

NOW = 1_700_000_000


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed(header: dict[str, Any], claims: dict[str, Any], key: Key) -> str:
    """A token with exactly this header, really signed by ``key``."""
    signing_input = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
    return signing_input + "." + b64u(key.sign(signing_input.encode()))


@pytest.mark.parametrize("member", ["kid", "typ"])
def test_null_kid_or_typ_is_an_invalid_header(member: str) -> None:
    """fuzz_decode: {"alg": "PS384", "kid": null} verified as if kid were absent (every key of
    the algorithm was tried) although RFC 7515 4.1.4/4.1.9 make both members strings; PyJWT
    refuses it. A present member of the wrong type is now InvalidHeader, null included."""
    key = Key.generate("HS256", kid="k1")
    claims = {"sub": "1", "exp": NOW + 60}
    assert decode(encode(claims, key), key, now=NOW) == claims
    token = signed({"alg": "HS256", member: None}, claims, key)
    with pytest.raises(InvalidHeader, match=f"'{member}' header must be a string"):
        decode(token, key, now=NOW)


def raw_signed(header: bytes, claims: dict[str, Any], key: Key) -> str:
    """A token whose header segment is exactly ``header``, really signed by ``key``."""
    signing_input = b64u(header) + "." + b64u(json.dumps(claims).encode())
    return signing_input + "." + b64u(key.sign(signing_input.encode()))


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_constants_in_the_header_are_malformed(constant: bytes) -> None:
    """fuzz_decode: the header parser (stdlib json) accepted NaN and Infinity, which are not
    JSON (RFC 8259 6), so jwtgate verified tokens every other library refuses, and
    unverified_header (orjson) could not show a header that had just verified."""
    key = Key.generate("HS256")
    token = raw_signed(b'{"alg":"HS256","x":' + constant + b"}", {"exp": NOW + 60}, key)
    with pytest.raises(MalformedToken):
        decode(token, key, now=NOW)
    with pytest.raises(MalformedToken):
        unverified_header(token)


def test_unverified_header_parses_the_header_as_verification_does() -> None:
    """fuzz_decode: a header with an integer past 64 bits verified, but unverified_header
    (orjson) refused it, so `jwtgate token inspect` could not show a valid token; and a header
    with a duplicate member, refused by verification, was shown with the last value winning."""
    key = Key.generate("HS256")
    big = b'{"alg":"HS256","zip":' + b"1" * 300 + b"}"
    token = raw_signed(big, {"exp": NOW + 60}, key)
    assert decode(token, key, now=NOW) == {"exp": NOW + 60}
    assert unverified_header(token) == {"alg": "HS256", "zip": int("1" * 300)}
    duplicate = raw_signed(b'{"alg":"HS256","alg":"none"}', {"exp": NOW + 60}, key)
    with pytest.raises(InvalidHeader):
        decode(duplicate, key, now=NOW)
    with pytest.raises(MalformedToken):
        unverified_header(duplicate)


# A 2048-bit prime (one factor of a 4096-bit RSA key): a "modulus" nothing can factor.
PRIME_2048 = int(
    "dae8f14b4510b7254bb8646f1b5062508ba5104549bc64ce571aeb86a936b365"
    "340aca6e80810fc1243ba37ba08da090dbf8744598e0b8f64a958becf295c2c2"
    "dd51b21e369abedd1fdc4969e70da08e01412ae22a0d1d06e87e9541cb725785"
    "2069554848cbedc95fb5cf97759b324cd813287a4242ab1ab55624c0f33174ef"
    "48422c4bcf892b5fcda4314e6e5933e4e93f622ece74abddc3d93c2550dcf79f"
    "a5bc880f6b9add683e7b131f6db97574651064eef11a74bc44026689a0998c91"
    "0fa2e54816ed392f239ded79bc0fdedaa13ded0d227e55e939dc61d4a2258531"
    "fbf9c474e372446611a5e87e5982c601e348f8e64c36f30f226b6e123b251fbf",
    16,
)
E = 65537


def uint(value: int) -> str:
    return b64u(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def rsa_jwk(n: int, d: int | None = None, e: int = E) -> dict[str, str]:
    jwk = {"kty": "RSA", "alg": "RS256", "n": uint(n), "e": uint(e)}
    return jwk if d is None else {**jwk, "d": uint(d)}


def refused_within(seconds: float, jwk: dict[str, str]) -> str:
    """Key.from_jwk and KeySet.from_jwks both refuse jwk with ValueError, in time."""
    start = time.perf_counter()
    with pytest.raises(ValueError) as caught:
        Key.from_jwk(jwk)
    with pytest.raises(ValueError):
        KeySet.from_jwks({"keys": [jwk]})
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    return str(caught.value)


@pytest.mark.parametrize(
    "jwk",
    [
        pytest.param(rsa_jwk(PRIME_2048, pow(E, -1, PRIME_2048 - 1)), id="prime-modulus"),
        pytest.param(
            rsa_jwk(PRIME_2048**2, pow(E, -1, PRIME_2048 * (PRIME_2048 - 1))),
            id="prime-square-modulus",
        ),
    ],
)
def test_rsa_private_jwk_whose_modulus_cannot_be_factored_is_refused_quickly(
    jwk: dict[str, str],
) -> None:
    """Writing fuzz_jwks: an RSA private JWK with only n, e and d whose "modulus" is a prime
    (or a prime power) with a matching d passed cryptography's consistency check, and its
    prime-recovery loop then tried 1000 bases: 35 s of CPU per key at 2048 bits, and a JWK Set
    holds up to 100 keys. Recovery is now bounded (a prime or prime power is recognised at
    once; any other modulus falls to each base with probability at least 1/2)."""
    refused_within(1.0, jwk)


def test_rsa_jwk_over_8192_bits_is_refused_before_any_arithmetic() -> None:
    """Writing fuzz_jwks: a 65536-bit modulus with an unrelated d took 450 s (one modular
    exponentiation in cryptography's consistency check); RSA JWKs are now 2048 to 8192 bits."""
    n = (1 << 65535) | 1
    message = refused_within(0.5, rsa_jwk(n, d=n - 2))
    assert "8192" in message
    refused_within(0.5, rsa_jwk(n))
    refused_within(0.5, rsa_jwk((1 << 1023) | 1, d=3))  # under 2048 bits: refused first


def test_rsa_private_jwk_with_d_not_below_n_is_refused() -> None:
    key = Key.generate("RS256")
    jwk = key.to_jwk(private=True)
    n = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big")
    refused_within(0.5, {**rsa_jwk(n), "d": uint(n + 1)})


def test_rsa_private_jwk_with_only_n_e_d_still_loads_quickly() -> None:
    key = Key.generate("RS256")
    full = key.to_jwk(private=True)
    bare = {name: full[name] for name in ("kty", "alg", "kid", "n", "e", "d")}
    start = time.perf_counter()
    for _ in range(10):
        loaded = Key.from_jwk(bare)
    assert time.perf_counter() - start < 2.0
    assert loaded.to_jwk(private=True) == full
    token = encode({"exp": NOW + 60}, loaded)
    assert decode(token, key.public(), now=NOW) == {"exp": NOW + 60}


@pytest.mark.parametrize("name", ["aud", "iss", "sub", "jti"])
def test_null_registered_string_claims_are_invalid(name: str) -> None:
    """fuzz_decode: {"aud": null} passed decode when no audience was expected (null read as
    absent, though the token names an audience slot), and a null sub, jti or iss passed while
    a number there was refused. RFC 7519 4.1 makes them strings (aud: or arrays of strings),
    so a present null is now InvalidClaim, as the core already did for exp, nbf and iat."""
    key = Key.generate("HS256")
    token = encode({"exp": NOW + 60, name: None}, key)
    with pytest.raises(InvalidClaim, match=f"'{name}' must be a string"):
        decode(token, key, now=NOW)
    with pytest.raises(InvalidToken):
        decode(token, key, now=NOW, issuer="https://auth.example", audience="api")
