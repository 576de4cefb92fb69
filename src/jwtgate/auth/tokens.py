"""Access tokens (JWT, RFC 9068) and refresh tokens (opaque, 256 bits, stored as SHA-256).

A refresh token is parsed defensively before anything else touches it: bounded length and the
base64url alphabet, so a megabyte of garbage costs nothing and never reaches a hash or a query.
Its SHA-256 is enough at rest: with 256 random bits there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..jose import (
    ExpiredToken,
    InvalidAudience,
    InvalidClaim,
    MalformedToken,
    UnknownKey,
    decode,
    encode,
    verify_jws,
)
from .keyring import KeyRing
from .revocation import RevocationState

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ANY_AUDIENCE",
    "AccessTokens",
    "IssuedToken",
    "hash_token",
    "new_refresh_token",
    "parse_refresh_token",
]

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the RFC 9068 2.1 media type, not a secret
ANY_AUDIENCE: frozenset[str] = frozenset({"*any*"})
"""``audiences=ANY_AUDIENCE``: accept a token of this server for whatever audience it names
(introspection and revocation, which serve every API)."""
REFRESH_BYTES = 32
_CACHE_SIZE = 2048  # verified access tokens kept in memory (about 1.5 KiB each)
_REFRESH_SHAPE = re.compile(r"[A-Za-z0-9_-]{43,128}")


def new_refresh_token() -> str:
    """A fresh refresh token: 256 random bits, base64url (43 characters)."""
    return secrets.token_urlsafe(REFRESH_BYTES)


def parse_refresh_token(value: object) -> str | None:
    """The token if it has the shape of one of ours, else None (never raises)."""
    if type(value) is not str or not 43 <= len(value) <= 128:
        return None
    return value if _REFRESH_SHAPE.fullmatch(value) else None


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy secret (refresh token, client secret), hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A signed access token and its identifying claims."""

    token: str
    jti: str
    iat: int
    exp: int
    expires_in: int


