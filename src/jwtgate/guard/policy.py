"""Access rules on a verified principal: roles it must all have, roles of which it needs one,
and scopes it must all have. Framework-free; every integration applies the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..jose.errors import JWTGateError
from .principal import Principal

__all__ = ["InsufficientScope", "Requirement"]


class InsufficientScope(JWTGateError):
    """The token is valid but lacks a role or scope the resource needs (RFC 6750 3.1)."""

    code = "insufficient_scope"

    def __init__(self, message: str, *, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.scopes = scopes


def _names(value: str | Iterable[str], what: str) -> tuple[str, ...]:
    """A tuple of names; one string is one name (not its characters)."""
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        if not isinstance(name, str) or not name or name != name.strip() or " " in name:
            raise ValueError(f"{what} must be non-empty names without spaces, got {name!r}")
    return names


@dataclass(frozen=True, slots=True)
class Requirement:
    """``roles``: all needed; ``any_role``: at least one needed; ``scopes``: all needed."""

    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    any_role: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        roles: str | Iterable[str] = (),
        scopes: str | Iterable[str] = (),
        any_role: str | Iterable[str] = (),
    ) -> Requirement:
        """Build from names (a string is one name). ValueError for empty or spaced names."""
        return cls(_names(roles, "roles"), _names(scopes, "scopes"), _names(any_role, "any_role"))

    def check(self, principal: Principal) -> None:
        """Raise InsufficientScope when ``principal`` does not meet the rule."""
        for role in self.roles:
            if role not in principal.roles:
                raise InsufficientScope(f"this needs the role {role!r}")
        if self.any_role and not any(role in principal.roles for role in self.any_role):
            raise InsufficientScope(f"this needs one of the roles {', '.join(self.any_role)}")
        for scope in self.scopes:
            if scope not in principal.scopes:
                raise InsufficientScope(f"this needs the scope {scope!r}", scopes=self.scopes)
