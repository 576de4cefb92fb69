"""Hand-made DPoP proofs (RFC 9449 4.2), signed by joserfc (a library nobody here wrote), with
any one part broken on purpose; and a uvicorn server in a thread for HTTP clients."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from jwtgate import Key, encode

URL = "https://api.example/orders"
_ANY = JWSRegistry(
    algorithms=["ES256", "ES384", "RS256", "EdDSA", "HS256", "PS256"], strict_check_header=False
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ath(token: str) -> str:
    return b64(hashlib.sha256(token.encode()).digest())


class Holder:
    """A client's DPoP key (joserfc), and proofs made with it."""

    def __init__(self, alg: str = "ES256", clock: Any = time.time) -> None:
        self.alg = alg
        self.clock = clock
        if alg.startswith("ES"):
            self.key: Any = ECKey.generate_key({"ES256": "P-256", "ES384": "P-384"}[alg])
        elif alg in ("RS256", "PS256"):
            self.key = RSAKey.generate_key(2048)
        else:
            self.key = OKPKey.generate_key("Ed25519")
        self.jwk: dict[str, Any] = self.key.as_dict(private=False)
        self.jkt: str = self.key.thumbprint()

    def claims(self, htm: str, htu: str, token: str | None, **over: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(12),
            "htm": htm,
            "htu": htu,
            "iat": int(self.clock()),
        }
        if token is not None:
            claims["ath"] = ath(token)
        claims.update(over)
        return {k: v for k, v in claims.items() if v is not None}

    def proof(
        self,
        htm: str = "GET",
        htu: str = URL,
        token: str | None = None,
        *,
        header: dict[str, Any] | None = None,
        signer: Any = None,
        **claims: Any,
    ) -> str:
        """A proof; ``header`` entries replace the default header's (None removes one),
        ``signer`` signs instead of this holder's key, claims given as None are left out."""
        protected: dict[str, Any] = {"alg": self.alg, "typ": "dpop+jwt", "jwk": self.jwk}
        for name, value in (header or {}).items():
            if value is None:
                protected.pop(name, None)
            else:
                protected[name] = value
        payload = json.dumps(self.claims(htm, htu, token, **claims))
        return jws.serialize_compact(protected, payload, signer or self.key, registry=_ANY)


def bound_token(issuer: Any, holder: Holder, **claims: Any) -> str:
    """An access token of the test issuer bound to ``holder``'s key (cnf.jkt)."""
    return str(issuer.token(cnf={"jkt": holder.jkt}, **claims))


def unsigned_proof(holder: Holder, alg: str = "none") -> str:
    header = b64(json.dumps({"alg": alg, "typ": "dpop+jwt", "jwk": holder.jwk}).encode())
    body = b64(json.dumps(holder.claims("GET", URL, None)).encode())
    return f"{header}.{body}."


def hmac_proof(holder: Holder) -> str:
    secret = Key.from_secret(secrets.token_bytes(32), "HS256")
    return encode(
        holder.claims("GET", URL, None),
        secret,
        headers={"typ": "dpop+jwt", "jwk": {"kty": "oct", "k": "c2VjcmV0"}},
    )


def own_signed(holder: Holder, **header: Any) -> str:
    """A proof with a header joserfc would not sign (signed by jwtgate's encode)."""
    key = Key.from_jwk(holder.key.as_dict(private=True), alg=holder.alg)
    return encode(holder.claims("GET", URL, None), key, headers={"typ": "dpop+jwt", **header})


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; yield its base URL."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
