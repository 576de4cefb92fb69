"""The oracles the harnesses check on every input; importable without atheris.

A check returns normally when jwtgate behaved, and raises (anything) when it did not: an
exception other than the documented ones escaped, an accepted token breaks the policy or fails
an independent verification (PyJWT), a key set took too long to build or cannot round-trip.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any

import jwt as pyjwt
from jwt.algorithms import OKPAlgorithm

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
from jwtgate.jose.algorithms import ALGORITHMS
from jwtgate.jose.jws import MAX_HEADER_SIZE
from jwtgate.jose.keyset import MAX_JWKS_KEYS

from .fuzzkit import AUDIENCE, ISSUER, NOW, signing_keys, unb64u, verification_keys

__all__ = ["JWKS_TIME_LIMIT", "FuzzFailure", "check_jwks", "check_refresh_token", "check_token"]

# Building a key set from one document, on this machine with coverage instrumentation on.
# Without the bound in jose/jwk.py, a crafted RSA JWK took 35 s (2048-bit prime "modulus") to
# 450 s (65536-bit modulus).
JWKS_TIME_LIMIT = 2.0


# PyJWT as the independent verifier, taught the fully-specified EdDSA names (RFC 9864).
_PYJWS = pyjwt.PyJWS()
for _name in ("Ed25519", "Ed448"):
    _PYJWS.register_algorithm(_name, OKPAlgorithm())


class FuzzFailure(AssertionError):
    """jwtgate broke one of its promises on this input."""


def check_token(data: bytes) -> None:
    """decode, verify_jws and unverified_header on ``data`` as bytes and as text."""
    for token in (data, data.decode("latin-1")):
        _check_one_token(token)


def _check_one_token(token: str | bytes) -> None:
    keys = verification_keys()
    try:
        verify_jws(token, keys)
    except InvalidToken:
        pass
    else:
        _cross_check_signature(token)
    try:
        claims = decode(token, keys, issuer=ISSUER, audience=AUDIENCE, now=NOW)
    except InvalidToken:
        pass
    else:
        _check_policy(token, claims)
    try:
        loose = decode(token, keys, require=(), now=NOW, typ="at+jwt", leeway=30)
    except InvalidToken:
        pass
    else:
        if type(loose) is not dict or "aud" in loose:
            raise FuzzFailure(f"lenient decode returned {loose!r}, which it should have refused")
        typ = unverified_header(token).get("typ", "")
        if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "at+jwt":
            raise FuzzFailure(f"decode(typ='at+jwt') accepted typ {typ!r}")
    try:
        header = unverified_header(token)
    except MalformedToken:
        pass
    else:
        if type(header) is not dict:
            raise FuzzFailure(f"unverified_header returned {type(header).__name__}")


def _check_policy(token: str | bytes, claims: Any) -> None:
    """An accepted token honours every rule of the policy it was decoded with."""
    if type(claims) is not dict:
        raise FuzzFailure(f"decode returned {type(claims).__name__}, not a dict")
    exp: Any = claims.get("exp")
    if type(exp) not in (int, float) or not exp > NOW:
        raise FuzzFailure(f"accepted a token with exp={exp!r} at now={NOW}")
    for name in ("nbf", "iat"):
        if name in claims and (type(claims[name]) not in (int, float) or claims[name] > NOW):
            raise FuzzFailure(f"accepted a token with {name}={claims[name]!r} at now={NOW}")
    if claims.get("iss") != ISSUER:
        raise FuzzFailure(f"accepted a token from issuer {claims.get('iss')!r}")
    aud = claims.get("aud")
    if not (aud == AUDIENCE or (type(aud) is list and AUDIENCE in aud)):
        raise FuzzFailure(f"accepted a token for audience {aud!r}")
    _cross_check_signature(token)


def _cross_check_signature(token: str | bytes) -> None:
    """PyJWT, restricted to the one algorithm of the key, agrees that the signature verifies.

    This catches acceptance bugs rather than crashes: algorithm confusion, a signature check
    skipped or done with the wrong key.
    """
    text = token.decode("ascii") if isinstance(token, bytes) else token
    raw_header = unb64u(text.split(".")[0].encode("ascii"))
    header = json.loads(raw_header or b"{}")
    kid = header.get("kid")
    candidates = [
        k for k in signing_keys() if (k.kid == kid if kid is not None else k.alg == header["alg"])
    ]
    errors = []
    for key in candidates:
        material: Any
        if key.is_symmetric:
            material = unb64u(key.to_jwk(private=True)["k"].encode("ascii"))
        else:
            material = key.to_pem()
        try:
            _PYJWS.decode_complete(text, key=material, algorithms=[key.alg])
        except pyjwt.PyJWTError as exc:
            errors.append(f"{key.kid}: {exc}")
        else:
            return
    raise FuzzFailure(f"jwtgate accepted a token PyJWT rejects: {errors or 'no such key'}")


def check_jwks(data: bytes) -> None:
    """KeySet.from_jwks on ``data`` as JSON text and as a parsed object: only ValueError or
    TypeError, within JWKS_TIME_LIMIT; a key set it returns is usable and round-trips."""
    inputs: list[Any] = [data]
    with contextlib.suppress(ValueError, RecursionError):
        inputs.append(json.loads(data))
    for jwks in inputs:
        start = time.perf_counter()
        try:
            keys = KeySet.from_jwks(jwks)
        except (ValueError, TypeError):
            keys = None
        elapsed = time.perf_counter() - start
        if elapsed > JWKS_TIME_LIMIT:
            raise FuzzFailure(f"KeySet.from_jwks took {elapsed:.2f} s (limit {JWKS_TIME_LIMIT})")
        if keys is not None:
            _check_keyset(keys)


def _check_keyset(keys: KeySet) -> None:
    if not 1 <= len(keys) <= MAX_JWKS_KEYS:
        raise FuzzFailure(f"a KeySet of {len(keys)} keys")
    for key in keys:
        if not isinstance(key.kid, str) or key.alg not in ALGORITHMS:
            raise FuzzFailure(f"key with kid {key.kid!r} and alg {key.alg!r}")
        if not key.is_symmetric and Key.from_jwk(key.to_jwk()) != key.public():
            raise FuzzFailure(f"key {key.kid!r} does not round-trip through its public JWK")
        if key.is_private:
            claims = {"exp": NOW + 60, "sub": "fuzz"}
            token = encode(claims, key)
            if len(token.split(".")[0]) > MAX_HEADER_SIZE:
                continue  # a kid of kilobytes: its tokens are refused by size, by design
            if decode(token, keys, now=NOW) != claims:
                raise FuzzFailure(f"key {key.kid!r} signed a token its own set cannot verify")
    public = keys.to_jwks()
    if public["keys"] and len(KeySet.from_jwks(public)) != len(public["keys"]):
        raise FuzzFailure("the public JWK Set does not load back with every key")


_REFRESH_SHAPE = re.compile(r"[A-Za-z0-9_-]{43,128}")


def check_refresh_token(data: bytes) -> None:
    """The auth layer's refresh-token parser never raises, accepts only the documented shape
    (43 to 128 base64url characters), and what it accepts can be hashed for lookup."""
    from jwtgate.auth.tokens import hash_token, parse_refresh_token

    candidates: list[object] = [data, data.decode("latin-1"), data.decode("utf-8", "replace")]
    if data[:1] == b"\x00":
        candidates += [len(data), None, [data], {"token": data}, bytearray(data)]
    for value in candidates:
        parsed = parse_refresh_token(value)
        if parsed is None:
            if type(value) is str and _REFRESH_SHAPE.fullmatch(value):
                raise FuzzFailure(f"a well-formed refresh token was refused: {value!r}")
            continue
        if parsed != value or type(parsed) is not str or not _REFRESH_SHAPE.fullmatch(parsed):
            raise FuzzFailure(f"parse_refresh_token accepted {value!r} as {parsed!r}")
        digest = hash_token(parsed)
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise FuzzFailure(f"hash_token gave {digest!r}")


class RefreshProbe:
    """A real AuthService on a temporary SQLite database, with one user and one live session.

    ``check(data)`` presents ``data`` as a refresh token to ``refresh``, ``revoke`` and
    ``introspect``: refresh must fail with InvalidGrant, revoke must stay silent (RFC 7009
    2.2), introspect must answer inactive, and none of them may touch the live session, so a
    near miss of the live token (one character changed, case flipped, padding or whitespace
    added) never refreshes or revokes it.
    """

    def __init__(self, folder: str) -> None:
        from jwtgate.auth import build_auth
        from jwtgate.config import Settings

        settings = Settings(
            database_url=f"sqlite:///{folder}/fuzz.db",
            key_file=f"{folder}/fuzz.key",
            issuer=ISSUER,
            argon2_time_cost=1,
            argon2_memory_cost=64,
            argon2_parallelism=1,
        )
        self.service = build_auth(settings)
        self.service.create_user("fuzz", "correct horse battery staple")
        pair = self.service.login("fuzz", "correct horse battery staple")
        if pair.refresh_token is None:
            raise FuzzFailure("login gave no refresh token")
        self.live: str = pair.refresh_token

    def check(self, data: bytes) -> None:
        """Run the oracles on ``data`` (see the class docstring)."""
        from jwtgate.auth.errors import InvalidGrant

        check_refresh_token(data)
        service = self.service
        for value in dict.fromkeys((data.decode("latin-1"), data.decode("utf-8", "replace"))):
            if value == self.live:
                continue  # the one string that may refresh
            try:
                service.refresh(value, client_ip="203.0.113.9", user_agent="fuzz")
            except InvalidGrant:
                pass
            else:
                raise FuzzFailure(f"an unknown refresh token refreshed: {value!r}")
            service.revoke(value)
            service.revoke(value, token_type_hint="refresh_token")  # noqa: S106
            answer = service.introspect(value)
            if answer != {"active": False}:
                raise FuzzFailure(f"introspect({value!r}) answered {answer!r}")
        if service.introspect(self.live).get("active") is not True:
            raise FuzzFailure(f"the live session died after presenting {data!r}")

    def close(self) -> None:
        """Release the database."""
        self.service.close()
