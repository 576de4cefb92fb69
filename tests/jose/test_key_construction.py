"""Keys: JWK, PEM, secrets and generation; algorithm inference; validation at construction.

Misconfiguration is a programmer error and must fail when the key is built (ValueError or
TypeError), not later as a 401 at run time.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from cryptography.x509.oid import NameOID

from jwtgate import (
    InvalidSignature,
    InvalidToken,
    Key,
    KeySet,
    UnknownKey,
    decode,
    encode,
    verify_jws,
)

from .tokenkit import ALGS, NOW, Material, b64u, claims, compact_json, forge, load_vector, unb64u

RFC7515 = load_vector("rfc7515_appendix_a.json")["examples"]
RSA_JWK: dict[str, Any] = RFC7515[1]["jwk"]  # RFC 7515 A.2: n, e, d, p, q, dp, dq, qi
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 3, computed here independently of jwtgate."""
    required = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
    }
    members = required.get(jwk["kty"], ("k", "kty"))
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(canonical.encode()).digest())


def round_trip(signer: Key, verifier: Key | KeySet) -> None:
    """``signer`` signs; ``verifier`` accepts the token."""
    assert decode(encode(claims(), signer), verifier, now=NOW)["sub"] == "user-1"


def _without(jwk: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k not in names}


# -- generate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alg",
    ["HS256", "HS512", "RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "Ed448"],
)
def test_generate_makes_a_signing_key_bound_to_its_alg(alg: str) -> None:
    key = Key.generate(alg)
    assert key.alg == alg
    round_trip(key, KeySet([key]))
    if not alg.startswith("HS"):
        public = key.public()
        assert public.kid == key.kid
        round_trip(key, public)
        assert key.kid == thumbprint(public.to_jwk())
        with pytest.raises(TypeError):
            encode(claims(), public)  # a public key cannot sign


def test_generated_rsa_keys_have_at_least_2048_bits() -> None:
    jwk = Key.generate("RS256").to_jwk()
    n = int.from_bytes(unb64u(jwk["n"]), "big")
    assert n.bit_length() >= 2048


def test_generated_hmac_secrets_are_as_long_as_the_hash() -> None:
    for alg, size in (("HS256", 32), ("HS384", 48), ("HS512", 64)):
        assert len(unb64u(Key.generate(alg).to_jwk(private=True)["k"])) >= size


def test_generated_keys_differ() -> None:
    assert Key.generate("ES256").kid != Key.generate("ES256").kid


@pytest.mark.parametrize("alg", ["none", "None", "HS1024", "ES256K", "RSA-OAEP", ""])
def test_generate_refuses_unsupported_algorithms(alg: str) -> None:
    with pytest.raises(ValueError):
        Key.generate(alg)


# -- JWK -----------------------------------------------------------------------------------


def test_rsa_private_jwk_with_crt_members() -> None:
    key = Key.from_jwk(RSA_JWK, alg="RS256")
    exported = key.to_jwk(private=True)
    for name in ("n", "e", "d", "p", "q", "dp", "dq", "qi"):
        assert exported[name] == RSA_JWK[name]
    public = Key.from_jwk(_without(RSA_JWK, "d", "p", "q", "dp", "dq", "qi"), alg="RS256")
    round_trip(key, public)
    assert key.kid == public.kid == thumbprint(RSA_JWK)


def test_rsa_private_jwk_with_only_n_e_d() -> None:
    """RFC 7518 6.3.2: the CRT members are optional; the primes are recovered from n, e, d."""
    minimal = {k: RSA_JWK[k] for k in ("kty", "n", "e", "d")}
    key = Key.from_jwk(minimal, alg="PS256")
    round_trip(key, Key.from_jwk(_without(minimal, "d"), alg="PS256"))
    assert key.to_jwk(private=True)["p"] in (RSA_JWK["p"], RSA_JWK["q"])


