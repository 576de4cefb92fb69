"""The authenticated caller: what a verified access token says about who is calling.

Built from the claims of an RFC 9068 access token: ``sub``, ``roles`` (RFC 9068 2.2.3.1, an
array of strings), ``scope`` (RFC 9068 2.2.3, space-separated), ``sid`` and ``jti``; other
issuers' roles and scopes are found through a :class:`~jwtgate.guard.claims.ClaimsMap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..jose.errors import InvalidClaim
from .claims import DEFAULT, ClaimsMap

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
    jkt: str | None = None  # the key the token is bound to (cnf.jkt, RFC 9449 6.1)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], mapping: ClaimsMap = DEFAULT) -> Principal:
        """The principal of verified ``claims``, roles and scopes read where ``mapping`` says
        (by default ``roles`` and ``scope``, RFC 9068 2.2.3).

        Raises InvalidClaim when ``sub`` is not a string, the roles not an array of strings,
        the scopes neither a space-separated string nor an array of strings, or ``sid`` not a
        string (RFC 9068 2.2).
        """
        sub = claims.get("sub")
        if type(sub) is not str:
            raise InvalidClaim("'sub' must be a string")
        roles = mapping.roles(claims)
        scopes = mapping.scopes(claims)
        sid = claims.get("sid")
        if sid is not None and type(sid) is not str:
            raise InvalidClaim("'sid' must be a string")
        jti = claims.get("jti")
        jkt = None
        cnf = claims.get("cnf")
        if cnf is not None:
            # A binding we cannot check must not be ignored: the token would pass unbound.
            if type(cnf) is not dict or set(cnf) != {"jkt"} or type(cnf["jkt"]) is not str:
                raise InvalidClaim(
                    "'cnf' binds the token to something this Guard cannot check (only "
                    "a DPoP key thumbprint, cnf.jkt, RFC 9449 6.1)"
                )
            jkt = cnf["jkt"]
        return cls(
            sub=sub,
            roles=roles,
            scopes=scopes,
            sid=sid,
            jti=jti if type(jti) is str else None,
            # Read-only: one principal serves every cache hit of its token.
            claims=MappingProxyType(dict(claims)),
            jkt=jkt,
        )

    @property
    def username(self) -> str | None:
        """``preferred_username`` when the token carries one (users, not clients)."""
        name = self.claims.get("preferred_username")
        return name if type(name) is str else None

    def has_role(self, role: str) -> bool:
        """True when the token carries ``role``."""
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        """True when the token's ``scope`` includes ``scope``."""
        return scope in self.scopes
