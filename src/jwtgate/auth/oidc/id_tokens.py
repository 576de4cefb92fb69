"""ID tokens (OpenID Connect Core 1.0, 2 and 3.1.3.6-3.1.3.7) and ``id_token_hint`` checks.

An ID token is a JWS with ``typ`` ``JWT`` signed by the ID-token key ring (never by the
access-token key, so neither kind of token passes for the other), RS256 unless the client
registered another algorithm the ring holds (``id_token_signed_response_alg``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ...jose import MalformedToken, UnknownKey, unverified_header, verify_jws
from ...jose.errors import InvalidAudience, InvalidClaim, InvalidIssuer, InvalidTokenType
from ...jose.jwt import encode
from ..keyring import KeyRing

__all__ = ["ID_TOKEN_TYPE", "IdTokens", "left_half_hash"]

ID_TOKEN_TYPE = "JWT"  # noqa: S105 - the header typ (OIDC Core 2 via RFC 7519 5.1)
_MAX_NONCE = 512  # a nonce is echoed into every ID token: bound it (checked at authorize too)

# OIDC Core 3.1.3.6: the hash of the JWS alg's hash function; EdDSA with Ed25519 uses SHA-512
# (OpenID Connect errata; what oidc-provider and jose compute), Ed448 SHAKE256 (114 bytes).
_HASHES: dict[str, Callable[[bytes], bytes]] = {
    **{f"{p}256": lambda b: hashlib.sha256(b).digest() for p in ("HS", "RS", "PS", "ES")},
    **{f"{p}384": lambda b: hashlib.sha384(b).digest() for p in ("HS", "RS", "PS", "ES")},
    **{f"{p}512": lambda b: hashlib.sha512(b).digest() for p in ("HS", "RS", "PS", "ES")},
    "ES256K": lambda b: hashlib.sha256(b).digest(),
    "EdDSA": lambda b: hashlib.sha512(b).digest(),
    "Ed25519": lambda b: hashlib.sha512(b).digest(),
    "Ed448": lambda b: hashlib.shake_256(b).digest(114),
}


def left_half_hash(value: str, alg: str) -> str:
    """``at_hash`` / ``c_hash``: base64url of the left half of the hash of ``value``'s ASCII
    bytes, with the hash of ``alg`` (OIDC Core 3.1.3.6). ValueError for an unknown alg."""
    try:
        digest = _HASHES[alg](value.encode("ascii"))
    except KeyError:
        raise ValueError(f"no at_hash function for {alg!r}") from None
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


class IdTokens:
    """Signs ID tokens and checks the ones that come back as ``id_token_hint``."""

    def __init__(
        self,
        keyring: KeyRing,
        *,
        clock: Callable[[], float],
        issuer: str,
        ttl: int,
        max_size: int,
    ) -> None:
        self._keyring = keyring
        self._clock = clock
        self.issuer = issuer
        self.ttl = ttl
        self._max_size = max_size

    @property
    def algorithms(self) -> list[str]:
        """The algorithms an ID token may be signed with (``RS256`` among them)."""
        return self._keyring.signing_algorithms

    def issue(
        self,
        *,
        sub: str,
        client_id: str,
        auth_time: float,
        sid: str | None = None,
        nonce: str | None = None,
        access_token: str | None = None,
        amr: Sequence[str] = ("pwd",),
        acr: str | None = None,
        alg: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A signed ID token for ``client_id`` about user ``sub``.

        ``auth_time`` is always present (when the user last typed a password); ``nonce`` is
        echoed when the authorization request had one; ``at_hash`` binds ``access_token``
        (OIDC Core 3.1.3.6); ``azp`` is the client (the one party it was issued to).
        ``alg`` picks the key (the client's ``id_token_signed_response_alg``). ValueError when
        the ring has no key for ``alg``.
        """
        key = self._keyring.signing_key if alg is None else self._keyring.signing_key_for(alg)
        if key is None:
            raise ValueError(f"no ID-token key for {alg!r}; see JWTGATE_ID_TOKEN_ALGORITHMS")
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": client_id,
            "exp": now + self.ttl,
            "iat": now,
            "auth_time": int(auth_time),
            "azp": client_id,
            "amr": list(amr),
            "jti": secrets.token_urlsafe(16),
        }
        if acr is not None:
            claims["acr"] = acr
        if nonce is not None:
            claims["nonce"] = nonce[:_MAX_NONCE]
        if sid is not None:
            claims["sid"] = sid
        if access_token is not None:
            claims["at_hash"] = left_half_hash(access_token, key.alg)
        for name, value in (extra or {}).items():
            claims.setdefault(name, value)  # never overrides a protocol claim
        return encode(claims, key, headers={"typ": ID_TOKEN_TYPE})

    def verify_hint(self, token: str) -> dict[str, Any]:
        """The claims of an ID token this server issued, expired or not (RP-Initiated Logout
        1.0, 2: an expired ID token is still a valid ``id_token_hint``).

        Checks the signature with the ID-token keys (a retired key verifies until it leaves
        the JWKS), ``typ``, ``iss`` and that ``sub`` and ``aud`` are strings. Raises an
        InvalidToken subclass.
        """
        if type(token) is not str:
            raise MalformedToken("the ID token must be a string")
        if len(token) > self._max_size:
            raise MalformedToken("the ID token is too large")
        header = unverified_header(token)
        if header.get("typ") != ID_TOKEN_TYPE:  # ours always say so: no access token passes
            raise InvalidTokenType("that is not an ID token")
        try:
            payload = verify_jws(token, self._keyring.keyset)
        except UnknownKey:
            if not self._keyring.reload_for_unknown_kid():
                raise
            payload = verify_jws(token, self._keyring.keyset)
        try:
            claims = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise MalformedToken("the claims are not valid JSON") from None
        if type(claims) is not dict:
            raise MalformedToken("the claims must be a JSON object")
        if claims.get("iss") != self.issuer:
            raise InvalidIssuer("the ID token was issued by another server")
        aud = claims.get("aud")
        if not (type(aud) is str or (type(aud) is list and aud and type(aud[0]) is str)):
            raise InvalidAudience("the ID token has no audience")
        if type(claims.get("sub")) is not str:
            raise InvalidClaim("the ID token has no subject")
        return claims