def test_rsa_private_jwk_with_wrong_crt_member_is_refused() -> None:
    broken = dict(RSA_JWK, dp=RSA_JWK["dq"])
    with pytest.raises(ValueError):
        Key.from_jwk(broken, alg="RS256")


def test_public_jwk_round_trips_through_to_jwk(materials: dict[str, Material]) -> None:
    for name in ALGS:
        material = materials[name]
        if material.is_hmac:
            continue
        exported = material.key.to_jwk()
        assert not set(PRIVATE_MEMBERS) & set(exported)
        again = Key.from_jwk(exported)
        assert (again.alg, again.kid) == (material.alg, material.key.kid)
        round_trip(material.key, again)


def test_private_jwk_round_trips_through_to_jwk(materials: dict[str, Material]) -> None:
    for name in ALGS:
        key = materials[name].key
        again = Key.from_jwk(key.to_jwk(private=True))
        assert (again.alg, again.kid) == (key.alg, key.kid)
        round_trip(again, key)


@pytest.mark.parametrize(
    ("crv", "alg"), [("P-256", "ES256"), ("P-384", "ES384"), ("P-521", "ES512")]
)
def test_ec_jwk_without_alg_infers_it_from_the_curve(crv: str, alg: str) -> None:
    jwk = _without(Key.generate(alg).to_jwk(private=True), "alg", "kid")
    key = Key.from_jwk(jwk)
    assert key.alg == alg
    assert key.kid == thumbprint(jwk)


def test_ed25519_jwk_without_alg_is_eddsa() -> None:
    for source in (Key.generate("EdDSA"), Key.generate("Ed25519")):
        key = Key.from_jwk(_without(source.to_jwk(), "alg", "kid"))
        assert key.alg == "EdDSA"


def test_ed448_jwk_takes_either_eddsa_name() -> None:
    jwk = _without(Key.generate("Ed448").to_jwk(private=True), "alg", "kid")
    for alg in ("EdDSA", "Ed448"):
        key = Key.from_jwk(jwk, alg=alg)
        assert key.alg == alg
        round_trip(key, key.public())


@pytest.mark.parametrize("kty", ["RSA", "oct"])
def test_rsa_and_oct_jwk_without_alg_is_refused(kty: str) -> None:
    jwk = _without(RSA_JWK, "alg") if kty == "RSA" else {"kty": "oct", "k": b64u(b"s" * 32)}
    with pytest.raises(ValueError, match="alg"):
        Key.from_jwk(jwk)


def test_oct_jwk_with_alg() -> None:
    key = Key.from_jwk({"kty": "oct", "k": b64u(b"s" * 48), "alg": "HS384"})
    assert key.alg == "HS384"
    round_trip(key, Key.from_secret(b"s" * 48, "HS384"))


def test_jwk_alg_wins_and_must_agree_with_alg_argument() -> None:
    jwk = dict(RSA_JWK, alg="PS512")
    assert Key.from_jwk(jwk).alg == "PS512"
    with pytest.raises(ValueError):
        Key.from_jwk(jwk, alg="RS256")


