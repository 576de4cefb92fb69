"""The Guard: accept the issuer's access tokens in any Python service (the resource server
side of RFC 6750, with RFC 9068 access tokens), with no call to the issuer per request.

Verifying a token checks its signature with the issuer's keys (a KeySet given in process, or
its JWK Set URL), its ``iss``, ``aud``, ``typ`` (``at+jwt``), ``exp``/``nbf``/``iat`` with the
configured leeway, the claims RFC 9068 2.2 makes mandatory, and the revocation list. A token
that verified once is remembered (bounded LRU keyed by the whole token), so the common case,
the same token on every request of a session, costs a dictionary lookup, an ``exp`` comparison
and the revocation check, both done on every hit.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..jose import Key, KeySet, decode
from ..jose.dpop import NonceSource, ReplayCache
from ..jose.errors import (
    ExpiredToken,
    InvalidAudience,
    InvalidDPoPProof,
    InvalidToken,
    MalformedToken,
    MissingClaim,
    UnknownKey,
)
from .cache import CacheEntry, TokenCache
from .claims import ClaimsMap
from .discovery import Discovered, DiscoveryClient
from .dpop import DPoPPolicy
from .feed import RevocationFeed
from .fetch import check_url
from .health import GuardHealth
from .jwks import JWKSClient
from .policy import Requirement
from .principal import Principal
from .revocation import RevocationList, parse_feed

if TYPE_CHECKING:
    from .fastapi import Require

__all__ = ["Guard", "GuardStats"]

# RFC 9068 2.2: exp, iat, sub and jti are mandatory (iss and aud are always checked).
REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti")
# Clock skew tolerated on exp/nbf/iat by default: the server's own default (JWTGATE_LEEWAY),
# so a Guard whose clock is a few seconds behind the issuer's accepts fresh tokens.
DEFAULT_LEEWAY = 30.0

log = logging.getLogger("jwtgate.guard")
_UNDISCOVERED = "no signing keys yet: the issuer's discovery document could not be read"


def _required(names: Iterable[str]) -> tuple[str, ...]:
    """The claims every token must carry; ``exp`` and ``sub`` cannot be left out (the cache
    keeps a token until its ``exp``; a principal is its ``sub``)."""
    required = (names,) if isinstance(names, str) else tuple(names)
    if not all(isinstance(name, str) and name for name in required):
        raise ValueError("required_claims must be claim names")
    for name in ("exp", "sub"):
        if name not in required:
            raise ValueError(f"required_claims must include {name!r}")
    return required


class _State(NamedTuple):
    """One key set and the tokens verified with it; replaced whole when the keys change."""

    keys: KeySet | None
    cache: TokenCache


class GuardStats(NamedTuple):
    """Counters since the Guard was made (for metrics and tests)."""

    hits: int
    misses: int
    cached: int
    key_fetches: int
    feed_polls: int
    feed_failures: int
    feed_stale_events: int = 0  # times the revocation feed went stale


def _positive(value: float | timedelta) -> float:
    seconds = _number(value, "revocation_max_staleness")
    if not seconds > 0:
        raise ValueError("revocation_max_staleness must be > 0")
    return seconds


def _number(value: float | timedelta, name: str) -> float:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{name} must be a number of seconds >= 0")
    return float(value)


class Guard:
    """Verifies access tokens from one issuer for one audience; see the module docstring.

    Give at most one of ``keys`` (a KeySet or Key, in process) and ``jwks_url``; with neither,
    the issuer's discovery document names the JWK Set (:mod:`jwtgate.guard.discovery`). With
    ``revocation_url`` (or, with discovery, the document's ``revocation_feed_endpoint``) and
    the confidential client's ``client_id``/``client_secret`` a background thread follows
    the issuer's revocation feed every ``revocation_interval`` seconds, started on the first
    verify or by :meth:`start`, stopped by :meth:`close`; when it has not succeeded for
    ``revocation_max_staleness`` seconds (default three intervals plus ``http_timeout``)
    :meth:`health` says so. ``leeway`` defaults to the server's 30 s.

    Other issuers: ``roles_claim`` and ``scopes_claim`` say where roles and scopes are
    (:mod:`jwtgate.guard.claims`), ``typ=None`` accepts any ``typ`` header, and
    ``required_claims`` (default RFC 9068's ``exp iat sub jti``) may be narrowed for issuers
    whose tokens lack ``jti`` or ``iat``; ``audience_claim="client_id"`` checks the audience
    in that claim instead of ``aud`` (Cognito access tokens carry none). Misconfiguration
    raises ValueError or TypeError here, never at request time.

    DPoP (RFC 9449, :mod:`jwtgate.guard.dpop`): a token with ``cnf.jkt`` passes only as
    ``Authorization: DPoP`` with a valid proof, checked by every integration; ``dpop_required``
    refuses Bearer tokens; ``dpop_algorithms`` (asymmetric), ``dpop_max_age`` and
    ``dpop_leeway`` (seconds, for the proof's ``iat``), ``dpop_nonce`` (True or a shared
    :class:`~jwtgate.jose.dpop.NonceSource`: demand server nonces), ``dpop_replay`` (a shared
    replay cache; default one in memory of ``dpop_replay_size`` proofs) and ``external_url``
    (the app's public URL, when a proxy rewrites it). :meth:`verify` checks the token alone.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Collection[str],
        jwks_url: str | None = None,
        keys: KeySet | Key | None = None,
        leeway: float | timedelta = DEFAULT_LEEWAY,
        algorithms: Iterable[str] | None = None,
        typ: str | None = "at+jwt",
        clock: Callable[[], float] = time.time,
        cache_size: int = 10_000,
        jwks_min_ttl: float = 60,
        jwks_max_ttl: float = 86400,
        unknown_kid_cooldown: float = 30,
        allow_insecure_http: bool = False,
        revocation_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        revocation_interval: float = 5.0,
        http_timeout: float = 5.0,
        revocation_max_staleness: float | timedelta | None = None,
        roles_claim: str = "roles",
        scopes_claim: str = "scope",
        required_claims: Iterable[str] = REQUIRED_CLAIMS,
        audience_claim: str = "aud",
        dpop_required: bool = False,
        dpop_algorithms: Iterable[str] | None = None,
        dpop_max_age: float = 60.0,
        dpop_leeway: float = 5.0,
        dpop_nonce: NonceSource | bool = False,
        dpop_replay: ReplayCache | None = None,
        dpop_replay_size: int = 100_000,
        external_url: str | None = None,
    ) -> None:
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("issuer must be a non-empty string")
        if isinstance(audience, str):
            if not audience:
                raise ValueError("audience must be a non-empty string")
        elif not audience or not all(isinstance(a, str) and a for a in audience):
            raise ValueError("audience must be a string or a collection of strings")
        else:
            audience = frozenset(audience)
        if jwks_url is not None and keys is not None:
            raise ValueError("give at most one of jwks_url and keys (neither: discovery)")
        required = _required(required_claims)
        if not isinstance(audience_claim, str) or not audience_claim:
            raise ValueError("audience_claim must be a claim name")
        if isinstance(algorithms, str):
            algorithms = (algorithms,)
        if type(cache_size) is not int or cache_size < 0:
            raise ValueError("cache_size must be an integer >= 0")
        min_ttl = _number(jwks_min_ttl, "jwks_min_ttl")
        max_ttl = _number(jwks_max_ttl, "jwks_max_ttl")
        if min_ttl > max_ttl:
            raise ValueError("jwks_min_ttl must not exceed jwks_max_ttl")
        http_timeout = _number(http_timeout, "http_timeout")
        if not http_timeout > 0:
            raise ValueError("http_timeout must be > 0")
        self.issuer = issuer
        self.audience = audience
        self._leeway = _number(leeway, "leeway")
        self._algorithms = None if algorithms is None else frozenset(algorithms)
        self._typ = typ
        self._required = required
        self.dpop = DPoPPolicy.build(
            algorithms=dpop_algorithms,
            max_age=dpop_max_age,
            leeway=dpop_leeway,
            replay=dpop_replay,
            replay_size=dpop_replay_size,
            nonces=dpop_nonce,
            external_url=external_url,
            required=dpop_required,
            clock=clock,
        )
        self._audience_claim = None if audience_claim == "aud" else audience_claim
        self._audiences = frozenset((audience,) if isinstance(audience, str) else audience)
        self._claims_map = ClaimsMap(roles_claim, scopes_claim)
        self._insecure = allow_insecure_http
        self._discovery: DiscoveryClient | None = None
        self._jwks_options = (
            min_ttl,
            max_ttl,
            _number(unknown_kid_cooldown, "unknown_kid_cooldown"),
        )
        self._clock = clock
        self._cache_size = cache_size
        self._timeout = http_timeout
        self._revoked = RevocationList()
        self._state_lock = threading.Lock()
        self._hits = self._misses = 0
        self._jwks: JWKSClient | None = None
        self._state = _State(None, TokenCache(cache_size))
        if keys is not None:
            if isinstance(keys, Key):
                keys = KeySet([keys])
            if not isinstance(keys, KeySet):
                raise TypeError("keys must be a KeySet or a Key")
            self._state = _State(keys, TokenCache(cache_size))
        elif jwks_url is not None:
            self._jwks = self._jwks_client(jwks_url, what="jwks_url")
        else:
            self._discovery = DiscoveryClient(
                issuer,
                clock=clock,
                on_discovered=self._discovered,
                timeout=http_timeout,
                allow_insecure_http=allow_insecure_http,
            )
        # With discovery, credentials without revocation_url wait for the document's feed.
        self._feed_options = (client_id, client_secret, revocation_interval)
        self._feed_staleness = revocation_max_staleness
        self._feed = self._make_feed(
            revocation_url,
            client_id,
            client_secret,
            revocation_interval,
            allow_insecure_http,
            revocation_max_staleness,
            later=self._discovery is not None,
        )
        self._feed_ready = self._feed is None

    def _jwks_client(self, url: str, *, what: str) -> JWKSClient:
        min_ttl, max_ttl, cooldown = self._jwks_options
        return JWKSClient(
            check_url(url, what=what, allow_insecure_http=self._insecure),
            clock=self._clock,
            on_change=self._keys_changed,
            min_ttl=min_ttl,
            max_ttl=max_ttl,
            cooldown=cooldown,
            timeout=self._timeout,
        )

    def _discovered(self, found: Discovered) -> None:
        """The discovery document was read: follow its jwks_uri, and its revocation feed
        when this Guard has client credentials and none was configured."""
        client_id, client_secret, interval = self._feed_options
        if self._feed is None and client_id is not None and found.revocation_feed_endpoint:
            self._feed = self._make_feed(
                found.revocation_feed_endpoint,
                client_id,
                client_secret,
                interval,
                self._insecure,
                self._feed_staleness,
            )
            self._feed_ready = False
        elif self._feed is None and client_id is not None:
            log.warning(
                "Guard for %s: client credentials were given but the issuer's discovery "
                "document names no revocation_feed_endpoint; revocations are not followed",
                self.issuer,
            )
        self._jwks = self._jwks_client(found.jwks_uri, what="jwks_uri")

    def _discover(self) -> None:
        discovery = self._discovery
        if discovery is not None and discovery.result is None and not discovery.resolve():
            raise UnknownKey(_UNDISCOVERED)

    async def _adiscover(self) -> None:
        # The read blocks (httpx sync client): once per Guard, in a worker thread.
        discovery = self._discovery
        if discovery is None or discovery.result is not None:
            return
        if not await asyncio.to_thread(discovery.resolve):
            raise UnknownKey(_UNDISCOVERED)

    def _make_feed(
        self,
        url: str | None,
        client_id: str | None,
        client_secret: str | None,
        interval: float,
        allow_insecure_http: bool,
        max_staleness: float | timedelta | None,
        *,
        later: bool = False,
    ) -> RevocationFeed | None:
        if url is None:
            if later:
                if (client_id is None) != (client_secret is None):
                    raise ValueError("give both client_id and client_secret, or neither")
                return None
            if client_id is not None or client_secret is not None:
                raise ValueError("client_id and client_secret are used only with revocation_url")
            if max_staleness is not None:
                raise ValueError("revocation_max_staleness is used only with revocation_url")
            return None
        if not client_id or not client_secret:
            raise ValueError("revocation_url needs client_id and client_secret")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise TypeError("client_id and client_secret must be strings")
        interval = _number(interval, "revocation_interval")
        if not interval > 0:
            raise ValueError("revocation_interval must be > 0")
        return RevocationFeed(
            check_url(url, what="revocation_url", allow_insecure_http=allow_insecure_http),
            client_id=client_id,
            client_secret=client_secret,
            revocations=self._revoked,
            interval=interval,
            timeout=self._timeout,
            max_staleness=None if max_staleness is None else _positive(max_staleness),
        )

    # -- verification -------------------------------------------------------------------

    def verify(
        self,
        token: str,
        *,
        proof: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> Principal:
        """Verify an access token and return its :class:`Principal`.

        A DPoP-bound token (``cnf.jkt``) passes only with its proof: ``proof`` (the request's
        ``DPoP`` header), the request's ``method`` and ``url`` (as the client sent it);
        without them it is refused (RFC 9449 7.1). The integrations do this for you.

        Raises an InvalidToken subclass: RevokedToken when revoked, ExpiredToken,
        UnknownKey (also when no key set could be fetched yet), InvalidSignature,
        InvalidDPoPProof, and so on. Blocking: in async code use :meth:`averify`, which
        fetches keys without blocking.
        """
        principal = self.verify_token(token)
        if principal.jkt is not None or proof is not None:
            self._prove(token, principal, proof, method, url)
        return principal

    async def averify(
        self,
        token: str,
        *,
        proof: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> Principal:
        """The async twin of :meth:`verify` (same checks, same errors)."""
        principal = await self.averify_token(token)
        if principal.jkt is not None or proof is not None:
            self._prove(token, principal, proof, method, url)
        return principal

    def _prove(
        self,
        token: str,
        principal: Principal,
        proof: str | None,
        method: str | None,
        url: str | None,
    ) -> None:
        if proof is None:
            raise InvalidDPoPProof(
                "this token is DPoP-bound: verify(token, proof=..., method=..., url=...)"
            )
        if not isinstance(method, str) or not isinstance(url, str):
            raise TypeError("a DPoP proof is checked against the request's method and url")
        self.dpop.check("dpop", token, principal, (proof,), method, lambda: url)

    def verify_token(self, token: str) -> Principal:
        """The token's principal with every check of the token itself, but none of a DPoP
        binding: for integrations that check the proof themselves (the
        :class:`~jwtgate.guard.dpop.DPoPPolicy`); :meth:`verify` otherwise."""
        if type(token) is not str:
            token = _text(token)
        principal = self._cached(token)
        if principal is not None:
            return principal
        if self._jwks is None and self._discovery is not None:
            self._discover()
        if not self._feed_ready:
            self._wait_for_feed()
        jwks = self._jwks
        # Before the cache: keys that changed must empty it.
        fetched = jwks is not None and jwks.due() and jwks.refresh()
        state = self._state
        entry = state.cache.get(token)
        if entry is not None:
            return self._hit(state, token, entry)
        if jwks is None:
            return self._verify(state, token)
        try:
            return self._verify(state, token)
        except UnknownKey:
            if not fetched:
                jwks.refresh(unknown_kid=True)
            if self._state is state:
                raise
            return self._verify(self._state, token)

    async def averify_token(self, token: str) -> Principal:
        """The async twin of :meth:`verify_token`."""
        if type(token) is not str:
            token = _text(token)
        principal = self._cached(token)
        if principal is not None:
            return principal
        if self._jwks is None and self._discovery is not None:
            await self._adiscover()
        if not self._feed_ready:
            await self._await_feed()
        jwks = self._jwks
        fetched = jwks is not None and jwks.due() and await jwks.arefresh()
        state = self._state
        entry = state.cache.get(token)
        if entry is not None:
            return self._hit(state, token, entry)
        if jwks is None:
            return self._verify(state, token)
        try:
            return self._verify(state, token)
        except UnknownKey:
            if not fetched:
                await jwks.arefresh(unknown_kid=True)
            if self._state is state:
                raise
            return self._verify(self._state, token)

    def _cached(self, token: str) -> Principal | None:
        """The principal of a token verified before, when nothing has to happen first (the
        feed is ready, the keys are within their max-age); else None. Raises ExpiredToken or
        RevokedToken for a cached token that has expired or been revoked since. The hot path
        of every integration."""
        if not self._feed_ready:
            return None
        jwks = self._jwks
        if jwks is not None and jwks.due():
            return None
        state = self._state
        entry = state.cache.get(token)
        if entry is None:
            return None
        return self._hit(state, token, entry)

    def _cached_bearer(self, token: str) -> Principal | None:
        """The principal of a cached token that may be sent as Bearer; None for anything
        else (not cached, expired, revoked, DPoP-bound), which the full path then decides."""
        try:
            principal = self._cached(token)
        except InvalidToken:
            return None
        if principal is None or principal.jkt is not None or self.dpop.required:
            return None
        return principal

    def _hit(self, state: _State, token: str, entry: CacheEntry) -> Principal:
        self._hits += 1
        if self._clock() - self._leeway >= entry.exp:
            state.cache.discard(token)
            raise ExpiredToken("the token has expired")
        principal = entry.principal
        self._revoked.check(principal.sid, principal.jti, principal.sub, entry.iat)
        return principal

    def _verify(self, state: _State, token: str) -> Principal:
        self._misses += 1
        keys = state.keys
        if keys is None:
            raise UnknownKey("no signing keys yet: the JWK Set could not be fetched")
        other_claim = self._audience_claim
        claims = decode(
            token,
            keys,
            issuer=self.issuer,
            # With another audience claim (Cognito's client_id), a token with aud is refused.
            audience=self.audience if other_claim is None else None,
            leeway=self._leeway,
            require=self._required,
            algorithms=self._algorithms,
            typ=self._typ,
            now=self._clock(),
        )
        if other_claim is not None:
            named = claims.get(other_claim)
            if named is None:
                raise MissingClaim(other_claim)
            if type(named) is not str or named not in self._audiences:
                raise InvalidAudience(f"the token's {other_claim!r} names another audience")
        principal = Principal.from_claims(claims, self._claims_map)
        # Without iat (an issuer whose tokens lack it, required_claims narrowed), a user-level
        # revocation cut-off revokes the token: its age cannot be told.
        iat = claims.get("iat", -math.inf)
        self._revoked.check(principal.sid, principal.jti, principal.sub, iat)
        state.cache.put(token, CacheEntry(principal, claims["exp"], iat))
        return principal

    def _keys_changed(self, keys: KeySet) -> None:
        # A new, empty cache with the new keys: tokens verified by a key that is gone must
        # be verified again. Verifications in flight put into the old cache, now unreachable.
        with self._state_lock:
            self._state = _State(keys, TokenCache(self._cache_size))

    # -- revocation feed ----------------------------------------------------------------

    def _wait_for_feed(self) -> None:
        feed = self._feed
        if feed is not None:
            feed.start()
            feed.ready.wait(self._timeout * 2)
        self._feed_ready = True

    async def _await_feed(self) -> None:
        feed = self._feed
        if feed is not None:
            feed.start()
            if not feed.ready.is_set():
                await asyncio.to_thread(feed.ready.wait, self._timeout * 2)
        self._feed_ready = True

    def apply_revocations(self, feed: Mapping[str, Any]) -> None:
        """Apply a revocation feed body ``{cursor, sessions, tokens, users}`` (for issuers
        that push instead of being polled). ValueError when it is not one."""
        self._revoked.apply(parse_feed(dict(feed)))

    def start(self) -> None:
        """Start following the revocation feed now rather than on the first verify."""
        if self._feed is not None:
            self._feed.start()

    def close(self) -> None:
        """Stop the revocation feed thread. Verification keeps working with what is known."""
        if self._feed is not None:
            self._feed.close()

    def __enter__(self) -> Guard:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Guard:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)

    # -- introspection and integrations -------------------------------------------------

    @property
    def keys(self) -> KeySet | None:
        """The key set in use (None while a JWK Set has not been fetched)."""
        return self._state.keys

    def health(self) -> GuardHealth:
        """Whether what the Guard knows is current: not ``ok`` while the revocation feed has
        not succeeded for ``revocation_max_staleness`` (revocations made since are not
        enforced). For readiness probes and alerts."""
        return GuardHealth.of(self._feed)

    def stats(self) -> GuardStats:
        """Cache hits and misses, tokens cached, JWKS fetches, feed polls and failures."""
        feed = self._feed
        return GuardStats(
            hits=self._hits,
            misses=self._misses,
            cached=len(self._state.cache),
            key_fetches=self._jwks.fetches if self._jwks is not None else 0,
            feed_polls=feed.polls if feed is not None else 0,
            feed_failures=feed.failures if feed is not None else 0,
            feed_stale_events=feed.stale_events if feed is not None else 0,
        )

    def require(
        self,
        *,
        roles: str | Iterable[str] = (),
        scopes: str | Iterable[str] = (),
        any_role: str | Iterable[str] = (),
    ) -> Require:
        """A FastAPI dependency giving the request's :class:`Principal`:
        ``Depends(guard.require(roles=["admin"]))``. Answers 401 (no or bad token) or 403
        ``insufficient_scope`` per RFC 6750 3.1. ValueError for malformed names."""
        from .fastapi import Require

        return Require(self, Requirement.of(roles, scopes, any_role))

    def annotated(
        self,
        *,
        roles: str | Iterable[str] = (),
        scopes: str | Iterable[str] = (),
        any_role: str | Iterable[str] = (),
    ) -> Any:
        """``Annotated[Principal, Depends(self.require(...))]``, to name once and reuse:
        ``Admin = guard.annotated(roles="admin")`` then ``def f(user: Admin)``."""
        from .fastapi import annotated

        return annotated(self.require(roles=roles, scopes=scopes, any_role=any_role))

    def __repr__(self) -> str:
        if self._jwks is not None:
            source = f"jwks_url={self._jwks.url!r}"
        else:
            source = "discovery" if self._discovery is not None else "keys=..."
        feed = f", revocation_url={self._feed.url!r}" if self._feed is not None else ""
        return f"Guard(issuer={self.issuer!r}, audience={self.audience!r}, {source}{feed})"


def _text(token: object) -> str:
    """A token given as bytes, as text; MalformedToken for anything else."""
    if isinstance(token, bytes | bytearray):
        try:
            return bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise MalformedToken("a token is ASCII text") from None
    if isinstance(token, str):
        return str(token)
    raise MalformedToken(f"a token is a string, not {type(token).__name__}")
