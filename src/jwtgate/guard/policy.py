"""Access rules on a verified principal: roles it must all have, roles of which it needs one,
scopes it must all have, and how strongly and how recently the user signed in (``acr``,
``max_age``: RFC 9470 step-up). Framework-free; every integration applies the same rule.

``acr`` levels of jwtgate, weakest first: ``pwd`` < ``mfa`` < ``phr``; asking for one accepts
it or a stronger one. Any other value (another issuer's) must match exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..jose.errors import JWTGateError
from .principal import Principal

__all__ = ["ACR_LEVELS", "InsufficientScope", "InsufficientUserAuthentication", "Requirement"]

ACR_LEVELS = ("pwd", "mfa", "phr")


class InsufficientScope(JWTGateError):
    """The token is valid but lacks a role or scope the resource needs (RFC 6750 3.1)."""

    code = "insufficient_scope"

    def __init__(self, message: str, *, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.scopes = scopes


class InsufficientUserAuthentication(InsufficientScope):
    """The token is valid but its sign-in is too weak (``acr``) or too old (``max_age``):
    401 with ``WWW-Authenticate: Bearer error="insufficient_user_authentication"`` and the
    ``acr_values`` / ``max_age`` the client must ask for (RFC 9470 3)."""

    code = "insufficient_user_authentication"

    def __init__(self, message: str, *, acr_values: str | None, max_age: int | None) -> None:
        super().__init__(message)
        self.acr_values = acr_values
        self.max_age = max_age

    def challenge_params(self) -> str:
        """The RFC 9470 3 parameters of the challenge (after ``error_description``)."""
        out = ""
        if self.acr_values:
            out += f', acr_values="{self.acr_values}"'
        if self.max_age is not None:
            out += f", max_age={self.max_age}"
        return out


def acr_meets(have: object, want: str) -> bool:
    """Whether a token's ``acr`` is ``want`` or, among jwtgate's levels, stronger."""
    if not isinstance(have, str):
        return False
    if have in ACR_LEVELS and want in ACR_LEVELS:
        return ACR_LEVELS.index(have) >= ACR_LEVELS.index(want)
    return have == want


def _names(value: str | Iterable[str], what: str) -> tuple[str, ...]:
    """A tuple of names; one string is one name (not its characters)."""
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        if not isinstance(name, str) or not name or name != name.strip() or " " in name:
            raise ValueError(f"{what} must be non-empty names without spaces, got {name!r}")
    return names


@dataclass(frozen=True, slots=True)
class Requirement:
    """``roles``: all needed; ``any_role``: at least one needed; ``scopes``: all needed;
    ``acr``: at least this sign-in level; ``max_age``: a sign-in at most this many seconds old."""

    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    any_role: tuple[str, ...] = ()
    acr: str | None = None
    max_age: int | None = None

    @classmethod
    def of(
        cls,
        roles: str | Iterable[str] = (),
        scopes: str | Iterable[str] = (),
        any_role: str | Iterable[str] = (),
        *,
        acr: str | None = None,
        max_age: int | None = None,
    ) -> Requirement:
        """Build from names (a string is one name). ValueError for empty or spaced names, an
        ``acr`` that is not one name, or a negative ``max_age``."""
        if acr is not None:
            (acr,) = _names(acr, "acr")
        if max_age is not None and (type(max_age) is not int or max_age < 0):
            raise ValueError(f"max_age must be a whole number of seconds >= 0, got {max_age!r}")
        return cls(
            _names(roles, "roles"),
            _names(scopes, "scopes"),
            _names(any_role, "any_role"),
            acr,
            max_age,
        )

    def check(self, principal: Principal, *, now: float | None = None) -> None:
        """Raise InsufficientScope when ``principal`` lacks a role or scope, and
        InsufficientUserAuthentication when its sign-in is too weak or older than
        ``max_age`` at ``now`` (default: the system clock)."""
        for role in self.roles:
            if role not in principal.roles:
                raise InsufficientScope(f"this needs the role {role!r}")
        if self.any_role and not any(role in principal.roles for role in self.any_role):
            raise InsufficientScope(f"this needs one of the roles {', '.join(self.any_role)}")
        for scope in self.scopes:
            if scope not in principal.scopes:
                raise InsufficientScope(f"this needs the scope {scope!r}", scopes=self.scopes)
        if self.acr is not None and not acr_meets(principal.acr, self.acr):
            raise InsufficientUserAuthentication(
                f"this needs a sign-in of at least acr {self.acr!r}",
                acr_values=self.acr,
                max_age=self.max_age,
            )
        if self.max_age is not None:
            auth_time = principal.auth_time
            moment = time.time() if now is None else now
            if auth_time is None or moment - auth_time > self.max_age:
                raise InsufficientUserAuthentication(
                    f"this needs a sign-in within the last {self.max_age} s",
                    acr_values=self.acr,
                    max_age=self.max_age,
                )
