"""The known attacks on JWT verifiers, each forged by hand and each rejected.

References: RFC 8725 (JWT best current practices), CVE-2015-9235 (HMAC keyed with a public
key), CVE-2022-21449 (ECDSA r = s = 0), RFC 7515 4.1.11 (crit), RFC 7797 (b64).
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jwtgate import (
    InvalidHeader,
    InvalidSignature,
    InvalidToken,
    Key,
    KeySet,
    MalformedToken,
    UnknownKey,
    UnsupportedAlgorithm,
    decode,
    encode,
    unverified_header,
    verify_jws,
)

from .tokenkit import (
    EC_CURVES,
    EC_ORDERS,
    NOW,
    Material,
    b64u,
    claims,
    compact_json,
    forge,
    hmac_signer,
    unb64u,
)


def rejects(token: str | bytes, keys: Key | KeySet, error: type[InvalidToken] = InvalidToken,
            **kw: Any) -> InvalidToken:  # fmt: skip
    kw.setdefault("now", NOW)
    with pytest.raises(error) as info:
        decode(token, keys, **kw)
    assert info.value.code == "invalid_token"
    return info.value


def header_of(token: str) -> dict[str, Any]:
    return dict(json.loads(unb64u(token.split(".")[0])))


# -- alg "none" (RFC 8725 3.1) --------------------------------------------------------------


NONE_SPELLINGS = ["none", "None", "NONE", "nOnE", "NoNe", "none ", " none", "none\x00"]


@pytest.mark.parametrize("alg", NONE_SPELLINGS)
@pytest.mark.parametrize(
    "signature", [b"", b"\x00" * 32, b"signature"], ids=["empty", "zeros", "text"]
)
def test_alg_none_in_every_spelling_is_rejected(
    materials: dict[str, Material], alg: str, signature: bytes
) -> None:
    keys = KeySet([materials[n].key for n in ("HS256", "RS256", "ES256", "EdDSA-Ed25519")])
    for kid in (None, materials["HS256"].key.kid, materials["ES256"].key.kid):
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        if kid:
            header["kid"] = kid
        token = forge(header, claims(), signature)
        rejects(token, keys, UnsupportedAlgorithm)
        with pytest.raises(InvalidToken):
            verify_jws(token, keys)
        # A "none" token with the signature segment dropped entirely.
        with pytest.raises(InvalidToken):
            verify_jws(token.rsplit(".", 1)[0], keys)


def test_none_cannot_be_allowed_through_algorithms(materials: dict[str, Material]) -> None:
    token = forge({"alg": "none"}, claims())
    rejects(token, materials["HS256"].key, algorithms=["none", "HS256"])


# -- HMAC keyed with the public key (CVE-2015-9235, RFC 8725 2.1) ---------------------------


def _public_key_encodings(material: Material) -> dict[str, bytes]:
    public = material.private.public_key()
    jwk = material.public_key.to_jwk()
    out = {
        "pem": material.public_pem,
        "pem-stripped": material.public_pem.strip(),
        "der": public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk-json": json.dumps(jwk).encode(),
        "jwk-json-compact": compact_json(jwk),
        "jwk-json-sorted": json.dumps(jwk, sort_keys=True).encode(),
    }
    if isinstance(public, ec.EllipticCurvePublicKey):
        out["x962-point"] = public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return out


@pytest.mark.parametrize("name", ["RS256", "PS256", "ES256", "ES512", "EdDSA-Ed25519"])
@pytest.mark.parametrize("hs", ["HS256", "HS384", "HS512"])
def test_hmac_token_signed_with_the_public_key_is_rejected(
    materials: dict[str, Material], name: str, hs: str
) -> None:
    material = materials[name]
    keysets = [KeySet([material.public_key]), KeySet([material.key]), material.public_key]
    for encoding, secret in _public_key_encodings(material).items():
        for kid in (None, material.key.kid):
            header: dict[str, Any] = {"alg": hs, "typ": "JWT"}
            if kid:
                header["kid"] = kid
            token = forge(header, claims(), hmac_signer(secret, hs))
            for keys in keysets:
                exc = rejects(token, keys)
                assert isinstance(exc, UnsupportedAlgorithm | UnknownKey), (encoding, exc)
                # Even listing HS256 in algorithms= cannot widen what the key allows.
                rejects(token, keys, algorithms=[hs, material.alg])


def test_duplicate_alg_members_do_not_confuse_the_verifier(materials: dict[str, Material]) -> None:
    material = materials["ES256"]
    secret = material.public_pem
    for head in (b'{"alg":"HS256","alg":"ES256"}', b'{"alg":"ES256","alg":"HS256"}'):
        token = forge(head, claims(), hmac_signer(secret))
        rejects(token, material.public_key)


def test_a_correctly_signed_header_with_a_repeated_member_is_refused() -> None:
    """RFC 7515 5.2: a header repeating a member (here ``typ``, the one a verifier checks to
    tell an access token from another kind) is refused even when its signature is right, so
    two parsers cannot read it two ways."""
    key = Key.from_secret(b"k" * 32, "HS256")
    for head in (b'{"alg":"HS256","typ":"JWT","typ":"at+jwt"}', b'{"alg":"HS256","alg":"HS256"}'):
        token = forge(head, claims(), hmac_signer(b"k" * 32))
        rejects(token, key, InvalidHeader)


# -- ECDSA signature forms (CVE-2022-21449, RFC 7518 3.4) ------------------------------------


def _ecdsa_forgeries(alg: str, token: str) -> Iterator[tuple[str, bytes]]:
    size = EC_CURVES[alg][2]
    n = EC_ORDERS[alg]
    raw = unb64u(token.split(".")[2])
    r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")

    def rs(a: int, b: int) -> bytes:
        return a.to_bytes(size, "big") + b.to_bytes(size, "big")

    yield "r=s=0", bytes(2 * size)
    yield "r=0", rs(0, s)
    yield "s=0", rs(r, 0)
    yield "r=s=n", rs(n, n)
    yield "r=n", rs(n, s)
    yield "s=n", rs(r, n)
    if r + n < 1 << (8 * size):
        yield "r+n", rs(r + n, s)
    if s + n < 1 << (8 * size):
        yield "s+n", rs(r, s + n)
    yield "r=max", rs((1 << (8 * size)) - 1, s)
    yield "s=max", rs(r, (1 << (8 * size)) - 1)
    yield "r=s=1", rs(1, 1)
    yield "swapped", rs(s, r)
    yield "one-byte-short", raw[:-1]
    yield "one-byte-long", raw + b"\x00"
    yield "zero-prefixed", b"\x00" + raw
    yield "halves-short", raw[1:size] + raw[size + 1 :]
    yield "empty", b""


@pytest.mark.parametrize("name", ["ES256", "ES384", "ES512"])
def test_ecdsa_zero_out_of_range_and_misshapen_signatures_are_rejected(
    materials: dict[str, Material], name: str
) -> None:
    material = materials[name]
    token = encode(claims(), material.key)
    assert decode(token, material.public_key, now=NOW)
    head, body, _ = token.split(".")
    for label, signature in _ecdsa_forgeries(name, token):
        forged = f"{head}.{body}.{b64u(signature)}"
        exc = rejects(forged, material.public_key)
        assert isinstance(exc, InvalidSignature | MalformedToken), (label, exc)


@pytest.mark.parametrize("name", ["ES256", "ES384", "ES512"])
def test_der_encoded_ecdsa_signature_is_rejected(materials: dict[str, Material], name: str) -> None:
    material = materials[name]
    head = b64u(compact_json({"alg": name, "kid": material.key.kid}))
    body = b64u(compact_json(claims()))
    der = material.private.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    der_right_hash = material.private.sign(
        f"{head}.{body}".encode(),
        ec.ECDSA({"ES256": hashes.SHA256(), "ES384": hashes.SHA384()}.get(name, hashes.SHA512())),
    )
    for signature in (der, der_right_hash):
        rejects(f"{head}.{body}.{b64u(signature)}", material.public_key, InvalidSignature)
    # The same signature in R || S form is accepted: the rejection is about the form.
    good = f"{head}.{body}.{b64u(material.sign(f'{head}.{body}'.encode()))}"
    assert decode(good, material.public_key, now=NOW)


@pytest.mark.parametrize("name", ["ES256", "ES512"])
def test_signature_of_another_curve_size_is_rejected(
    materials: dict[str, Material], name: str
) -> None:
    material = materials[name]
    other = materials["ES384"]
    head = b64u(compact_json({"alg": name}))
    body = b64u(compact_json(claims()))
    signature = other.sign(f"{head}.{body}".encode())
    rejects(f"{head}.{body}.{b64u(signature)}", material.public_key, InvalidSignature)


# -- keys carried in the header (RFC 8725 3.10) ---------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record (and refuse) any connection attempt: no URL from a token may be fetched."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_keys_embedded_in_the_header_are_never_used(
    materials: dict[str, Material], no_network: list[Any]
) -> None:
    victim = materials["ES256"]
    attacker = Key.generate("ES256")
    attacker_jwk = attacker.public().to_jwk()
    url = "https://attacker.example/jwks.json"
    extra_headers: list[dict[str, Any]] = [
        {"jwk": attacker_jwk},
        {"jku": url},
        {"x5u": url},
        {"x5c": ["MIIBszCCAVmgAwIBAgIUJ"]},
        {"jwk": attacker_jwk, "jku": url, "x5u": url},
    ]
    for extra in extra_headers:
        for kid in (None, victim.key.kid, attacker.kid):
            header: dict[str, Any] = {"alg": "ES256", **extra}
            if kid:
                header["kid"] = kid
            token = forge(header, claims(), attacker.sign)
            exc = rejects(token, victim.public_key)
            expected = UnknownKey if kid == attacker.kid else InvalidSignature
            assert isinstance(exc, expected), (extra, kid, exc)
    assert no_network == []


def test_embedded_header_keys_do_not_disturb_a_genuine_token(
    materials: dict[str, Material], no_network: list[Any]
) -> None:
    victim = materials["ES256"]
    header = {"alg": "ES256", "kid": victim.key.kid, "jku": "https://attacker.example/"}
    token = forge(header, claims(), victim.sign)
    assert decode(token, victim.public_key, now=NOW)["sub"] == "user-1"
    assert no_network == []


# -- tampering, stripping, wrong key --------------------------------------------------------


def test_tampered_payload_is_rejected(material: Material) -> None:
    token = encode(claims(role="user"), material.key)
    head, _, signature = token.split(".")
    for changed in (claims(role="admin"), claims(role="user", exp=NOW + 10**6), {"sub": "x"}):
        forged = f"{head}.{b64u(compact_json(changed))}.{signature}"
        rejects(forged, material.public_key, InvalidSignature)


def test_tampered_header_is_rejected(material: Material) -> None:
    token = encode(claims(), material.key, headers={"typ": "at+jwt"})
    _, body, signature = token.split(".")
    header = header_of(token)
    header["typ"] = "JWT"
    rejects(f"{b64u(compact_json(header))}.{body}.{signature}", material.public_key)


def test_stripped_or_empty_signature_is_rejected(material: Material) -> None:
    token = encode(claims(), material.key)
    head, body, _ = token.split(".")
    rejects(f"{head}.{body}.", material.public_key, InvalidSignature)
    rejects(f"{head}.{body}", material.public_key, MalformedToken)
    rejects(f"{head}.{body}.AA", material.public_key, InvalidSignature)


def test_signature_from_another_token_is_rejected(material: Material) -> None:
    first = encode(claims(sub="alice"), material.key)
    second = encode(claims(sub="mallory"), material.key)
    spliced = ".".join([*second.split(".")[:2], first.split(".")[2]])
    rejects(spliced, material.public_key, InvalidSignature)


def test_wrong_kid_is_unknown_key(materials: dict[str, Material]) -> None:
    material = materials["ES256"]
    for kid in ("nope", "", material.key.kid + "x", material.key.kid.upper()):
        token = forge({"alg": "ES256", "kid": kid}, claims(), material.sign)
        exc = rejects(token, KeySet([material.public_key]), UnknownKey)
        assert kid not in str(exc) or len(kid) < 40


def test_kid_of_one_key_with_signature_of_another(materials: dict[str, Material]) -> None:
    one, two = Key.generate("ES256"), Key.generate("ES256")
    token = forge({"alg": "ES256", "kid": one.kid}, claims(), two.sign)
    rejects(token, KeySet([one.public(), two.public()]), InvalidSignature)


@pytest.mark.parametrize(
    "alg", ["HS1024", "RS1", "ES256K", "ML-DSA-44", "PS", "hs256", "Es256", ""]
)
def test_unknown_alg_is_unsupported(materials: dict[str, Material], alg: str) -> None:
    token = forge({"alg": alg}, claims(), b"\x01" * 32)
    keys = KeySet([materials[n].key for n in ("HS256", "ES256")])
    exc = rejects(token, keys)
    assert isinstance(exc, UnsupportedAlgorithm | InvalidHeader)


@pytest.mark.parametrize(
    ("signer", "verifier"),
    [
        ("RS256", "PS256"),
        ("PS256", "RS256"),
        ("RS256", "RS384"),
        ("ES256", "ES384"),
        ("HS256", "HS512"),
        ("EdDSA-Ed25519", "Ed25519"),
        ("Ed25519", "EdDSA-Ed25519"),
    ],
)
def test_key_is_bound_to_its_alg(
    materials: dict[str, Material], signer: str, verifier: str
) -> None:
    """The same key material under another algorithm does not verify (RFC 8725 3.1)."""
    token = encode(claims(), materials[signer].key)
    exc = rejects(token, KeySet([materials[verifier].public_key]))
    assert isinstance(exc, UnsupportedAlgorithm | UnknownKey)


def test_algorithms_narrows_and_never_widens(materials: dict[str, Material]) -> None:
    es, hs = materials["ES256"], materials["HS256"]
    keys = KeySet([es.public_key, hs.key])
    es_token, hs_token = encode(claims(), es.key), encode(claims(), hs.key)
    assert decode(es_token, keys, algorithms=["ES256"], now=NOW)
    assert decode(es_token, keys, algorithms=("ES256", "HS256"), now=NOW)
    rejects(es_token, keys, UnsupportedAlgorithm, algorithms=["HS256"])
    rejects(hs_token, keys, UnsupportedAlgorithm, algorithms=["ES256"])
    rejects(es_token, keys, UnsupportedAlgorithm, algorithms=[])
    rejects(es_token, es.public_key, UnsupportedAlgorithm, algorithms=["RS256"])
    with pytest.raises(UnsupportedAlgorithm):
        verify_jws(es_token, keys, algorithms=["HS256"])
    # Widening: allowing RS256 does not make an ES256-only set verify an RS256 token.
    rs_token = encode(claims(), materials["RS256"].key)
    rejects(rs_token, es.public_key, algorithms=["ES256", "RS256"])


def test_algorithms_as_one_string_means_that_one_algorithm(materials: dict[str, Material]) -> None:
    es = materials["ES256"]
    token = encode(claims(), es.key)
    for keys in (es.public_key, KeySet([es.public_key])):
        assert decode(token, keys, algorithms="ES256", now=NOW)
        assert verify_jws(token, keys, algorithms="ES256")
        # Not a substring test: a comma-separated string is one (unknown) name.
        rejects(token, keys, UnsupportedAlgorithm, algorithms="HS256,ES256")
        with pytest.raises(UnsupportedAlgorithm):
            verify_jws(token, keys, algorithms="ES2567")
        rejects(token, keys, UnsupportedAlgorithm, algorithms="ES2")


def test_encode_refuses_headers_that_change_alg_or_kid(materials: dict[str, Material]) -> None:
    key = materials["ES256"].key
    for headers in ({"alg": "none"}, {"alg": "HS256"}, {"kid": "someone-else"}):
        with pytest.raises(ValueError):
            encode(claims(), key, headers)
    assert header_of(encode(claims(), key, {"alg": "ES256", "kid": key.kid}))["kid"] == key.kid


# -- size and shape limits -----------------------------------------------------------------


def test_tokens_over_8_kib_are_rejected_before_any_work(materials: dict[str, Material]) -> None:
    key = materials["HS256"].key
    fits = encode(claims(pad="x" * 5800), key)
    assert 7800 < len(fits) <= 8192
    assert decode(fits, key, now=NOW)["pad"] == "x" * 5800
    too_big = encode(claims(pad="x" * 6300), key)
    assert len(too_big) > 8192
    exc = rejects(too_big, key, MalformedToken)
    assert "8192" in str(exc) or "large" in str(exc)
    huge = "a" * 10_000_000
    started = time.perf_counter()
    rejects(huge, key, MalformedToken)
    rejects(huge + "." + huge + "." + huge, key, MalformedToken)
    assert time.perf_counter() - started < 0.5


def test_max_size_can_be_raised_or_lowered(materials: dict[str, Material]) -> None:
    key = materials["HS256"].key
    big = encode(claims(pad="x" * 9000), key)
    rejects(big, key, MalformedToken)
    assert decode(big, key, now=NOW, max_size=16 * 1024)["pad"] == "x" * 9000
    small = encode(claims(), key)
    rejects(small, key, MalformedToken, max_size=len(small) - 1)
    with pytest.raises(MalformedToken):
        verify_jws(big, key)
    assert verify_jws(big, key, max_size=16 * 1024)


def test_oversized_header_is_rejected(materials: dict[str, Material]) -> None:
    key = materials["HS256"].key
    token = forge({"alg": "HS256", "pad": "x" * 4000}, claims(), key.sign)
    assert len(token) < 8192
    rejects(token, key, MalformedToken)


@pytest.mark.parametrize("depth", [64, 1000, 3000])
def test_deeply_nested_claims_are_malformed(materials: dict[str, Material], depth: int) -> None:
    key = materials["HS256"].key
    body = b'{"exp":' + str(NOW + 600).encode() + b',"x":' + b"[" * depth + b"]" * depth + b"}"
    token = forge({"alg": "HS256", "kid": key.kid}, body, key.sign)
    assert len(token) < 8192
    rejects(token, key, MalformedToken)
    assert verify_jws(token, key) == body  # the signature itself is fine


@pytest.mark.parametrize("depth", [64, 1000])
def test_deeply_nested_header_is_malformed(materials: dict[str, Material], depth: int) -> None:
    key = materials["HS256"].key
    head = b'{"alg":"HS256","x":' + b"[" * depth + b"]" * depth + b"}"
    token = forge(head, claims(), key.sign)
    rejects(token, key, MalformedToken)


def test_shallow_nesting_is_fine(materials: dict[str, Material]) -> None:
    key = materials["HS256"].key
    nested: Any = "leaf"
    for _ in range(8):
        nested = {"n": [nested]}
    assert decode(encode(claims(x=nested), key), key, now=NOW)["x"] == nested


@pytest.mark.parametrize(
    "header",
    [b"[]", b"1", b'"alg"', b"null", b"true", b"", b"{", b'{"alg":"HS256"', b"\xff\xfe",
     b'{"alg":"HS256"}garbage', b'{"alg":"HS256",}'],
)  # fmt: skip
def test_header_that_is_not_a_json_object_is_malformed(
    materials: dict[str, Material], header: bytes
) -> None:
    key = materials["HS256"].key
    token = forge(header, claims(), key.sign)
    rejects(token, key, MalformedToken)


@pytest.mark.parametrize("payload", [b"[]", b"1", b'"x"', b"null", b"", b"{", b"\xff", b"{}x"])
def test_claims_that_are_not_a_json_object_are_malformed(
    materials: dict[str, Material], payload: bytes
) -> None:
    key = materials["HS256"].key
    token = forge({"alg": "HS256"}, payload, key.sign)
    rejects(token, key, MalformedToken, require=())
    assert verify_jws(token, key) == payload  # JWS allows any payload


def _reencode(token: str, segment: int, transform: Any) -> str:
    parts = token.split(".")
    parts[segment] = transform(parts[segment])
    return ".".join(parts)


def _std_b64(text: str) -> str:
    return base64.b64encode(unb64u(text)).decode()


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
def test_non_canonical_base64url_is_rejected(material: Material, segment: int) -> None:
    token = encode(claims(note="ab?>"), material.key)
    parts = token.split(".")
    variants = [
        _reencode(token, segment, lambda s: s + "=" * (-len(s) % 4 or 4)),
        _reencode(token, segment, lambda s: s + "=="),
        _reencode(token, segment, _std_b64),
        _reencode(token, segment, lambda s: s[:5] + " " + s[5:]),
        _reencode(token, segment, lambda s: s[:5] + "\n" + s[5:]),
        _reencode(token, segment, lambda s: s[:5] + "\t" + s[5:]),
        _reencode(token, segment, lambda s: s[:5] + "*" + s[5:]),
        _reencode(token, segment, lambda s: s[:5] + "é" + s[5:]),
        _reencode(token, segment, lambda s: s[:5] + "\x00" + s[5:]),
    ]
    if len(parts[segment]) % 4 in (2, 3):
        # Set the unused low bits of the last character: same bytes, other text.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        spare = 0b1111 if len(parts[segment]) % 4 == 2 else 0b11
        variants.append(
            _reencode(token, segment, lambda s: s[:-1] + alphabet[alphabet.index(s[-1]) | spare])
        )
        assert unb64u(variants[-1].split(".")[segment]) == unb64u(parts[segment])
    for variant in variants:
        if variant != token:  # standard base64 of a segment without "-", "_" or padding
            rejects(variant, material.public_key, MalformedToken)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda t: " " + t,
        lambda t: t + " ",
        lambda t: t + "\n",
        lambda t: "Bearer " + t,
        lambda t: t + ".",
        lambda t: "." + t,
        lambda t: t.replace(".", "..", 1),
        lambda t: t.replace(".", "", 1),
        lambda t: '"' + t + '"',
    ],
)
def test_extra_characters_around_the_token_are_rejected(
    materials: dict[str, Material], wrap: Any
) -> None:
    key = materials["ES256"].key
    rejects(wrap(encode(claims(), key)), key, MalformedToken)


@pytest.mark.parametrize(
    "token", [None, 123, 1.5, ["a.b.c"], {"t": 1}, b"\xff.\xfe.\xfd", bytearray(b"a.b.c")]
)
def test_tokens_of_the_wrong_type_are_malformed(materials: dict[str, Material], token: Any) -> None:
    rejects(token, materials["HS256"].key, MalformedToken)


def test_bytes_tokens_are_accepted(materials: dict[str, Material]) -> None:
    key = materials["ES256"].key
    assert decode(encode(claims(), key).encode(), key, now=NOW)["sub"] == "user-1"


# -- crit and b64 (RFC 7515 4.1.11, RFC 7797) ------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"crit": ["exp"], "exp": NOW + 600},  # understood elsewhere, but not as a header
        {"crit": ["https://example.com/ext"], "https://example.com/ext": True},
        {"crit": ["missing"]},  # listed but absent from the header
        {"crit": ["alg"]},  # registered names MUST NOT be listed
        {"crit": []},  # MUST NOT be empty
        {"crit": "b64"},
        {"crit": [1]},
        {"crit": ["b64"], "b64": False},
        {"b64": False},
        {"b64": "false"},
        {"b64": 0},
    ],
    ids=json.dumps,
)
def test_crit_and_unencoded_payloads_are_rejected(
    materials: dict[str, Material], extra: dict[str, Any]
) -> None:
    key = materials["HS256"].key
    token = forge({"alg": "HS256", "kid": key.kid, **extra}, claims(), key.sign)
    rejects(token, key, InvalidHeader)


# -- header members of the wrong type --------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"alg": 256},
        {"alg": ["HS256"]},
        {"alg": None},
        {"alg": {"name": "HS256"}},
        {"alg": True},
        {},
        {"alg": "HS256", "kid": ["a"]},
        {"alg": "HS256", "kid": 1},
        {"alg": "HS256", "kid": {"k": "v"}},
        {"alg": "HS256", "typ": 1},
        {"alg": "HS256", "typ": ["JWT"]},
    ],
    ids=json.dumps,
)
def test_header_members_of_the_wrong_type_are_rejected(
    materials: dict[str, Material], header: dict[str, Any]
) -> None:
    key = materials["HS256"].key
    token = forge(header, claims(), key.sign)
    exc = rejects(token, key)
    assert isinstance(exc, InvalidHeader | UnsupportedAlgorithm | UnknownKey), exc
    with pytest.raises(InvalidToken):
        decode(token, key, typ="JWT", now=NOW)


# -- messages --------------------------------------------------------------------------------


def test_error_messages_never_repeat_the_token(materials: dict[str, Material]) -> None:
    key = materials["ES256"].key
    good = encode(claims(), key)
    head, body, signature = good.split(".")
    tokens = [
        f"{head}.{body}.{signature[::-1]}",
        f"{head}.{body}",
        forge({"alg": "ES256", "kid": "k" * 100}, claims(), key.sign),
        forge({"alg": "X" * 100}, claims(), b"sig"),
        "A" * 9000,
        head + "." + body + "." + "é",
    ]
    for token in tokens:
        exc = rejects(token, key)
        message = str(exc)
        assert message
        assert len(message) < 300
        for part in token.split("."):
            if len(part) > 12:
                assert part not in message


@pytest.mark.parametrize("depth", [33, 256, 600])
def test_unverified_header_and_claims_keep_the_depth_bound(
    materials: dict[str, Material], depth: int
) -> None:
    """The display helpers parse like verification does: past MAX_JSON_DEPTH (32) a header
    or claims set is malformed, so nothing deeper than orjson can write back escapes."""
    from jwtgate.jose.jwt import unverified_claims

    key = materials["HS256"].key
    nested = b"[" * depth + b"]" * depth
    deep_header = forge(b'{"alg":"HS256","x":' + nested + b"}", claims(), key.sign)
    with pytest.raises(MalformedToken, match="nested too deeply"):
        unverified_header(deep_header)
    deep_claims = forge({"alg": "HS256"}, b'{"x":' + nested + b"}", key.sign)
    with pytest.raises(MalformedToken, match="nested too deeply"):
        unverified_claims(deep_claims)
    shallow = encode(claims(x=[[["leaf"]]]), key)
    assert unverified_header(shallow)["alg"] == "HS256"
    assert unverified_claims(shallow)["x"] == [[["leaf"]]]
