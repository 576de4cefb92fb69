"""The attack catalogue of issue 6 as data: forged access tokens, each named after the CVE or
advisory it comes from, built from a genuine token and the issuer's published JWK Set.

Forgeries are built here by hand (``json``, ``hmac``, ``cryptography``), never by jwtgate's
encoder, except the "insider" ones, which are signed by the server's real key so that the
one check under test (typ, aud, iss, time, crit, types) is the only reason to refuse them.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from jwtgate import Key

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class Attack:
    """One forged token and where the attack comes from."""

    name: str
    source: str  # the CVE, advisory or RFC section
    token: str


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jdump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def compact(
    header: dict[str, Any] | bytes,
    claims: dict[str, Any] | bytes,
    sign: Callable[[bytes], bytes] | str = "",
) -> str:
    """A compact JWS from a header and claims (objects or exact bytes) and a signer, or a
    ready signature segment."""
    head = header if isinstance(header, bytes) else jdump(header)
    body = claims if isinstance(claims, bytes) else jdump(claims)
    signing_input = b64u(head) + "." + b64u(body)
    signature = b64u(sign(signing_input.encode())) if callable(sign) else sign
    return signing_input + "." + signature


def hmac_signer(secret: bytes, alg: str = "HS256") -> Callable[[bytes], bytes]:
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return lambda data: hmac.new(secret, data, digest).digest()


def es256_signer(private: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


def public_key_encodings(jwk: dict[str, Any]) -> dict[str, bytes]:
    """Every form in which an HMAC-confusion attacker might use the issuer's public key."""
    public = Key.from_jwk(jwk)
    pem = public.to_pem()
    loaded = serialization.load_pem_public_key(pem)
    forms = {
        "pem": pem,
        "pem-without-final-newline": pem.rstrip(b"\n"),
        "der": loaded.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk-json": json.dumps(jwk).encode(),
        "jwk-json-compact": jdump(jwk),
        "jwk-public-members": jdump({k: v for k, v in jwk.items() if k not in ("kid", "alg")}),
    }
    if isinstance(loaded, ec.EllipticCurvePublicKey):
        forms["ec-point-raw"] = loaded.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return forms


def self_signed_certificate(private: ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class Canary:
    """A local HTTP server that records every request. Header URLs point at it, and the
    tests assert nobody ever came; given a document, it serves that JSON at every path (a
    hostile issuer's JWK Set)."""

    url: str
    hits: list[str]


@contextmanager
def canary(document: Any = None) -> Iterator[Canary]:
    """Run a Canary for the duration of the block."""
    hits: list[str] = []
    body = None if document is None else jdump(document)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404 if body is None else 200)
            if body is not None:
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
            self.end_headers()
            if body is not None:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Canary(f"http://127.0.0.1:{httpd.server_address[1]}", hits)
    finally:
        httpd.shutdown()
        httpd.server_close()


