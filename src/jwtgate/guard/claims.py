"""Where a token keeps its roles and scopes: the claims mapping of :class:`Guard`.

jwtgate's tokens carry ``roles`` (an array, RFC 9068 2.2.3.1) and ``scope`` (a
space-separated string, RFC 9068 2.2.3). Other issuers put them elsewhere:

=========  ==========================================  ===========================
issuer     roles                                       scopes
=========  ==========================================  ===========================
Keycloak   ``realm_access.roles`` (array)              ``scope`` (string)
Auth0      ``https://example.com/roles`` (namespaced)  ``permissions`` (array)
Entra ID   ``roles`` (array)                           ``scp`` (string)
Cognito    ``cognito:groups`` (array)                  ``scope`` (string)
=========  ==========================================  ===========================

A claim path names a top-level claim, or, when no claim has that exact name, a path through
nested objects separated by dots (``realm_access.roles``); so Auth0's namespaced claims, whose
names hold dots, resolve as themselves. A missing claim means no roles or scopes; a claim of
the wrong shape is an :class:`InvalidClaim` (``scope`` itself must be a string, as RFC 9068
defines it) (a token that says something we cannot read is
refused rather than read as saying nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..jose.errors import InvalidClaim

__all__ = ["ClaimsMap"]

_MISSING = object()
_MAX_DEPTH = 8


def _path(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValueError(f"{what} must be a claim name or a dotted path, got {value!r}")
    parts = tuple(value.split("."))
    if len(parts) > _MAX_DEPTH or not all(parts):
        raise ValueError(f"{what} must be a claim name or a dotted path, got {value!r}")
    return parts


@dataclass(frozen=True, slots=True)
class ClaimsMap:
    """The claims holding roles (an array of strings) and scopes (a space-separated string or
    an array of strings). ValueError at construction for an empty or malformed path."""

    roles_claim: str = "roles"
    scopes_claim: str = "scope"

    def __post_init__(self) -> None:
        _path(self.roles_claim, "roles_claim")
        _path(self.scopes_claim, "scopes_claim")

    @staticmethod
    def lookup(claims: Mapping[str, Any], path: str) -> Any:
        """The value at ``path`` (exact name first, then dotted); a sentinel when absent."""
        if path in claims:
            return claims[path]
        if "." not in path:
            return _MISSING
        value: Any = claims
        for part in path.split("."):
            if not isinstance(value, Mapping):
                raise InvalidClaim(f"the claim path {path!r} crosses a value that is no object")
            value = value.get(part, _MISSING)
            if value is _MISSING:
                return _MISSING
        return value

    def roles(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        """The roles of ``claims``; InvalidClaim unless an array of strings (or absent)."""
        value = self.lookup(claims, self.roles_claim)
        if value is _MISSING:
            return ()
        if type(value) is not list or not all(type(role) is str for role in value):
            raise InvalidClaim(f"{self.roles_claim!r} must be an array of strings")
        return tuple(value)

    def scopes(self, claims: Mapping[str, Any]) -> frozenset[str]:
        """The scopes of ``claims``: a space-separated string or an array of strings."""
        value = self.lookup(claims, self.scopes_claim)
        if value is _MISSING:
            return frozenset()
        if type(value) is str:
            return frozenset(value.split())
        # ``scope`` itself is a string by definition (RFC 8693 4.2, RFC 9068 2.2.3); arrays
        # are other issuers' own claims (Auth0 ``permissions``, Cognito groups).
        if (
            type(value) is list
            and self.scopes_claim != "scope"
            and all(type(scope) is str for scope in value)
        ):
            return frozenset(value)
        if self.scopes_claim == "scope":
            raise InvalidClaim("'scope' must be a space-separated string")
        raise InvalidClaim(
            f"{self.scopes_claim!r} must be a space-separated string or an array of strings"
        )


DEFAULT = ClaimsMap()