class AccessTokens:
    """Signs access tokens with the key ring's active key and verifies them, in memory."""

    def __init__(
        self,
        keyring: KeyRing,
        revocations: RevocationState,
        *,
        clock: Callable[[], float],
        issuer: str,
        audience: str,
        ttl: int,
        leeway: int,
        max_size: int,
    ) -> None:
        self._keyring = keyring
        self._revocations = revocations
        self._clock = clock
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self.leeway = leeway
        self._max_size = max_size
        # Verified tokens by their exact text: a client sends the same access token on every
        # request, so signature and claims are checked once. Expiry and revocation are
        # re-checked on every hit; a change of the key set empties the cache.
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_keys: object = None
        self._cache_lock = threading.Lock()

    def issue(
        self,
        *,
        sub: str,
        roles: Sequence[str] = (),
        scope: str = "",
        sid: str | None = None,
        username: str | None = None,
        client_id: str | None = None,
        audience: str | Sequence[str] | None = None,
        jkt: str | None = None,
    ) -> IssuedToken:
        """A new access token with the RFC 9068 claims (``sid`` and ``preferred_username``
        for users, ``client_id`` for clients); ``aud`` is ``audience`` (RFC 8707), else the
        deployment's audience; ``cnf.jkt`` binds it to a DPoP key (RFC 9449 6.1)."""
        now = int(self._clock())
        jti = secrets.token_urlsafe(16)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience if audience is None else _aud(audience),
            "exp": now + self.ttl,
            "iat": now,
            "nbf": now,
            "jti": jti,
            "roles": list(roles),
            "scope": scope,
        }
        if sid is not None:
            claims["sid"] = sid
        if username is not None:
            claims["preferred_username"] = username
        if client_id is not None:
            claims["client_id"] = client_id
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        token = encode(claims, self._keyring.signing_key, headers={"typ": ACCESS_TOKEN_TYPE})
        return IssuedToken(token=token, jti=jti, iat=now, exp=now + self.ttl, expires_in=self.ttl)

    def verify(
        self,
        token: str,
        *,
        check_revoked: bool = True,
        audiences: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """The claims of a valid access token for this server's own audience (or one of
        ``audiences``); no SQL unless the kid is unknown (then at most one key reload a
        second). Raises an InvalidToken subclass, RevokedToken if revoked."""
        wanted: str | Collection[str] = self.audience if audiences is None else audiences
        claims = self._cached(token)
        if claims is None and wanted is ANY_AUDIENCE:
            wanted = self._own_audience(token)
        if claims is None:
            try:
                claims = self._decode(token, wanted)
            except UnknownKey:
                if not self._keyring.reload_for_unknown_kid():
                    raise
                claims = self._decode(token, wanted)
            self._remember(token, claims)
        elif wanted is not ANY_AUDIENCE and not _aud_matches(claims.get("aud"), wanted):
            # Cached after a check against other audiences (introspection sees them all).
            raise InvalidAudience("the token is for another audience")
        if check_revoked:
            self._revocations.check(claims)
        return dict(claims)

    def _own_audience(self, token: str) -> str | list[str]:
        """The ``aud`` a token names, read after its signature verified (so it is ours)."""
        try:
            payload = verify_jws(token, self._keyring.keyset, max_size=self._max_size)
        except UnknownKey:
            if not self._keyring.reload_for_unknown_kid():
                raise
            payload = verify_jws(token, self._keyring.keyset, max_size=self._max_size)
        try:
            aud = orjson.loads(payload).get("aud")
        except (orjson.JSONDecodeError, AttributeError):
            raise MalformedToken("the claims are not a JSON object") from None
        if isinstance(aud, str) or (
            isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud)
        ):
            return aud
        raise InvalidAudience("the token names no audience")

    def _cached(self, token: object) -> dict[str, Any] | None:
        keys = self._keyring.keyset
        with self._cache_lock:
            if keys is not self._cache_keys:
                self._cache.clear()
                self._cache_keys = keys
                return None
            claims = self._cache.get(token) if type(token) is str else None
            if claims is None:
                return None
            if self._clock() - self.leeway >= claims["exp"]:
                del self._cache[token]  # type: ignore[arg-type]
                raise ExpiredToken("the token has expired")
            self._cache.move_to_end(token)  # type: ignore[arg-type]
            return claims

    def _remember(self, token: str, claims: dict[str, Any]) -> None:
        with self._cache_lock:
            if self._cache_keys is not self._keyring.keyset:
                return
            self._cache[token] = claims
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    def _decode(self, token: str, audience: str | Collection[str]) -> dict[str, Any]:
        claims = decode(
            token,
            self._keyring.keyset,
            issuer=self.issuer,
            audience=audience,
            leeway=self.leeway,
            require=("exp", "iat", "sub", "jti"),
            typ=ACCESS_TOKEN_TYPE,
            now=self._clock(),
            max_size=self._max_size,
        )
        # RFC 9068 2.2.3.1: roles is an array of strings and scope one space-separated string.
        # A string "admin-ish" would otherwise pass "admin" in roles as a substring test.
        roles = claims.get("roles", [])
        if type(roles) is not list or not all(type(role) is str for role in roles):
            raise InvalidClaim("'roles' must be an array of strings")
        if type(claims.get("scope", "")) is not str:
            raise InvalidClaim("'scope' must be a string")
        return claims


def _aud(audience: str | Sequence[str]) -> str | list[str]:
    if isinstance(audience, str):
        return audience
    values = list(audience)
    return values[0] if len(values) == 1 else values


def _aud_matches(aud: object, wanted: str | Collection[str]) -> bool:
    accepted = {wanted} if isinstance(wanted, str) else set(wanted)
    if isinstance(aud, str):
        return aud in accepted
    return isinstance(aud, list) and any(isinstance(a, str) and a in accepted for a in aud)