def outsider_attacks(genuine: str, jwk: dict[str, Any], canary_url: str) -> list[Attack]:
    """Forgeries anyone can make from a genuine token and the published JWK Set."""
    head, body, signature = genuine.split(".")
    header = json.loads(unb64u(head))
    claims = json.loads(unb64u(body))
    kid = header["kid"]
    evil = {**claims, "roles": ["admin"], "scope": "admin", "exp": claims["exp"] + 3600}
    out: list[Attack] = []

    def add(name: str, source: str, token: str) -> None:
        out.append(Attack(name, source, token))

    none_source = "CVE-2022-23540 (jsonwebtoken), Auth0 2015 advisory (alg none)"
    for alg in ("none", "None", "NONE", "nOnE"):
        for sig_name, sig in (("unsigned", ""), ("genuine-signature", signature), ("junk", "AA")):
            for with_kid in (True, False):
                h = {"alg": alg, "typ": "at+jwt", **({"kid": kid} if with_kid else {})}
                add(
                    f"alg-{alg}-{sig_name}-{'kid' if with_kid else 'nokid'}",
                    none_source,
                    compact(h, evil, sig),
                )

    confusion_source = (
        "CVE-2015-9235 / CVE-2016-10555 / CVE-2017-11424 (HMAC keyed with public key)"
    )
    for form, secret in public_key_encodings(jwk).items():
        for alg in ("HS256", "HS384", "HS512"):
            for with_kid in (True, False):
                h = {"alg": alg, "typ": "at+jwt", **({"kid": kid} if with_kid else {})}
                add(
                    f"{alg}-keyed-with-{form}-{'kid' if with_kid else 'nokid'}",
                    confusion_source,
                    compact(h, evil, hmac_signer(secret, alg)),
                )

    real_alg = header["alg"]
    if real_alg == "ES256":
        psychic = "CVE-2022-21449 (psychic signatures)"
        n = P256_ORDER.to_bytes(32, "big")
        zero, one = bytes(32), (1).to_bytes(32, "big")
        for sig_name, raw in (
            ("r0-s0", zero + zero),
            ("rn-sn", n + n),
            ("r0-s1", zero + one),
            ("r1-s0", one + zero),
            ("der-zeroes", b"\x30\x06\x02\x01\x00\x02\x01\x00"),
        ):
            add(f"ecdsa-{sig_name}", psychic, compact({**header}, evil, b64u(raw)))

    attacker = ec.generate_private_key(ec.SECP256R1())
    attacker_key = Key.from_pem(
        attacker.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    attacker_jwk = attacker_key.public().to_jwk()
    sign_attacker = es256_signer(attacker)
    embedded: dict[str, tuple[str, dict[str, Any]]] = {
        "jwk": ("CVE-2018-0114 (key embedded in jwk header)", {"jwk": attacker_jwk}),
        "jku": ("RFC 8725 2.9 (jku: key URL, SSRF)", {"jku": canary_url + "/jwks.json"}),
        "x5u": ("RFC 8725 2.9 (x5u: certificate URL, SSRF)", {"x5u": canary_url + "/cert.pem"}),
        "x5c": (
            "RFC 7515 4.1.6 (x5c: attacker certificate chain)",
            {"x5c": [base64.b64encode(self_signed_certificate(attacker)).decode()]},
        ),
    }
    for name, (source, extra) in embedded.items():
        for kid_name, kid_value in (
            ("attacker-kid", attacker_key.kid),
            ("server-kid", kid),
            ("no-kid", None),
        ):
            h = {"alg": "ES256", "typ": "at+jwt", **extra}
            if kid_value is not None:
                h["kid"] = kid_value
            add(f"{name}-header-{kid_name}", source, compact(h, evil, sign_attacker))

    kid_source = "RFC 8725 2.9 (kid traversal and injection)"
    for kid_name, bad_kid in (
        ("traversal-dev-null", "../../../../../../dev/null"),
        ("absolute-dev-null", "/dev/null"),
        ("traversal-passwd", "../../../../etc/passwd"),
        ("sql-or", "' OR '1'='1"),
        ("sql-union", "x' UNION SELECT 'secret' --"),
        ("nul-byte", kid + "\x00"),
        ("url", canary_url + "/key"),
        ("command", "$(touch /tmp/jwtgate-pwned)"),
    ):
        for secret_name, secret in (("empty", b""), ("nul", b"\x00"), ("word", b"secret")):
            h = {"alg": "HS256", "typ": "at+jwt", "kid": bad_kid}
            add(
                f"kid-{kid_name}-hmac-{secret_name}",
                kid_source,
                compact(h, evil, hmac_signer(secret)),
            )
        add(
            f"kid-{kid_name}-attacker-es256",
            kid_source,
            compact({"alg": "ES256", "typ": "at+jwt", "kid": bad_kid}, evil, sign_attacker),
        )

    strip = "RFC 8725 3.3 (signature stripped, empty, or from another key)"
    add("signature-stripped", strip, f"{head}.{body}.")
    add("two-segments", strip, f"{head}.{body}")
    add("signature-of-another-key", strip, compact(header, claims, sign_attacker))
    add("forged-claims-signed-by-another-key", strip, compact(header, evil, sign_attacker))
    add(
        "signature-moved-to-forged-claims",
        "RFC 7515 5.2 (payload tampering)",
        compact(header, evil, signature),
    )
    add(
        "one-bit-flipped-in-claims",
        "RFC 7515 5.2 (payload tampering)",
        f"{head}.{b64u(unb64u(body)[:-2] + bytes([unb64u(body)[-2] ^ 1]) + unb64u(body)[-1:])}"
        f".{signature}",
    )
    add("signature-truncated", strip, f"{head}.{body}.{signature[:-4]}")
    add(
        "oversized-token",
        "DESIGN: tokens at most 8 KiB",
        compact(header, {**evil, "pad": "x" * 9000}, signature),
    )
    return out


def insider_attacks(
    sign: Callable[[bytes], bytes], genuine: str, issuer: str, audience: str, now: int
) -> list[Attack]:
    """Tokens signed by the server's real key, each wrong in exactly one way."""
    head, body, _ = genuine.split(".")
    header = json.loads(unb64u(head))
    claims = json.loads(unb64u(body))
    out: list[Attack] = []

    def add(name: str, source: str, h: dict[str, Any] | bytes, c: dict[str, Any] | bytes) -> None:
        out.append(Attack(name, source, compact(h, c, sign)))

    add("control-a-faithful-copy-is-accepted", "control", header, claims)
    id_token = {
        **claims,
        "aud": "web-client",
        "nonce": "n-0S6_WzA2Mj",
        "auth_time": now - 5,
    }
    add("id-token-shaped", "RFC 8725 2.8 (cross-JWT confusion)", {**header, "typ": "JWT"}, id_token)
    add("typ-jwt", "RFC 8725 3.11 (explicit typing)", {**header, "typ": "JWT"}, claims)
    add(
        "no-typ",
        "RFC 8725 3.11 (explicit typing)",
        {k: v for k, v in header.items() if k != "typ"},
        claims,
    )
    add(
        "typ-refresh",
        "RFC 8725 3.12 (mutually exclusive rules)",
        {**header, "typ": "rt+jwt"},
        claims,
    )
    add("other-audience", "RFC 8725 2.7 (substitution)", header, {**claims, "aud": "billing"})
    add(
        "audience-list-without-ours",
        "RFC 8725 2.7 (substitution)",
        header,
        {**claims, "aud": ["billing", "mail"]},
    )
    add(
        "no-audience",
        "RFC 8725 3.9 (audience)",
        header,
        {k: v for k, v in claims.items() if k != "aud"},
    )
    add("other-issuer", "RFC 8725 3.8 (issuer)", header, {**claims, "iss": issuer + ".evil"})
    add(
        "expired",
        "RFC 7519 4.1.4",
        header,
        {**claims, "exp": now - 3600, "iat": now - 7200, "nbf": now - 7200},
    )
    add("not-yet-valid", "RFC 7519 4.1.5", header, {**claims, "nbf": now + 3600})
    add(
        "issued-in-the-future",
        "RFC 7519 4.1.6",
        header,
        {**claims, "iat": now + 3600, "nbf": now - 10},
    )
    add(
        "no-exp",
        "RFC 8725 (expiry required)",
        header,
        {k: v for k, v in claims.items() if k != "exp"},
    )
    add("exp-as-string", "RFC 7519 2 (NumericDate)", header, {**claims, "exp": str(now + 60)})
    add(
        "crit-unknown",
        "RFC 7515 4.1.11 (crit)",
        {**header, "crit": ["x-policy"], "x-policy": 1},
        claims,
    )
    add("crit-exp", "RFC 7515 4.1.11 (crit)", {**header, "crit": ["exp"], "exp": now + 60}, claims)
    add(
        "b64-false",
        "RFC 7797 (unencoded payload)",
        {**header, "b64": False, "crit": ["b64"]},
        claims,
    )
    for member, value in (
        ("kid", 1),
        ("kid", ["x"]),
        ("kid", None),
        ("typ", ["at+jwt"]),
        ("typ", 1),
        ("alg", ["ES256"]),
        ("jku", 1),
        ("crit", "x"),
    ):
        add(
            f"header-{member}-{type(value).__name__}",
            "DESIGN (header member types)",
            {**header, member: value},
            claims,
        )
    duplicate = jdump(header)[:-1] + b',"alg":"none"}'
    add("duplicate-alg-in-header", "RFC 7515 5.2 (duplicate member names)", duplicate, claims)
    deep: Any = "x"
    for _ in range(40):
        deep = {"d": deep}
    add("deeply-nested-claims", "DESIGN (bounded JSON depth)", header, {**claims, "deep": deep})
    add(
        "oversized-signed-token",
        "DESIGN: tokens at most 8 KiB",
        header,
        {**claims, "pad": "x" * 9000},
    )
    return out