@pytest.mark.parametrize(
    "jwk",
    [
        {},
        {"kty": "XYZ"},
        {"kty": "EC", "crv": "P-256"},
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": b64u(b"\x01" * 32), "y": b64u(b"\x02" * 32)},
        {"kty": "OKP", "crv": "X25519", "x": b64u(b"\x01" * 32)},
        {"kty": "OKP", "crv": "Ed25519", "x": b64u(b"\x01" * 31)},
        {"kty": "RSA", "n": "AQAB", "alg": "RS256"},
        {"kty": "RSA", "n": "not base64!", "e": "AQAB", "alg": "RS256"},
        {"kty": "oct", "alg": "HS256"},
        {"kty": "oct", "k": 123, "alg": "HS256"},
    ],
    ids=lambda jwk: json.dumps(jwk)[:40],
)
def test_broken_jwk_is_a_value_error(jwk: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Key.from_jwk(jwk)


def test_ec_private_jwk_whose_d_does_not_match_x_y_is_refused() -> None:
    one = Key.generate("ES256").to_jwk(private=True)
    other = Key.generate("ES256").to_jwk(private=True)
    with pytest.raises(ValueError):
        Key.from_jwk(dict(one, d=other["d"]))


def test_jwk_must_be_a_mapping() -> None:
    with pytest.raises((TypeError, ValueError)):
        Key.from_jwk("not a dict")  # type: ignore[arg-type]


def test_explicit_kid_is_kept() -> None:
    jwk = dict(Key.generate("ES256").to_jwk(), kid="my-key-2024")
    assert Key.from_jwk(jwk).kid == "my-key-2024"


# -- PEM -----------------------------------------------------------------------------------


def _pem_variants(private: Any) -> dict[str, bytes]:
    public = private.public_key()
    out = {
        "pkcs8": private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "spki": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    if isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        out["traditional"] = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    if isinstance(private, rsa.RSAPrivateKey):
        out["pkcs1-public"] = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        )
    return out


@pytest.mark.parametrize("name", ["RS256", "PS512", "ES256", "ES512", "EdDSA-Ed25519", "Ed448"])
def test_from_pem_every_encoding(materials: dict[str, Material], name: str) -> None:
    material = materials[name]
    signer = material.key
    for form, pem in _pem_variants(material.private).items():
        key = Key.from_pem(pem, alg=material.alg)
        assert (key.alg, key.kid) == (signer.alg, signer.kid), form
        round_trip(signer, key)
        if "public" not in form and form != "spki":
            round_trip(key, signer)
        assert Key.from_pem(pem.decode(), alg=material.alg).kid == signer.kid


def test_from_pem_infers_alg_for_ec_and_ed_keys() -> None:
    cases = [
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (ec.generate_private_key(ec.SECP384R1()), "ES384"),
        (ec.generate_private_key(ec.SECP521R1()), "ES512"),
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
    ]
    for private, alg in cases:
        for pem in _pem_variants(private).values():
            assert Key.from_pem(pem).alg == alg


def test_from_pem_rsa_needs_alg(materials: dict[str, Material]) -> None:
    with pytest.raises(ValueError, match="alg"):
        Key.from_pem(materials["RS256"].private_pem)


def _certificate(private: Any) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwtgate test")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=30))
    )
    ed = ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
    algorithm = None if isinstance(private, ed) else hashes.SHA256()
    return builder.sign(private, algorithm).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("name", ["RS256", "ES256", "EdDSA-Ed25519"])
def test_from_pem_certificate_gives_its_public_key(
    materials: dict[str, Material], name: str
) -> None:
    material = materials[name]
    key = Key.from_pem(_certificate(material.private), alg=material.alg)
    assert key.kid == material.key.kid
    round_trip(material.key, key)
    with pytest.raises(TypeError):
        encode(claims(), key)


def test_from_pem_encrypted_private_key_needs_its_password() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass phrase"),
    )
    assert Key.from_pem(pem, password=b"pass phrase").alg == "ES256"
    with pytest.raises((TypeError, ValueError)):
        Key.from_pem(pem)


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_from_pem_garbage_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        Key.from_pem(data, alg="ES256")


# -- secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(("alg", "size"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_hmac_secret_must_be_as_long_as_the_hash(alg: str, size: int) -> None:
    assert Key.from_secret(b"k" * size, alg).alg == alg
    with pytest.raises(ValueError, match=str(size)):
        Key.from_secret(b"k" * (size - 1), alg)
    with pytest.raises(ValueError):
        Key.from_jwk({"kty": "oct", "k": b64u(b"k" * (size - 1)), "alg": alg})


