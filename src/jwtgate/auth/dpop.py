"""DPoP at the auth server (RFC 9449): proofs at the token endpoint, and at the server's own
protected routes.

The token endpoint (RFC 9449 5) accepts one ``DPoP`` header on every grant; a valid proof
(every check of 4.3, by :func:`jwtgate.jose.dpop.verify_proof`) gives the key thumbprint the
new access token is bound to (``cnf.jkt``, ``token_type: DPoP``). Its refusals are token
endpoint errors (400): :class:`DPoPProofRefused` (``invalid_dpop_proof``) and
:class:`DPoPNonceRequired` (``use_dpop_nonce``, with the nonce to use, RFC 9449 8), which
``JWTGATE_DPOP_REQUIRE_NONCE`` demands of every proof. Nonces need no storage and are the same
on every instance: an HMAC of the time step under a key derived from the master key; a new one
every 5 minutes, the previous still accepted (rotation, 8.2: each answer carries the current).

Replayed proofs are refused by ``jti`` within the ``iat`` window: in memory (bounded) for one
instance, in Redis (``SET NX`` with the window as expiry) when ``JWTGATE_REDIS_URL`` is set, so
a proof replayed at another instance is refused too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..jose.dpop import (
    DEFAULT_DPOP_ALGORITHMS,
    MemoryReplayCache,
    NonceSource,
    ReplayCache,
    verify_proof,
)
from ..jose.errors import InvalidDPoPProof, InvalidToken, UseDPoPNonce
from ..store.records import ClientRecord
from .errors import AuthError

__all__ = [
    "DPOP_ALGORITHMS",
    "DPoPChecks",
    "DPoPNonceRequired",
    "DPoPProofRefused",
    "binds_refresh",
    "require_dpop",
    "token_jkt",
]

DPOP_ALGORITHMS = DEFAULT_DPOP_ALGORITHMS
PROOF_MAX_AGE = 60.0
PROOF_LEEWAY = 5.0
NONCE_LIFETIME = 300.0


class DPoPProofRefused(AuthError):
    """The token request's DPoP proof fails a check of RFC 9449 4.3 (400)."""

    code = "invalid_dpop_proof"


class DPoPNonceRequired(DPoPProofRefused):
    """The proof must carry the server's nonce (RFC 9449 8): 400 with ``DPoP-Nonce``."""

    code = "use_dpop_nonce"

    def __init__(self, message: str, *, nonce: str) -> None:
        super().__init__(message)
        self.nonce = nonce


def require_dpop(client: ClientRecord | None, jkt: str | None) -> None:
    """A client registered with ``dpop_bound_access_tokens`` must send a proof (RFC 9449 5.2).
    Raises DPoPProofRefused."""
    if client is not None and client.dpop_bound_access_tokens and jkt is None:
        raise DPoPProofRefused(
            "this client must use DPoP (dpop_bound_access_tokens): send a DPoP proof"
        )


def binds_refresh(client: ClientRecord | None) -> bool:
    """Whether refresh tokens follow the DPoP key: for public clients (and the first-party
    login, which has no client authentication), not confidential ones (RFC 9449 5)."""
    return client is None or client.type == "public"


def token_jkt(claims: Mapping[str, Any]) -> str | None:
    """The key thumbprint an access token of this server is bound to (``cnf.jkt``)."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


class DPoPChecks:
    """The server's DPoP proof checks, shared by the token endpoint and the protected routes."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        secret: bytes,
        require_nonce: bool,
        replay: ReplayCache | None = None,
        replay_size: int = 100_000,
    ) -> None:
        self._clock = clock
        key = hmac.new(secret, b"jwtgate dpop nonce", hashlib.sha256).digest()
        self.nonces = NonceSource(key, lifetime=NONCE_LIFETIME, clock=clock)
        self.require_nonce = require_nonce
        self.replay = replay if replay is not None else MemoryReplayCache(replay_size, clock=clock)
        self.algorithms = frozenset(DPOP_ALGORITHMS)

    def _one(self, proofs: Sequence[str]) -> str | None:
        if not proofs:
            return None
        if len(proofs) != 1 or "," in proofs[0]:
            raise InvalidDPoPProof("send exactly one DPoP header (RFC 9449 4.3)")
        return proofs[0].strip()

    def _verify(
        self,
        proof: str,
        *,
        htm: str,
        htu: Sequence[str],
        access_token: str | None = None,
        jkt: str | None = None,
    ) -> str:
        """The proof's key thumbprint; InvalidDPoPProof or UseDPoPNonce. ``htu`` lists the
        URLs the request may have been sent to (the advertised one, the one received)."""
        error: InvalidToken | None = None
        for url in htu:
            try:
                return verify_proof(
                    proof,
                    htm=htm,
                    htu=url,
                    algorithms=self.algorithms,
                    max_age=PROOF_MAX_AGE,
                    leeway=PROOF_LEEWAY,
                    now=self._clock(),
                    access_token=access_token,
                    jkt=jkt,
                    nonces=self.nonces if self.require_nonce else None,
                    replay=self.replay,
                ).jkt
            except InvalidDPoPProof as exc:
                error = exc
                if "htu" not in str(exc):
                    break  # only another URL can change the verdict
        raise error or InvalidDPoPProof("no URL to check the proof's htu against")

    def token_request(self, proofs: Sequence[str], *, htu: Sequence[str]) -> str | None:
        """The thumbprint of a token request's proof, None without one (RFC 9449 5).

        Raises DPoPProofRefused or DPoPNonceRequired."""
        try:
            proof = self._one(proofs)
            if proof is None:
                return None
            return self._verify(proof, htm="POST", htu=htu)
        except UseDPoPNonce as exc:
            raise DPoPNonceRequired(str(exc), nonce=exc.nonce) from None
        except InvalidDPoPProof as exc:
            raise DPoPProofRefused(str(exc)) from None

    def resource_request(
        self,
        scheme: str,
        token: str,
        claims: Mapping[str, Any],
        proofs: Sequence[str],
        *,
        htm: str,
        htu: Sequence[str],
    ) -> None:
        """RFC 9449 7: a bound token needs the DPoP scheme and a proof for this request; a
        Bearer use of it is refused. Raises InvalidToken, InvalidDPoPProof, UseDPoPNonce."""
        jkt = token_jkt(claims)
        if scheme == "bearer":
            if jkt is not None:
                raise InvalidToken(
                    "this token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof"
                )
            return
        if jkt is None:
            raise InvalidToken("the DPoP scheme needs a DPoP-bound token (cnf.jkt)")
        proof = self._one(proofs)
        if proof is None:
            raise InvalidDPoPProof("a DPoP-bound token needs a DPoP header with a proof")
        self._verify(proof, htm=htm, htu=htu, access_token=token, jkt=jkt)

    @property
    def algs(self) -> str:
        """The ``algs`` of ``WWW-Authenticate: DPoP`` (RFC 9449 7.1)."""
        return " ".join(sorted(self.algorithms))
