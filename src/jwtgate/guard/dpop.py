"""DPoP at the resource server (RFC 9449 7): the Guard's side of sender-constrained tokens.

A token whose claims carry ``cnf.jkt`` is bound to a key: it passes only as
``Authorization: DPoP <token>`` with a ``DPoP`` header holding a proof signed by that key for
this request (method and URL), made just now (``iat``), never seen before (``jti``), naming
this token (``ath``) and, when the Guard demands nonces, carrying one it issued. Sent as
``Bearer`` it is refused (7.2: otherwise stealing it would be enough again). Tokens without
``cnf`` pass as ``Bearer`` as before, unless ``dpop_required``.

The token itself still comes from the verified-token cache; the proof differs on every
request and is checked every time (:func:`jwtgate.jose.dpop.verify_proof`).

``htu`` is the URL the client used. Behind a proxy that changes scheme, host or path prefix,
give the Guard ``external_url`` (the public URL of the app's root, e.g.
``https://api.example.com/orders-service``): the path within the app is appended to it.
Without it, the URL comes from the request as the framework sees it (scheme, ``Host``, root
path), which is right when the proxy passes them on (uvicorn ``--proxy-headers``, werkzeug
``ProxyFix``, Django ``SECURE_PROXY_SSL_HEADER``/``USE_X_FORWARDED_HOST``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..jose.dpop import (
    DEFAULT_DPOP_ALGORITHMS,
    MemoryReplayCache,
    NonceSource,
    ReplayCache,
    check_algorithms,
    verify_proof,
)
from ..jose.errors import InvalidDPoPProof, InvalidToken
from .principal import Principal

__all__ = ["DPoPPolicy", "app_url"]


def _seconds(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{name} must be a number of seconds >= 0")
    return float(value)


def _external(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("external_url must be an absolute http(s) URL, e.g. https://api.example")
    if parts.query or parts.fragment:
        raise ValueError("external_url must have no query or fragment")
    return url.rstrip("/")


def app_url(external_url: str | None, base: Callable[[], str], path_in_app: str) -> str:
    """The request's URL as the client saw it: ``external_url`` + the path within the app,
    or else ``base()`` (the URL the framework reconstructs)."""
    if external_url is not None:
        return external_url + (path_in_app if path_in_app.startswith("/") else "/" + path_in_app)
    return base()


@dataclass(frozen=True, slots=True)
class DPoPPolicy:
    """How a Guard checks DPoP proofs; built from the Guard's ``dpop_*`` options."""

    algorithms: frozenset[str]
    max_age: float
    leeway: float
    replay: ReplayCache
    nonces: NonceSource | None
    external_url: str | None
    required: bool
    clock: Callable[[], float]

    @classmethod
    def build(
        cls,
        *,
        algorithms: Iterable[str] | None,
        max_age: float,
        leeway: float,
        replay: ReplayCache | None,
        replay_size: int,
        nonces: NonceSource | bool | None,
        external_url: str | None,
        required: bool,
        clock: Callable[[], float] = time.time,
    ) -> DPoPPolicy:
        """ValueError or TypeError for a bad option (at the Guard's construction)."""
        if nonces is True:
            nonces = NonceSource(clock=clock)
        elif nonces is False:
            nonces = None
        if nonces is not None and not isinstance(nonces, NonceSource):
            raise TypeError("dpop_nonce must be True, False or a NonceSource")
        return cls(
            algorithms=check_algorithms(
                DEFAULT_DPOP_ALGORITHMS if algorithms is None else algorithms
            ),
            max_age=_seconds(max_age, "dpop_max_age"),
            leeway=_seconds(leeway, "dpop_leeway"),
            replay=replay if replay is not None else MemoryReplayCache(replay_size, clock=clock),
            nonces=nonces,
            external_url=_external(external_url),
            required=bool(required),
            clock=clock,
        )

    @property
    def algs(self) -> str:
        """The ``algs`` challenge parameter (RFC 9449 7.1): the allowed algorithms."""
        return " ".join(sorted(self.algorithms))

    def check(
        self,
        scheme: str,
        token: str,
        principal: Principal,
        proofs: Sequence[str],
        method: str,
        url: Callable[[], str],
    ) -> Principal:
        """Apply the binding rules to a verified token sent with ``scheme`` (lower case).
        Raises InvalidToken (binding misused) or InvalidDPoPProof."""
        jkt = principal.jkt
        if scheme == "bearer":
            if jkt is not None:
                raise InvalidToken(
                    "this token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof"
                )
            if self.required:
                raise InvalidToken("only DPoP-bound tokens are accepted here (RFC 9449)")
            return principal
        if jkt is None:
            raise InvalidToken("the DPoP scheme needs a DPoP-bound token (cnf.jkt)")
        if len(proofs) != 1 or "," in proofs[0]:
            raise InvalidDPoPProof(
                "send exactly one DPoP header with a proof"
                if proofs
                else "a DPoP-bound token needs a DPoP header with a proof (RFC 9449 7.1)"
            )
        verify_proof(
            proofs[0].strip(),
            htm=method,
            htu=url(),
            algorithms=self.algorithms,
            max_age=self.max_age,
            leeway=self.leeway,
            now=self.clock(),
            access_token=token,
            jkt=jkt,
            nonces=self.nonces,
            replay=self.replay,
        )
        return principal