def test_from_secret_default_is_hs256_and_accepts_text() -> None:
    key = Key.from_secret("correct horse battery staple, long enough")
    assert key.alg == "HS256"
    round_trip(key, Key.from_secret(b"correct horse battery staple, long enough"))


def test_from_secret_refuses_non_hmac_algorithms() -> None:
    with pytest.raises(ValueError):
        Key.from_secret(b"s" * 64, "RS256")


def _public_forms(material: Material) -> dict[str, bytes]:
    jwk = material.public_key.to_jwk()
    return {
        "pem": material.public_pem,
        "pem-with-whitespace": b"\n  " + material.public_pem,
        "jwk-json": json.dumps(jwk).encode(),
        "jwk-json-compact": compact_json(jwk),
        "jwk-json-indented": b"  " + json.dumps(jwk, indent=2).encode(),
        "certificate": _certificate(material.private),
    }


@pytest.mark.parametrize("name", ["RS256", "ES256", "EdDSA-Ed25519"])
def test_public_key_offered_as_hmac_secret_is_refused(
    materials: dict[str, Material], name: str
) -> None:
    """The setup of the algorithm-confusion attack (RFC 8725 2.1) fails at construction."""
    material = materials[name]
    for data in _public_forms(material).values():
        for alg in ("HS256", "HS384", "HS512"):
            with pytest.raises((ValueError, TypeError)):
                Key.from_secret(data, alg)
            with pytest.raises((ValueError, TypeError)):
                Key.from_secret(data.decode(), alg)
            with pytest.raises((ValueError, TypeError)):
                Key.from_jwk({"kty": "oct", "k": b64u(data), "alg": alg})
            with pytest.raises((ValueError, TypeError)):
                Key.from_pem(material.public_pem, alg=alg)


def _der_forms(material: Material) -> dict[str, bytes]:
    """The binary and base64 encodings of a public key that are not PEM or JWK text."""
    public = material.private.public_key()
    der = serialization.Encoding.DER
    forms = {
        "der-spki": public.public_bytes(der, serialization.PublicFormat.SubjectPublicKeyInfo),
        "der-certificate": x509.load_pem_x509_certificate(
            _certificate(material.private)
        ).public_bytes(der),
        "der-private-pkcs8": material.private.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    }
    if isinstance(public, rsa.RSAPublicKey):
        forms["der-pkcs1"] = public.public_bytes(der, serialization.PublicFormat.PKCS1)
    for name, data in list(forms.items()):
        forms[f"{name}-base64"] = base64.b64encode(data)
        forms[f"{name}-base64-lines"] = base64.encodebytes(data)
    return forms


@pytest.mark.parametrize(
    "name", ["RS256", "PS256", "ES256", "ES512", "EdDSA-Ed25519", "EdDSA-Ed448"]
)
def test_der_public_keys_and_certificates_offered_as_hmac_secret_are_refused(
    materials: dict[str, Material], name: str
) -> None:
    """DER SubjectPublicKeyInfo, PKCS#1 and X.509 certificates (raw or base64) are public
    key encodings too: HS256 keyed with one is the algorithm-confusion setup (RFC 8725 2.1)."""
    for data in _der_forms(materials[name]).values():
        if len(data) < 32:
            continue
        with pytest.raises(ValueError, match="asymmetric"):
            Key.from_secret(data, "HS256")
        with pytest.raises(ValueError, match="asymmetric"):
            Key.from_jwk({"kty": "oct", "k": b64u(data), "alg": "HS256"})


def test_random_secrets_that_start_like_der_are_still_secrets() -> None:
    """Only real key encodings are refused: a secret that merely begins with a DER
    SEQUENCE byte, or is base64 text of random bytes, is a secret."""
    for secret in (b"\x30" + bytes(range(1, 40)), b"\x30\x82" + b"k" * 40):
        assert Key.from_secret(secret, "HS256").alg == "HS256"
    assert Key.from_secret(base64.b64encode(b"\x30\x81" + bytes(60))).alg == "HS256"


