"""Interoperability with PyJWT, jwcrypto and joserfc, in both directions, for every algorithm.

Keys travel between the libraries as JWK (each side exports, the other imports) and as PEM
(HMAC: the raw secret). A token from jwtgate must verify in the other library with issuer and
audience checks, and a token from the other library must decode in jwtgate.
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Any, ClassVar

import jwt as pyjwt
import pytest
from joserfc import errors as jf_errors
from joserfc import jwk as jf_jwk
from joserfc import jwt as jf_jwt
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws
from jwcrypto import jwt as jc_jwt

from jwtgate import Key, KeySet, decode, encode

from .tokenkit import ALGS, Material, b64u, unb64u

ISSUER = "https://issuer.example"
AUDIENCE = "api"
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def _claims() -> dict[str, Any]:
    # The other libraries check exp against the real clock, so these claims are valid now
    # and jwtgate (given no now=) checks them against the real clock too.
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + 300,
        "roles": ["admin"],
        "nested": {"a": [1, 2.5, None, True]},
    }


def _public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in jwk.items() if name not in PRIVATE_MEMBERS}


class Library:
    """One peer library: export keys as JWK, sign and verify JWTs."""

    name: ClassVar[str]
    bad_signature: ClassVar[type[Exception]]
    unsupported: ClassVar[dict[str, str]] = {}

    def check_supported(self, material: Material) -> None:
        reason = self.unsupported.get(material.name)
        if reason:
            pytest.skip(f"{self.name}: {reason}")

    def export_jwk(self, material: Material, private: bool) -> dict[str, Any]:
        raise NotImplementedError

    def sign(self, claims: dict[str, Any], material: Material, fmt: str, jwk: Any) -> str:
        raise NotImplementedError

    def verify(self, token: str, material: Material, fmt: str, jwk: Any) -> dict[str, Any]:
        raise NotImplementedError


class PyJWT(Library):
    name = "PyJWT"
    bad_signature = pyjwt.InvalidSignatureError
    unsupported: ClassVar[dict[str, str]] = {
        "Ed25519": "PyJWT has no RFC 9864 fully-specified EdDSA names",
        "Ed448": "PyJWT has no RFC 9864 fully-specified EdDSA names",
    }

    def export_jwk(self, material: Material, private: bool) -> dict[str, Any]:
        if material.is_hmac:
            text = pyjwt.algorithms.HMACAlgorithm.to_jwk(material.secret)
        else:
            algorithm = pyjwt.get_algorithm_by_name(material.alg)
            source = material.private if private else material.private.public_key()
            text = algorithm.to_jwk(source)
        return dict(json.loads(text))

    def _key(self, material: Material, fmt: str, jwk: Any, private: bool) -> Any:
        if fmt == "jwk":
            return pyjwt.PyJWK(jwk, algorithm=material.alg).key
        if material.is_hmac:
            return material.secret
        return material.private_pem if private else material.public_pem

    def sign(self, claims: dict[str, Any], material: Material, fmt: str, jwk: Any) -> str:
        key = self._key(material, fmt, jwk, private=True)
        return pyjwt.encode(claims, key, algorithm=material.alg)

    def verify(self, token: str, material: Material, fmt: str, jwk: Any) -> dict[str, Any]:
        key = self._key(material, fmt, jwk, private=False)
        return dict(
            pyjwt.decode(
                token,
                key,
                algorithms=[material.alg],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iss", "aud"]},
            )
        )


class JWCrypto(Library):
    name = "jwcrypto"
    bad_signature = jc_jws.InvalidJWSSignature

    def export_jwk(self, material: Material, private: bool) -> dict[str, Any]:
        if material.is_hmac:
            return dict(jc_jwk.JWK(kty="oct", k=b64u(material.secret)).export(as_dict=True))
        key = jc_jwk.JWK.from_pem(material.private_pem)
        return dict(key.export(private_key=private, as_dict=True))

    def _key(self, material: Material, fmt: str, jwk: Any, private: bool) -> Any:
        if fmt == "jwk":
            return jc_jwk.JWK(**jwk)
        if material.is_hmac:
            return jc_jwk.JWK(kty="oct", k=b64u(material.secret))
        return jc_jwk.JWK.from_pem(material.private_pem if private else material.public_pem)

    def sign(self, claims: dict[str, Any], material: Material, fmt: str, jwk: Any) -> str:
        token = jc_jwt.JWT(header={"alg": material.alg}, claims=claims)
        token.make_signed_token(self._key(material, fmt, jwk, private=True))
        return str(token.serialize())

    def verify(self, token: str, material: Material, fmt: str, jwk: Any) -> dict[str, Any]:
        checked = jc_jwt.JWT(
            jwt=token,
            key=self._key(material, fmt, jwk, private=False),
            algs=[material.alg],
            check_claims={"iss": ISSUER, "aud": AUDIENCE, "exp": None},
        )
        return dict(json.loads(checked.claims))


class JoseRFC(Library):
    name = "joserfc"
    bad_signature = jf_errors.BadSignatureError

    def _import(self, data: Any, material: Material) -> Any:
        if material.is_hmac:
            return jf_jwk.OctKey.import_key(data)
        kind = {"RS": "RSA", "PS": "RSA", "ES": "EC"}.get(material.alg[:2], "OKP")
        return jf_jwk.JWKRegistry.import_key(data, kind)

    def export_jwk(self, material: Material, private: bool) -> dict[str, Any]:
        source = material.secret if material.is_hmac else material.private_pem
        return dict(self._import(source, material).as_dict(private=private))

    def _key(self, material: Material, fmt: str, jwk: Any, private: bool) -> Any:
        if fmt == "jwk":
            return self._import(jwk, material)
        if material.is_hmac:
            return self._import(material.secret, material)
        return self._import(material.private_pem if private else material.public_pem, material)

    def sign(self, claims: dict[str, Any], material: Material, fmt: str, jwk: Any) -> str:
        key = self._key(material, fmt, jwk, private=True)
        return str(jf_jwt.encode({"alg": material.alg}, claims, key, algorithms=[material.alg]))

    def verify(self, token: str, material: Material, fmt: str, jwk: Any) -> dict[str, Any]:
        key = self._key(material, fmt, jwk, private=False)
        decoded = jf_jwt.decode(token, key, algorithms=[material.alg])
        jf_jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": AUDIENCE},
            exp={"essential": True},
        ).validate(decoded.claims)
        return dict(decoded.claims)


LIBRARIES = [PyJWT(), JWCrypto(), JoseRFC()]
FORMATS = ("jwk", "pem")


EVERY_ALG_AND_LIBRARY = pytest.mark.parametrize(
    ("name", "library"),
    [pytest.param(name, lib, id=f"{name}-{lib.name}") for name in ALGS for lib in LIBRARIES],
)
EVERY_ALG_LIBRARY_AND_FORMAT = pytest.mark.parametrize(
    ("name", "library", "fmt"),
    [
        pytest.param(name, lib, fmt, id=f"{name}-{lib.name}-{fmt}")
        for name in ALGS
        for lib in LIBRARIES
        for fmt in FORMATS
    ],
)


@pytest.fixture(autouse=True)
def _quiet_peer_warnings() -> Any:
    # joserfc warns that "EdDSA" is deprecated by RFC 9864; PyJWT warns about key lengths.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@EVERY_ALG_LIBRARY_AND_FORMAT
def test_jwtgate_token_verifies_in_peer(
    materials: dict[str, Material], name: str, library: Library, fmt: str
) -> None:
    material = materials[name]
    library.check_supported(material)
    if fmt == "jwk":
        # jwtgate imports the peer's private JWK (RSA with CRT members, padded EC coordinates)
        # and the peer verifies with jwtgate's exported JWK (the public one where there is one).
        key = Key.from_jwk(library.export_jwk(material, private=True), alg=material.alg)
        verify_with = key.to_jwk(private=material.is_hmac)
        if not material.is_hmac:
            assert not set(PRIVATE_MEMBERS) & set(verify_with)
    else:
        key = material.key
        verify_with = None
    claims = _claims()
    token = encode(claims, key)
    assert library.verify(token, material, fmt, verify_with) == claims


@EVERY_ALG_LIBRARY_AND_FORMAT
def test_peer_token_verifies_in_jwtgate(
    materials: dict[str, Material], name: str, library: Library, fmt: str
) -> None:
    material = materials[name]
    library.check_supported(material)
    if fmt == "jwk":
        # The peer signs with jwtgate's private JWK; jwtgate verifies with the peer's JWK.
        sign_with = material.key.to_jwk(private=True)
        peer_jwk = library.export_jwk(material, private=material.is_hmac)
        if not material.is_hmac:
            assert not set(PRIVATE_MEMBERS) & set(peer_jwk)
        keys = KeySet([Key.from_jwk(peer_jwk, alg=material.alg)])
    else:
        sign_with = None
        keys = KeySet([material.public_key])
    claims = _claims()
    token = library.sign(claims, material, fmt, sign_with)
    assert decode(token, keys, issuer=ISSUER, audience=AUDIENCE) == claims


@EVERY_ALG_AND_LIBRARY
def test_peer_rejects_a_jwtgate_token_signed_by_another_key(
    materials: dict[str, Material], name: str, library: Library
) -> None:
    """The positive interop tests are only meaningful if the peer really checks signatures."""
    material = materials[name]
    library.check_supported(material)
    other = Key.from_secret(b"o" * 64, material.alg) if material.is_hmac else None
    if other is None:
        alg = material.alg
        other = Key.generate(alg) if not alg.startswith(("RS", "PS")) else _other_rsa(alg)
    token = encode(_claims(), other)
    with pytest.raises(library.bad_signature):
        library.verify(token, material, "pem", None)


_OTHER_RSA: dict[str, Key] = {}


def _other_rsa(alg: str) -> Key:
    if alg not in _OTHER_RSA:
        _OTHER_RSA[alg] = Key.generate(alg)
    return _OTHER_RSA[alg]


def test_interop_exercises_short_ec_coordinates(materials: dict[str, Material]) -> None:
    """The EC fixtures have leading zero bytes, so dropping them would break the tests above."""
    for name, size in (("ES256", 32), ("ES384", 48), ("ES512", 66)):
        jwk = materials[name].key.to_jwk()
        assert len(unb64u(jwk["x"])) == size
        assert unb64u(jwk["x"])[0] == 0
