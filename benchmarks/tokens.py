"""Token encode/decode speed: jwtgate against PyJWT, joserfc, jwcrypto, python-jose, authlib.

Every decode validates the signature, ``exp``, ``iss`` and ``aud``, over a pool of distinct
tokens (distinct ``jti``), so nothing token-level is cached. The floor row does only the
irreducible work in Python: base64url-decode three segments, one ``cryptography`` (or stdlib
``hmac``) verify, ``orjson.loads`` twice and the claim comparisons; for encode, ``orjson.dumps``
twice, base64url-encode and one sign. Ratios are to the floor, from one run.

    python benchmarks/tokens.py [--quick] [--rounds N] [--pool N] [--only decode-HS256,...]
                                [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import base64
import hmac
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
from _harness import Contender, Row, print_rows, progress, run_row  # noqa: E402

# Then off the path again: benchmarks/http.py would shadow the standard library's http,
# which httpx and the peers import.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import jwtgate  # noqa: E402

warnings.filterwarnings("ignore")

ISS, AUD = "https://auth.example", "api"
DECODE_ALGS = ("HS256", "ES256", "EdDSA", "RS256")
ENCODE_ALGS = ("HS256", "ES256", "EdDSA")


def b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Material:
    """One key, made with ``cryptography`` and imported into every library through its
    public API (jwtgate from PEM or the raw secret, the others from PEM, JWK or the key)."""

    def __init__(self, alg: str) -> None:
        self.alg = alg
        self.secret: bytes | None = None
        self.private: Any = None
        self.public: Any = None
        if alg == "HS256":
            self.secret = os.urandom(32)
            self.key = jwtgate.Key.from_secret(self.secret, alg)
            self.pem_private = self.pem_public = ""
        else:
            if alg == "ES256":
                self.private = ec.generate_private_key(ec.SECP256R1())
            elif alg == "EdDSA":
                self.private = ed25519.Ed25519PrivateKey.generate()
            else:
                self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.public = self.private.public_key()
            pem = self.private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            self.key = jwtgate.Key.from_pem(pem, alg=alg)
            self.pem_private = pem.decode()
            self.pem_public = self.public.public_bytes(
                Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
            ).decode()
        self.keys = jwtgate.KeySet([self.key])
        self.jwk_private = self.key.to_jwk(private=True)
        self.jwk_public = self.jwk_private if self.secret else self.key.to_jwk()


def claims(i: int) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISS,
        "aud": AUD,
        "sub": "user-42",
        "iat": now,
        "exp": now + 3600,
        "jti": f"token-{i}",
        "roles": ["user"],
        "scope": "read write",
    }


# -- floors ------------------------------------------------------------------------------


def floor_decode(m: Material) -> Callable[[str], object]:
    alg = m.alg
    if alg == "HS256":
        secret = m.secret or b""

        def check(si: bytes, sig: bytes) -> None:
            if not hmac.compare_digest(hmac.digest(secret, si, "sha256"), sig):
                raise ValueError
    else:
        pub = m.public
        if alg == "ES256":
            scheme = ec.ECDSA(hashes.SHA256())

            def check(si: bytes, sig: bytes) -> None:
                r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
                pub.verify(encode_dss_signature(r, s), si, scheme)
        elif alg == "RS256":
            pad, h = padding.PKCS1v15(), hashes.SHA256()

            def check(si: bytes, sig: bytes) -> None:
                pub.verify(sig, si, pad, h)
        else:

            def check(si: bytes, sig: bytes) -> None:
                pub.verify(sig, si)

    def run(token: str) -> object:
        h, p, s = token.split(".")
        header = orjson.loads(b64d(h))
        payload, sig = b64d(p), b64d(s)
        check(f"{h}.{p}".encode(), sig)
        c = orjson.loads(payload)
        if header["alg"] != alg or c["exp"] <= time.time() or c["iss"] != ISS or c["aud"] != AUD:
            raise ValueError
        return c

    return run


def floor_encode(m: Material) -> Callable[[dict[str, Any]], str]:
    header = {"alg": m.alg, "typ": "JWT", "kid": m.key.kid}
    if m.alg == "HS256":
        secret = m.secret or b""

        def sign(si: bytes) -> bytes:
            return hmac.digest(secret, si, "sha256")
    elif m.alg == "ES256":
        priv, scheme = m.private, ec.ECDSA(hashes.SHA256())

        def sign(si: bytes) -> bytes:
            r, s = decode_dss_signature(priv.sign(si, scheme))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        ed: ed25519.Ed25519PrivateKey = m.private

        def sign(si: bytes) -> bytes:
            return ed.sign(si)

    def run(c: dict[str, Any]) -> str:
        si = b64e(orjson.dumps(header)) + "." + b64e(orjson.dumps(c))
        return si + "." + b64e(sign(si.encode()))

    return run


# -- peers -------------------------------------------------------------------------------


def peers_decode(m: Material) -> dict[str, Callable[[str], object]]:
    out: dict[str, Callable[[str], object]] = {}
    alg = m.alg
    import jwt as pyjwt

    pj_key = m.secret if m.secret else m.public
    out["PyJWT"] = lambda t: pyjwt.decode(t, pj_key, algorithms=[alg], audience=AUD, issuer=ISS)

    from joserfc import jwt as jrfc_jwt
    from joserfc.jwk import import_key as jrfc_import

    jrfc_key = jrfc_import(m.jwk_public)
    registry = jrfc_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISS}, aud={"essential": True, "value": AUD}
    )

    def joserfc_decode(t: str) -> object:
        tok = jrfc_jwt.decode(t, jrfc_key, algorithms=[alg])
        registry.validate(tok.claims)  # exp and nbf are checked by default
        return tok.claims

    out["joserfc"] = joserfc_decode

    from jwcrypto import jwk as jc_jwk
    from jwcrypto import jwt as jc_jwt

    jc_key = jc_jwk.JWK(**m.jwk_public)
    checks = {"iss": ISS, "aud": AUD, "exp": None}
    out["jwcrypto"] = lambda t: (
        jc_jwt.JWT(jwt=t, key=jc_key, algs=[alg], check_claims=checks).claims
    )

    if alg != "EdDSA":  # python-jose has no EdDSA
        from jose import jwt as pj_jwt

        pjose_key = m.secret if m.secret else m.pem_public
        out["python-jose"] = lambda t: pj_jwt.decode(
            t, pjose_key, algorithms=[alg], audience=AUD, issuer=ISS
        )

    from authlib.jose import JsonWebKey, JsonWebToken

    al_jwt = JsonWebToken([alg])
    al_key = JsonWebKey.import_key(m.jwk_public)
    options = {
        "iss": {"essential": True, "value": ISS},
        "aud": {"essential": True, "value": AUD},
        "exp": {"essential": True},
    }

    def authlib_decode(t: str) -> object:
        c = al_jwt.decode(t, al_key, claims_options=options)
        c.validate()
        return c

    out["authlib"] = authlib_decode
    return out


def peers_encode(m: Material) -> dict[str, Callable[[dict[str, Any]], object]]:
    out: dict[str, Callable[[dict[str, Any]], object]] = {}
    alg, kid = m.alg, m.key.kid
    import jwt as pyjwt

    pj_key = m.secret if m.secret else m.private
    out["PyJWT"] = lambda c: pyjwt.encode(c, pj_key, algorithm=alg, headers={"kid": kid})

    from joserfc import jwt as jrfc_jwt
    from joserfc.jwk import import_key as jrfc_import

    jrfc_key = jrfc_import(m.jwk_private)
    hdr = {"alg": alg, "kid": kid}
    out["joserfc"] = lambda c: jrfc_jwt.encode(hdr, c, jrfc_key, algorithms=[alg])

    from jwcrypto import jwk as jc_jwk
    from jwcrypto import jwt as jc_jwt

    jc_key = jc_jwk.JWK(**m.jwk_private)

    def jwcrypto_encode(c: dict[str, Any]) -> object:
        t = jc_jwt.JWT(header=hdr, claims=c)
        t.make_signed_token(jc_key)
        return t.serialize()

    out["jwcrypto"] = jwcrypto_encode

    if alg != "EdDSA":
        from jose import jwt as pj_jwt

        pjose_key = m.secret if m.secret else m.pem_private
        out["python-jose"] = lambda c: pj_jwt.encode(
            c, pjose_key, algorithm=alg, headers={"kid": kid}
        )

    from authlib.jose import JsonWebKey, JsonWebToken

    al_jwt = JsonWebToken([alg])
    al_key = JsonWebKey.import_key(m.jwk_private)
    out["authlib"] = lambda c: al_jwt.encode(hdr, c, al_key)
    return out


# -- rows --------------------------------------------------------------------------------


def must_reject(m: Material) -> dict[str, str]:
    """Tokens every decoder must refuse, by what is wrong with them."""
    past = int(time.time()) - 3600
    return {
        "another audience": jwtgate.encode({**claims(-1), "aud": "other"}, m.key),
        "another issuer": jwtgate.encode({**claims(-2), "iss": "https://evil.example"}, m.key),
        "expired an hour ago": jwtgate.encode({**claims(-3), "iat": past - 60, "exp": past}, m.key),
    }


def checked_decoders(
    m: Material, contenders: dict[str, Callable[[str], object]], good: str
) -> tuple[dict[str, Callable[[str], object]], list[str]]:
    """The contenders that accept ``good`` and reject every bad token; notes on the others."""
    kept: dict[str, Callable[[str], object]] = {}
    notes: list[str] = []
    bad = must_reject(m)
    for name, fn in contenders.items():
        try:
            fn(good)
        except Exception as exc:
            notes.append(f"{name} rejected a valid {m.alg} token ({type(exc).__name__}): excluded")
            continue
        accepted = []
        for what, token in bad.items():
            try:
                fn(token)
            except Exception:
                continue
            accepted.append(what)
        if accepted:
            notes.append(f"{name} accepted a token from {', '.join(accepted)}: excluded")
            continue
        kept[name] = fn
    return kept, notes


def timed_row(
    title: str,
    kept: Mapping[str, Callable[[Any], object]],
    notes: list[str],
    pool: Sequence[object],
    rounds: int,
    clock: Callable[[], float],
) -> Row:
    """Run the contenders that passed their checks; the notes say who did not and why."""
    if title.endswith("EdDSA"):
        notes.append("python-jose has no EdDSA: not in this row")
    for n in notes:
        progress(f"  {n}")
    contenders = [Contender(n, f) for n, f in kept.items()]
    return run_row(title, "floor", contenders, pool, rounds, notes, clock)


def decode_row(alg: str, pool_size: int, rounds: int, clock: Callable[[], float]) -> Row:
    m = Material(alg)
    pool = [jwtgate.encode(claims(i), m.key) for i in range(pool_size)]
    keys = m.keys

    def ours(t: str) -> object:
        return jwtgate.decode(t, keys, issuer=ISS, audience=AUD)

    contenders = {"floor": floor_decode(m), "jwtgate": ours, **peers_decode(m)}
    kept, notes = checked_decoders(m, contenders, pool[0])
    return timed_row(f"decode {alg}", kept, notes, pool, rounds, clock)


def encode_row(alg: str, pool_size: int, rounds: int, clock: Callable[[], float]) -> Row:
    m = Material(alg)
    pool = [claims(i) for i in range(pool_size)]
    key = m.key
    contenders = {
        "floor": floor_encode(m),
        "jwtgate": lambda c: jwtgate.encode(c, key),
        **peers_encode(m),
    }
    kept: dict[str, Callable[[dict[str, Any]], object]] = {}
    notes: list[str] = []
    for name, fn in contenders.items():
        # Each must make a token that jwtgate accepts with the same claims.
        try:
            out = fn(pool[0])
            token = out.decode() if isinstance(out, bytes) else str(out)
            got = jwtgate.decode(token, m.keys, issuer=ISS, audience=AUD)
        except Exception as exc:
            notes.append(
                f"{name} made an {alg} token jwtgate rejects ({type(exc).__name__}): excluded"
            )
            continue
        if got != pool[0]:
            notes.append(f"{name} changed the claims of an {alg} token: excluded")
            continue
        kept[name] = fn
    return timed_row(f"encode {alg}", kept, notes, pool, rounds, clock)


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
ROWS = [f"decode-{a}" for a in DECODE_ALGS] + [f"encode-{a}" for a in ENCODE_ALGS]


def main(argv: list[str] | None = None) -> int:
    """Run the rows asked for and print one Markdown table per row on stdout."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny pool and 2 rounds (smoke)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument(
        "--pool", type=int, default=2000, help="distinct tokens per row (default 2000)"
    )
    parser.add_argument("--only", default="", help=f"comma-separated rows, of: {', '.join(ROWS)}")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU time, steadier on a shared machine (default); wall",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.pool < 1:
        parser.error("--rounds and --pool must be at least 1")
    wanted = [w.strip() for w in args.only.split(",") if w.strip()] or ROWS
    unknown = [w for w in wanted if w not in ROWS]
    if unknown:
        parser.error(f"unknown row {', '.join(unknown)}; rows are {', '.join(ROWS)}")
    rounds, pool = (2, 20) if args.quick else (args.rounds, args.pool)
    rows = []
    for name in ROWS:
        if name not in wanted:
            continue
        kind, alg = name.split("-")
        progress(f"{kind} {alg} (pool {pool}, {rounds} rounds) ...")
        rows.append(
            (decode_row if kind == "decode" else encode_row)(alg, pool, rounds, CLOCKS[args.clock])
        )
    print(
        f"# jwtgate token benchmark (python {sys.version.split()[0]}, {rounds} rounds, "
        f"pool {pool}, {args.clock} clock)"
    )
    print_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