# -- algorithm and key must match ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "alg"),
    [
        ("ES256", "ES384"),
        ("ES256", "ES512"),
        ("ES384", "ES256"),
        ("ES512", "ES256"),
        ("ES256", "RS256"),
        ("ES256", "EdDSA"),
        ("RS256", "ES256"),
        ("RS256", "EdDSA"),
        ("EdDSA-Ed25519", "ES256"),
        ("EdDSA-Ed25519", "Ed448"),
        ("EdDSA-Ed448", "Ed25519"),
        ("EdDSA-Ed448", "RS256"),
    ],
)
def test_key_that_does_not_fit_the_alg_is_refused(
    materials: dict[str, Material], name: str, alg: str
) -> None:
    material = materials[name]
    with pytest.raises(ValueError):
        Key.from_pem(material.private_pem, alg=alg)
    with pytest.raises(ValueError):
        Key.from_pem(material.public_pem, alg=alg)
    with pytest.raises(ValueError):
        Key.from_jwk(material.key.to_jwk(private=True), alg=alg)
    with pytest.raises(ValueError):
        Key.from_jwk(dict(material.key.to_jwk(), alg=alg))


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_rsa_keys_under_2048_bits_are_refused(alg: str) -> None:
    weak = rsa.generate_private_key(65537, 1024)
    pem = weak.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="2048"):
        Key.from_pem(pem, alg=alg)
    with pytest.raises(ValueError, match="2048"):
        Key.from_pem(
            weak.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            alg=alg,
        )
    numbers = weak.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e), "alg": alg}
    with pytest.raises(ValueError, match="2048"):
        Key.from_jwk(jwk)
    with pytest.raises(ValueError):
        Key.generate(alg, size=1024)


# -- use and key_ops (RFC 7517 4.2, 4.3) ------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"use": "enc"},
        {"use": "wrap"},
        {"key_ops": ["encrypt", "decrypt"]},
        {"key_ops": ["wrapKey"]},
        {"key_ops": []},
        {"key_ops": "sign"},
    ],
    ids=json.dumps,
)
def test_use_or_key_ops_that_forbid_signatures_are_refused(extra: dict[str, Any]) -> None:
    jwk = dict(Key.generate("ES256").to_jwk(private=True), **extra)
    with pytest.raises(ValueError):
        Key.from_jwk(jwk)


def test_key_ops_verify_only_makes_a_verification_key() -> None:
    signer = Key.generate("ES256")
    jwk = dict(_without(signer.to_jwk(private=True), "use"), key_ops=["verify"])
    key = Key.from_jwk(jwk)
    round_trip(signer, key)
    with pytest.raises(TypeError):
        encode(claims(), key)


def test_use_sig_and_key_ops_sign_verify_are_accepted() -> None:
    signer = Key.generate("ES256")
    jwk = dict(signer.to_jwk(private=True), use="sig", key_ops=["sign", "verify"])
    round_trip(Key.from_jwk(jwk), signer)


# -- KeySet --------------------------------------------------------------------------------


def test_keyset_refuses_two_keys_with_one_kid_and_one_alg() -> None:
    one = Key.generate("ES256")
    other = Key.from_jwk(dict(Key.generate("ES256").to_jwk(), kid=one.kid))
    with pytest.raises(ValueError, match="kid"):
        KeySet([one, other])
    with pytest.raises(ValueError):
        KeySet([one, one.public()])


