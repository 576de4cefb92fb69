"""Write the seed corpora under fuzz/corpus/<harness>/ (and, with --new-keys, the harness keys).

    .venv/bin/python -m fuzz.seeds              # rewrite the corpora from fuzz/keys.json
    .venv/bin/python -m fuzz.seeds --new-keys   # also make new harness keys first

Seeds are a handful of valid inputs: tokens that verify under the harness policy (one per key,
with and without kid, at+jwt typed, audience arrays) and a few classic forgeries; JWK Sets of
every key type, public and private; refresh tokens of the lengths the parser allows.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
from typing import Any

from jwtgate import Key, encode

from .fuzzkit import AUDIENCE, CORPUS_DIR, ISSUER, KEYS_FILE, NOW, b64u, signing_keys

HARNESS_ALGS = (
    ("HS256", "hs256"),
    ("RS256", "rs256"),
    ("PS384", "ps384"),
    ("ES256", "es256"),
    ("ES512", "es512"),
    ("EdDSA", "ed25519"),
    ("Ed448", "ed448"),
)


def new_keys() -> None:
    """Generate the harness keys (RS256 and PS384 share one RSA key under two kids)."""
    rsa = Key.generate("RS256")
    jwks: list[dict[str, Any]] = []
    for alg, kid in HARNESS_ALGS:
        if alg == "PS384":
            jwk = Key.from_jwk({**rsa.to_jwk(private=True), "alg": alg, "kid": kid}).to_jwk(True)
        elif alg == "RS256":
            jwk = {**rsa.to_jwk(private=True), "kid": kid}
        else:
            jwk = Key.generate(alg, kid=kid).to_jwk(private=True)
        jwks.append(jwk)
    KEYS_FILE.write_text(json.dumps({"keys": jwks}, indent=1) + "\n")


def claims(**extra: Any) -> dict[str, Any]:
    """Claims valid under the harness policy at NOW."""
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "42", "iat": NOW - 10, "nbf": NOW - 10}
    return {**base, "exp": NOW + 3600, "jti": "j1", **extra}


def token_seeds() -> dict[str, bytes]:
    """Valid tokens for every harness key, plus a few classic forgeries."""
    out: dict[str, bytes] = {}
    for key in signing_keys():
        out[f"valid-{key.kid}"] = encode(claims(), key).encode()
        out[f"at-jwt-{key.kid}"] = encode(
            claims(aud=["other", AUDIENCE], scope="read", roles=["admin"]),
            key,
            headers={"typ": "at+jwt"},
        ).encode()
    hs = next(k for k in signing_keys() if k.is_symmetric)
    no_kid_head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64u(json.dumps(claims()).encode())
    out["hs256-no-kid"] = (
        no_kid_head + b"." + body + b"." + b64u(hs.sign(no_kid_head + b"." + body))
    )
    none_head = b64u(b'{"alg":"none","typ":"JWT"}')
    out["alg-none"] = none_head + b"." + body + b"."
    rsa = next(k for k in signing_keys() if k.alg == "RS256")
    confused_head = b64u(json.dumps({"alg": "HS256", "kid": rsa.kid}).encode())
    signing_input = confused_head + b"." + body
    # HMAC-SHA256 keyed with the RSA public key's PEM: CVE-2015-9235.
    mac = hmac.new(rsa.to_pem(), signing_input, hashlib.sha256).digest()
    out["hs256-keyed-with-rs-public-pem"] = signing_input + b"." + b64u(mac)
    return out


def jwks_seeds() -> dict[str, bytes]:
    """JWK Sets: the harness keys public and private, one document per key type."""
    keys = signing_keys()
    docs: dict[str, Any] = {
        "public": {"keys": [k.to_jwk() for k in keys if not k.is_symmetric]},
        "private": {"keys": [k.to_jwk(private=True) for k in keys]},
        "empty": {"keys": []},
    }
    for key in keys:
        docs[f"one-{key.kid}"] = {"keys": [key.to_jwk(private=key.is_symmetric)]}
        docs[f"one-private-{key.kid}"] = {"keys": [key.to_jwk(private=True)]}
    rsa = next(k for k in keys if k.alg == "RS256").to_jwk(private=True)
    docs["rsa-n-e-d-only"] = {
        "keys": [{n: rsa[n] for n in ("kty", "alg", "kid", "n", "e", "d")}],
    }
    return {name: json.dumps(doc, separators=(",", ":")).encode() for name, doc in docs.items()}


def refresh_seeds() -> dict[str, bytes]:
    """Refresh tokens of the shapes the parser allows and just outside them."""
    return {
        "issued": secrets.token_urlsafe(32).encode(),
        "shortest": b"A" * 43,
        "longest": b"_" * 128,
        "too-short": b"A" * 42,
        "too-long": b"-" * 129,
        "jwt-shaped": token_seeds()["valid-hs256"],
    }


def write(harness: str, seeds: dict[str, bytes]) -> None:
    """Replace fuzz/corpus/<harness>/ with ``seeds``."""
    folder = CORPUS_DIR / harness
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-keys", action="store_true", help="make new harness keys first")
    if parser.parse_args().new_keys:
        new_keys()
        signing_keys.cache_clear()
    write("decode", token_seeds())
    write("jwks", jwks_seeds())
    write("refresh_token", refresh_seeds())


if __name__ == "__main__":
    main()
