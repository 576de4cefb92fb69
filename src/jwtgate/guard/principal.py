"""The authenticated caller: what a verified access token says about who is calling.

Built from the claims of an RFC 9068 access token: ``sub``, ``roles`` (RFC 9068 2.2.3.1, an
array of strings), ``scope`` (RFC 9068 2.2.3, space-separated), ``sid`` and ``jti``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..jose.errors import InvalidClaim

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who the token speaks for, with its roles and scopes, and the raw claims."""

    sub: str
    roles: tuple[str, ...]
    scopes: frozenset[str]
    sid: str | None
    jti: str | None
    claims: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        """The principal of verified ``claims``.

        Raises InvalidClaim when ``sub`` is not a string, ``roles`` not an array of strings,
        ``scope`` not a string or ``sid`` not a string (RFC 9068 2.2).
        """
        sub = claims.get("sub")
        if type(sub) is not str:
            raise InvalidClaim("'sub' must be a string")
        roles: Any = claims.get("roles", ())
        if type(roles) is not list and roles != ():
            raise InvalidClaim("'roles' must be an array of strings")
        for role in roles:
            if type(role) is not str:
                raise InvalidClaim("'roles' must be an array of strings")
        scope = claims.get("scope", "")
        if type(scope) is not str:
            raise InvalidClaim("'scope' must be a space-separated string")
        sid = claims.get("sid")
        if sid is not None and type(sid) is not str:
            raise InvalidClaim("'sid' must be a string")
        jti = claims.get("jti")
        return cls(
            sub=sub,
            roles=tuple(roles),
            scopes=frozenset(scope.split()),
            sid=sid,
            jti=jti if type(jti) is str else None,
            # Read-only: one principal serves every cache hit of its token.
            claims=MappingProxyType(dict(claims)),
        )

    @property
    def username(self) -> str | None:
        """``preferred_username`` when the token carries one (users, not clients)."""
        name = self.claims.get("preferred_username")
        return name if type(name) is str else None

    @property
    def acr(self) -> str | None:
        """How strongly the user signed in (``acr``: ``pwd``, ``mfa``, ``phr`` at jwtgate)."""
        value = self.claims.get("acr")
        return value if type(value) is str else None

    @property
    def amr(self) -> tuple[str, ...]:
        """The methods of the sign-in (``amr``, RFC 8176), empty when the token has none."""
        value = self.claims.get("amr")
        if type(value) is not list:
            return ()
        return tuple(m for m in value if type(m) is str)

    @property
    def auth_time(self) -> float | None:
        """When the user signed in (``auth_time``, seconds since the epoch), or None."""
        value = self.claims.get("auth_time")
        if type(value) is bool or not isinstance(value, int | float):
            return None
        return float(value)

    def has_role(self, role: str) -> bool:
        """True when the token carries ``role``."""
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        """True when the token's ``scope`` includes ``scope``."""
        return scope in self.scopes
