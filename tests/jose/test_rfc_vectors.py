"""The published examples: RFC 7515 appendix A, RFC 8037 appendix A, RFC 7638 section 3.1,
RFC 7520 section 4 (one key under one kid for two algorithms).

Each vector must verify to its exact payload bytes, and every one-bit change anywhere in the
token (in the decoded header, payload or signature, re-encoded) and every swap of two
neighbouring characters must be rejected with an ``InvalidToken`` subclass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jwtgate import (
    ExpiredToken,
    InvalidToken,
    Key,
    KeySet,
    MalformedToken,
    decode,
    verify_jws,
)

from .tokenkit import b64u, load_vector, unb64u

RFC7515 = load_vector("rfc7515_appendix_a.json")["examples"]
RFC8037 = load_vector("rfc8037_appendix_a.json")
RFC7638 = load_vector("rfc7638_thumbprint.json")
RFC7520 = load_vector("rfc7520_section4.json")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def _public(jwk: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in jwk.items() if name not in PRIVATE_MEMBERS}


def _vector_cases() -> Iterator[Any]:
    for example in RFC7515:
        yield pytest.param(example["jwk"], example, id=f"RFC7515-{example['section']}")
        if example["alg"] != "HS256":
            yield pytest.param(
                _public(example["jwk"]), example, id=f"RFC7515-{example['section']}-public"
            )
    yield pytest.param(RFC8037["private_jwk"], RFC8037, id="RFC8037-A.4")
    yield pytest.param(RFC8037["public_jwk"], RFC8037, id="RFC8037-A.4-public")


VECTOR_CASES = list(_vector_cases())
# One case per token for the mutation tests: the verification key (public where there is one).
MUTATION_CASES = [
    case for case in VECTOR_CASES if case.id.endswith("-public") or case.id == "RFC7515-A.1"
]


@pytest.mark.parametrize(("jwk", "vector"), VECTOR_CASES)
def test_vector_verifies_to_the_exact_payload(jwk: dict[str, Any], vector: dict[str, Any]) -> None:
    key = Key.from_jwk(jwk, alg=vector["alg"])
    assert key.alg == vector["alg"]
    expected = bytes(vector["payload_octets"])
    assert verify_jws(vector["token"], KeySet([key])) == expected
    assert verify_jws(vector["token"], key) == expected
    assert verify_jws(vector["token"].encode(), key) == expected


def _one_bit_flips(token: str) -> Iterator[str]:
    """Every token that differs from ``token`` in one bit of one decoded segment."""
    parts = token.split(".")
    for index, part in enumerate(parts):
        raw = bytearray(unb64u(part))
        for position in range(len(raw)):
            for bit in range(8):
                raw[position] ^= 1 << bit
                yield ".".join([*parts[:index], b64u(bytes(raw)), *parts[index + 1 :]])
                raw[position] ^= 1 << bit


def _character_changes(token: str) -> Iterator[str]:
    """Swaps of neighbouring characters, and each character with one bit of its 6 flipped."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(len(token) - 1):
        if token[i] != token[i + 1]:
            yield token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    for i, char in enumerate(token):
        if char == ".":
            continue
        value = alphabet.index(char)
        for bit in range(6):
            yield token[:i] + alphabet[value ^ (1 << bit)] + token[i + 1 :]


@pytest.mark.parametrize(("jwk", "vector"), MUTATION_CASES)
def test_every_one_bit_change_is_rejected(jwk: dict[str, Any], vector: dict[str, Any]) -> None:
    keys = KeySet([Key.from_jwk(jwk, alg=vector["alg"])])
    token = vector["token"]
    count = 0
    for mutated in _one_bit_flips(token):
        assert mutated != token
        with pytest.raises(InvalidToken):
            verify_jws(mutated, keys)
        count += 1
    assert count == 8 * sum(len(unb64u(p)) for p in token.split("."))


@pytest.mark.parametrize(("jwk", "vector"), MUTATION_CASES)
def test_every_character_swap_or_change_is_rejected(
    jwk: dict[str, Any], vector: dict[str, Any]
) -> None:
    keys = KeySet([Key.from_jwk(jwk, alg=vector["alg"])])
    for mutated in _character_changes(vector["token"]):
        with pytest.raises(InvalidToken):
            verify_jws(mutated, keys)


