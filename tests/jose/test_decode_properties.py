"""Property tests: whatever the input, ``decode`` and ``verify_jws`` raise only ``InvalidToken``
subclasses (never KeyError, ValueError, UnicodeError, RecursionError ...), no mutation of a valid
token verifies, and claims and headers survive encode/decode unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jwtgate import (
    InvalidToken,
    Key,
    KeySet,
    MalformedToken,
    decode,
    encode,
    unverified_header,
    verify_jws,
)

from .tokenkit import ALGS, NOW, Material, b64u, claims

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
REGISTERED = {"exp", "nbf", "iat", "iss", "aud", "sub", "jti"}
REGISTERED_HEADERS = {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
                      "crit", "b64"}  # fmt: skip
ALG_NAMES = ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "ES384", "ES512",
             "EdDSA", "Ed25519", "Ed448", "none", "None", "HS1", ""]  # fmt: skip

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def keyset(materials: dict[str, Material]) -> KeySet:
    """One key per family (keys sharing material would share a kid)."""
    names = ("HS256", "HS512", "RS256", "ES256", "ES512", "EdDSA-Ed25519", "Ed448")
    return KeySet([materials[name].key for name in names])


def only_invalid_token(token: Any, keys: KeySet | Key) -> None:
    """decode and verify_jws must reject ``token`` with an InvalidToken subclass, nothing else."""
    with pytest.raises(InvalidToken) as info:
        decode(token, keys, now=NOW)
    assert info.value.code == "invalid_token"
    assert str(info.value)
    with pytest.raises(InvalidToken):
        verify_jws(token, keys)


# -- arbitrary input -------------------------------------------------------------------------


@FAST
@given(text=st.text(max_size=300))
def test_arbitrary_text(keyset: KeySet, text: str) -> None:
    only_invalid_token(text, keyset)


@FAST
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(keyset: KeySet, data: bytes) -> None:
    only_invalid_token(data, keyset)


@FAST
@given(text=st.text(alphabet=B64URL + ".=+/ \n", max_size=400))
def test_arbitrary_base64url_like_text(keyset: KeySet, text: str) -> None:
    only_invalid_token(text, keyset)


header_values = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"alg": st.sampled_from(ALG_NAMES) | json_values},
        optional={
            "kid": st.text(max_size=50) | json_values,
            "typ": st.sampled_from(["JWT", "at+jwt", "application/jwt"]) | json_values,
            "crit": st.lists(st.text(max_size=5), max_size=2) | json_values,
            "b64": json_values,
            "jwk": json_values,
            "x5c": json_values,
        },
    ),
)


@FAST
@given(
    header=header_values | st.binary(max_size=60),
    payload=json_values | st.binary(max_size=200),
    signature=st.binary(max_size=300)
    | st.sampled_from([32, 48, 64, 96, 114, 132, 256]).flatmap(
        lambda n: st.binary(min_size=n, max_size=n)
    ),
)
def test_structured_garbage(keyset: KeySet, header: Any, payload: Any, signature: bytes) -> None:
    """Well-encoded segments with arbitrary content get past the first checks."""
    head = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    token = f"{b64u(head)}.{b64u(body)}.{b64u(signature)}"
    only_invalid_token(token, keyset)
    only_invalid_token(token.encode(), keyset)


@FAST
@given(kid=st.sampled_from([0, 1, 2, 3]), body=json_values, signature=st.binary(max_size=140))
def test_garbage_signed_as_if_by_a_known_key(
    keyset: KeySet, kid: int, body: Any, signature: bytes
) -> None:
    key = list(keyset)[kid]
    head = json.dumps({"alg": key.alg, "kid": key.kid}).encode()
    token = f"{b64u(head)}.{b64u(json.dumps(body).encode())}.{b64u(signature)}"
    only_invalid_token(token, keyset)


# -- mutations of valid tokens ------------------------------------------------------------------

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(0, 7)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.characters()),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(list(B64URL + ".="))),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 4)),
    st.tuples(st.just("segments"), st.permutations([0, 1, 2]), st.integers(2, 4)),
)


def mutate(token: str, op: tuple[Any, ...]) -> str:
    kind, where, arg = op
    if kind == "segments":
        parts = token.split(".")
        chosen = [parts[i % len(parts)] for i in where]
        return ".".join((chosen * 2)[:arg])
    if not token:
        return "." if kind == "insert" else token
    index = where % (len(token) + (kind == "insert"))
    if kind == "flip":
        return token[:index] + chr(ord(token[index]) ^ (1 << arg)) + token[index + 1 :]
    if kind == "insert":
        return token[:index] + arg + token[index:]
    return token[:index] + token[index + arg :]


@pytest.mark.parametrize("name", ALGS)
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_tokens_never_verify(
    materials: dict[str, Material], name: str, ops: list[tuple[Any, ...]]
) -> None:
    material = materials[name]
    original = claims(role="user")
    token = encode(original, material.key)
    mutated = token
    for op in ops:
        mutated = mutate(mutated, op)
    if mutated == token:
        assert decode(mutated, material.public_key, now=NOW) == original
        return
    only_invalid_token(mutated, material.public_key)


# -- round trips --------------------------------------------------------------------------------

claims_sets = st.dictionaries(
    st.text(max_size=12).filter(lambda name: name not in REGISTERED), json_values, max_size=8
)


@pytest.mark.parametrize("name", ["HS256", "ES256", "EdDSA-Ed25519", "PS256"])
@FAST
@given(extra=claims_sets, sub=st.text(max_size=30), aud=st.lists(st.text(max_size=8), max_size=3))
def test_encode_decode_round_trips_any_claims(
    materials: dict[str, Material], name: str, extra: dict[str, Any], sub: str, aud: list[str]
) -> None:
    material = materials[name]
    token_claims = {**extra, "sub": sub, "exp": NOW + 60, "aud": [*aud, "api"]}
    token = encode(token_claims, material.key)
    assert decode(token, material.public_key, audience="api", now=NOW) == token_claims
    assert json.loads(verify_jws(token, material.public_key)) == token_claims


header_extras = st.dictionaries(
    # Registered header names (RFC 7515 4.1, RFC 7797) have typed values; these are private.
    st.text(min_size=1, max_size=8).filter(lambda name: name not in REGISTERED_HEADERS),
    json_values,
    max_size=4,
)


@FAST
@given(first=header_extras, second=header_extras)
def test_extra_headers_are_signed_exactly_as_given(
    materials: dict[str, Material], first: dict[str, Any], second: dict[str, Any]
) -> None:
    key = materials["ES256"].key
    for headers in (first, second, first):
        token = encode(claims(), key, headers)
        header = unverified_header(token)
        for name, value in headers.items():
            assert json.dumps(header[name]) == json.dumps(value)
        assert decode(token, key, now=NOW)["sub"] == "user-1"


@pytest.mark.parametrize("values", [(1, True, 1.0), (0, False, 0.0, -0.0), ([1], [True])])
def test_equal_but_different_header_values_are_not_confused(values: tuple[Any, ...]) -> None:
    key = Key.generate("ES256")
    for _ in range(2):
        for value in values:
            header = unverified_header(encode(claims(), key, {"x": value}))
            assert json.dumps(header["x"]) == json.dumps(value)


@FAST
@given(token=st.text(max_size=300) | st.binary(max_size=300) | st.none() | st.integers())
def test_unverified_header_raises_only_malformed_token(token: Any) -> None:
    try:
        header = unverified_header(token)
    except InvalidToken as exc:
        assert isinstance(exc, MalformedToken)
    else:
        assert isinstance(header, dict)


@FAST
@given(header=header_values, payload=json_values)
def test_unverified_header_returns_the_header_object(header: Any, payload: Any) -> None:
    token = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(payload).encode())}.AAAA"
    try:
        assert unverified_header(token) == header
    except MalformedToken:
        assert not isinstance(header, dict)