def test_one_kid_may_name_keys_of_different_algorithms() -> None:
    """RFC 7517 4.5: unique per (kid, alg); the token's (alg, kid) picks exactly one key."""
    rsa_jwk = Key.generate("RS256").to_jwk(private=True)
    rs256 = Key.from_jwk(dict(rsa_jwk, kid="k"))
    ps384 = Key.from_jwk(dict(rsa_jwk, kid="k", alg="PS384"))
    es256 = Key.generate("ES256", kid="k")
    keyset = KeySet([rs256.public(), ps384.public(), es256.public()])
    assert len(keyset) == 3 and "k" in keyset
    for signer in (rs256, ps384, es256):
        round_trip(signer, keyset)
        assert keyset.get("k", signer.alg) == signer.public()
    with pytest.raises(ValueError, match="alg"):
        keyset.get("k")  # ambiguous without the algorithm
    assert keyset.get("k", "RS512") is None
    # A (kid, alg) pair the set does not hold finds no key, even though the kid is known.
    other = Key.from_jwk(dict(rsa_jwk, kid="k", alg="RS512"))
    with pytest.raises(InvalidToken):
        decode(encode(claims(), other), keyset, now=NOW)
    assert KeySet.from_jwks(keyset.to_jwks()) == keyset


def test_keyset_refuses_non_keys() -> None:
    with pytest.raises(TypeError):
        KeySet([{"kty": "oct"}])  # type: ignore[list-item]


def test_keyset_jwks_round_trip(materials: dict[str, Material]) -> None:
    keys = [materials[n].key for n in ("RS256", "ES256", "ES512", "EdDSA-Ed448", "HS256")]
    keyset = KeySet(keys)
    jwks = keyset.to_jwks()
    # Only public keys are published: no HMAC secret, no private member.
    assert all(not set(PRIVATE_MEMBERS) & set(jwk) for jwk in jwks["keys"])
    assert {jwk["kid"] for jwk in jwks["keys"]} == {k.kid for k in keys if k.alg != "HS256"}
    again = KeySet.from_jwks(jwks)
    for key in keys:
        if key.alg != "HS256":
            assert again.get(key.kid) is not None
            round_trip(key, again)
    assert KeySet.from_jwks(json.dumps(jwks)).to_jwks() == again.to_jwks()


def test_keyset_get_and_kid_selection() -> None:
    first, second = Key.generate("ES256"), Key.generate("ES256")
    keyset = KeySet([first.public(), second.public()])
    assert keyset.get(first.kid) == first.public()
    assert keyset.get("missing") is None
    round_trip(first, keyset)
    round_trip(second, keyset)
    stranger = Key.generate("ES256")
    with pytest.raises(UnknownKey):
        decode(encode(claims(), stranger), keyset, now=NOW)


def test_keyset_without_kid_tries_every_key_of_the_alg() -> None:
    first, second = Key.generate("ES256"), Key.generate("ES256")
    token = encode(claims(), second)
    head = json.loads(unb64u(token.split(".")[0]))
    assert head["kid"] == second.kid
    # Re-sign without a kid: the set must find the right key by alg.
    bare = forge({"alg": "ES256"}, claims(), second.sign)
    assert verify_jws(bare, KeySet([first, second]))
    with pytest.raises(InvalidSignature):
        verify_jws(bare, KeySet([first]))


def test_from_jwks_skips_keys_it_cannot_use_and_refuses_an_empty_result() -> None:
    good = Key.generate("ES256")
    jwks = {
        "keys": [
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
            good.to_jwk(),
        ]
    }
    assert [k.kid for k in KeySet.from_jwks(jwks)] == [good.kid]
    for bad in ({"keys": jwks["keys"][:2]}, {"keys": []}, {}, [], "not json", {"keys": "x"}):
        with pytest.raises(ValueError):
            KeySet.from_jwks(bad)  # type: ignore[arg-type]


# -- secrets never show --------------------------------------------------------------------