@pytest.mark.parametrize("example", RFC7515[:3], ids=lambda e: e["section"])
def test_rfc7515_jwt_examples_decode_as_claims(example: dict[str, Any]) -> None:
    key = Key.from_jwk(
        _public(example["jwk"]) if example["alg"] != "HS256" else example["jwk"], alg=example["alg"]
    )
    claims = decode(example["token"], key, issuer="joe", now=1300819380 - 60)
    assert claims == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
    # At the real time these 2011 tokens have long expired.
    with pytest.raises(ExpiredToken):
        decode(example["token"], key, issuer="joe")


def test_a1_typ_header_is_checked_case_insensitively() -> None:
    example = RFC7515[0]
    key = Key.from_jwk(example["jwk"], alg="HS256")
    assert decode(example["token"], key, typ="jwt", now=1300819000)["iss"] == "joe"


def test_non_json_payloads_verify_but_do_not_decode_as_claims() -> None:
    example = RFC7515[3]  # A.4 signs the bytes "Payload"
    key = Key.from_jwk(example["jwk"], alg="ES512")
    assert verify_jws(example["token"], key) == b"Payload"
    with pytest.raises(MalformedToken):
        decode(example["token"], key, require=())
    ed_key = Key.from_jwk(RFC8037["public_jwk"])
    assert verify_jws(RFC8037["token"], ed_key) == b"Example of Ed25519 signing"
    with pytest.raises(MalformedToken):
        decode(RFC8037["token"], ed_key, require=())


def test_vector_headers_are_the_published_octets() -> None:
    for vector in [*RFC7515, RFC8037]:
        assert unb64u(vector["token"].split(".")[0]) == bytes(vector["protected_header_octets"])


def test_rfc7638_thumbprint_is_the_default_kid() -> None:
    jwk = {name: value for name, value in RFC7638["jwk"].items() if name != "kid"}
    key = Key.from_jwk(jwk)
    assert key.kid == RFC7638["thumbprint"] == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    # An explicit kid wins over the thumbprint.
    assert Key.from_jwk(RFC7638["jwk"]).kid == "2011-04-29"


def test_rfc8037_thumbprint_is_the_default_kid() -> None:
    assert Key.from_jwk(RFC8037["public_jwk"]).kid == RFC8037["thumbprint"]
    assert Key.from_jwk(RFC8037["private_jwk"]).kid == RFC8037["thumbprint"]


def test_rfc8037_key_infers_eddsa_and_signs_deterministically() -> None:
    private = Key.from_jwk(RFC8037["private_jwk"])
    assert private.alg == "EdDSA"
    # Ed25519 is deterministic: signing the A.4 input reproduces the published signature.
    head, body, signature = RFC8037["token"].split(".")
    assert b64u(private.sign(f"{head}.{body}".encode())) == signature


def test_rfc7520_one_rsa_key_published_as_rs256_and_ps384_under_one_kid() -> None:
    """RFC 7520 4.1 and 4.2 sign with one RSA key under one kid, as RS256 and as PS384; a
    JWK Set publishing it once per algorithm (RFC 7517 4.5) loads, and each token is
    verified by the key its (alg, kid) names, and by no other."""
    jwks = {"keys": [dict(RFC7520["jwk"], alg=t["alg"]) for t in RFC7520["tokens"]]}
    keys = KeySet.from_jwks(jwks)
    assert sorted((k.kid, k.alg) for k in keys) == [
        ("bilbo.baggins@hobbiton.example", "PS384"),
        ("bilbo.baggins@hobbiton.example", "RS256"),
    ]
    payload = unb64u(RFC7520["payload_b64"])
    for vector in RFC7520["tokens"]:
        assert verify_jws(vector["token"], keys) == payload
        only = KeySet([k for k in keys if k.alg == vector["alg"]])
        assert verify_jws(vector["token"], only) == payload
        other = KeySet([k for k in keys if k.alg != vector["alg"]])
        with pytest.raises(InvalidToken):
            verify_jws(vector["token"], other)