def test_reprs_never_contain_key_material(materials: dict[str, Material]) -> None:
    keys = [materials[name].key for name in ALGS]
    texts = [repr(KeySet([materials[n].key for n in ("HS256", "RS256", "ES256")]))]
    for key in keys:
        texts += [repr(key), str(key), f"{key!r}", repr(key.to_jwk)]
    secrets: list[str] = []
    for key in keys:
        jwk = key.to_jwk(private=True)
        secrets += [jwk[m] for m in PRIVATE_MEMBERS if m in jwk]
    for name in ("HS256", "HS384", "HS512"):
        secret = materials[name].secret
        secrets += [secret.hex(), repr(secret)[2:-1][:40], b64u(secret)]
    for text in texts:
        for secret in secrets:
            assert secret[:16] not in text


def _uint(value: int) -> str:
    return b64u(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def test_ed448_and_ed25519_private_objects_are_not_interchangeable() -> None:
    # A JWK whose crv says Ed25519 but whose x is an Ed448 key must not load.
    ed448_x = b64u(
        ed448.Ed448PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    with pytest.raises(ValueError):
        Key.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": ed448_x})


def _pem(private: Any, public: bool = False) -> bytes:
    if public:
        return bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.mark.parametrize(
    "private",
    [
        x25519.X25519PrivateKey.generate(),
        ec.generate_private_key(ec.SECP256K1()),
        ec.generate_private_key(ec.BrainpoolP256R1()),
    ],
    ids=["X25519", "secp256k1", "brainpoolP256r1"],
)
def test_from_pem_key_types_that_cannot_sign_jws_are_refused(private: Any) -> None:
    for pem in (_pem(private), _pem(private, public=True)):
        with pytest.raises(ValueError):
            Key.from_pem(pem)
        with pytest.raises(ValueError):
            Key.from_pem(pem, alg="ES256")


@pytest.mark.parametrize("kid", [1, ["a"], {"k": 1}, True])
def test_jwk_kid_must_be_a_string(kid: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        Key.from_jwk(dict(Key.generate("ES256").to_jwk(), kid=kid))
    with pytest.raises(TypeError):
        Key.generate("ES256", kid=kid)


def test_from_jwks_bounds_the_number_of_keys() -> None:
    key = Key.generate("EdDSA").to_jwk()
    jwks = {"keys": [dict(key, kid=str(i)) for i in range(101)]}
    with pytest.raises(ValueError):
        KeySet.from_jwks(jwks)
    assert len(KeySet.from_jwks({"keys": jwks["keys"][:100]})) == 100


def test_from_jwks_refuses_a_set_with_duplicate_kids() -> None:
    one, two = Key.generate("ES256").to_jwk(), Key.generate("ES256").to_jwk()
    with pytest.raises(ValueError, match="kid"):
        KeySet.from_jwks({"keys": [one, dict(two, kid=one["kid"])]})
    three = Key.generate("ES384").to_jwk()
    assert len(KeySet.from_jwks({"keys": [one, dict(three, kid=one["kid"])]})) == 2


def test_construction_errors_never_echo_key_material() -> None:
    ec_jwk = Key.generate("ES256").to_jwk(private=True)
    other_d = Key.generate("ES256").to_jwk(private=True)["d"]
    short = b"short-secret-XYZZY"
    cases: list[tuple[Any, str]] = [
        (lambda: Key.from_secret(short), short.decode()),
        (lambda: Key.from_jwk({"kty": "oct", "k": b64u(short), "alg": "HS256"}), b64u(short)),
        (lambda: Key.from_jwk(dict(ec_jwk, d=other_d)), other_d),
        (lambda: Key.from_jwk(dict(RSA_JWK, dp=RSA_JWK["dq"]), alg="RS256"), RSA_JWK["dq"]),
        (lambda: Key.from_jwk(dict(RSA_JWK, d="!" + RSA_JWK["d"]), alg="RS256"), RSA_JWK["d"]),
        (lambda: Key.from_jwk(dict(ec_jwk, alg="ES384")), ec_jwk["d"]),
    ]
    for build, secret in cases:
        with pytest.raises(ValueError) as info:
            build()
        assert secret[:12] not in str(info.value)
        assert secret[:12] not in repr(info.value)
