"""How strongly a user authenticated: ``auth_time``, ``amr`` (RFC 8176) and ``acr``.

``acr`` is one of three levels, weakest first: ``pwd`` (a password alone), ``mfa`` (two
factors: a password and a code, or a passkey with user verification), ``phr`` (a passkey:
phishing-resistant, as in OpenID's EAP ACR values). Asking for a level accepts it or a stronger
one. ``amr`` lists the methods used: ``pwd``, ``otp`` (TOTP or a recovery code), ``hwk`` (a
device-bound passkey) or ``swk`` (a synced one), and ``mfa`` once there are two factors; a
passkey's user verification (PIN or biometric) counts as the second.

A session keeps its :class:`Authentication` (``sessions.auth``), so refreshed tokens carry the
same claims, and it remembers when each method was last used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InsufficientUserAuthentication

__all__ = [
    "ACR_LEVELS",
    "Authentication",
    "acr_satisfies",
    "requested_acr",
    "require_authentication",
]

ACR_LEVELS = ("pwd", "mfa", "phr")
"""The ``acr`` values, weakest first."""
_KEY_METHODS = ("hwk", "swk")
_KNOWN_METHODS = frozenset({"pwd", "otp", *_KEY_METHODS})


def _rank(acr: object) -> int:
    return ACR_LEVELS.index(acr) if isinstance(acr, str) and acr in ACR_LEVELS else -1


def acr_satisfies(have: object, want: str) -> bool:
    """Whether a token's ``acr`` meets ``want`` (the same level or a stronger one)."""
    return _rank(have) >= _rank(want) >= 0


def require_authentication(
    claims: Mapping[str, Any], *, acr: str | None, max_age: int | None, now: float
) -> None:
    """Refuse a token whose ``acr`` is weaker than ``acr`` or whose ``auth_time`` is more than
    ``max_age`` seconds old. Raises InsufficientUserAuthentication (RFC 9470 3), which names
    what is missing for the client's next authorization request."""
    if acr is not None and not acr_satisfies(claims.get("acr"), acr):
        raise InsufficientUserAuthentication(
            f"this needs a sign-in of at least acr {acr}", acr_values=acr, max_age=max_age
        )
    if max_age is not None:
        auth_time = claims.get("auth_time")
        if not isinstance(auth_time, int | float) or now - auth_time > max_age:
            raise InsufficientUserAuthentication(
                f"this needs a sign-in within the last {max_age} s",
                acr_values=acr,
                max_age=max_age,
            )


def requested_acr(values: object) -> str | None:
    """The weakest known level among space-separated ``acr_values`` (the least a request
    asks for), or None when none is known."""
    if not isinstance(values, str):
        return None
    known = [v for v in values.split() if v in ACR_LEVELS]
    return min(known, key=_rank) if known else None


@dataclass(frozen=True, slots=True)
class Authentication:
    """The methods of one sign-in and when each was last used (seconds since the epoch)."""

    auth_time: float
    methods: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def password(cls, now: float) -> Authentication:
        """A sign-in with a password alone."""
        return cls(now, {"pwd": now})

    @classmethod
    def passkey(cls, now: float, *, synced: bool) -> Authentication:
        """A passwordless sign-in with a user-verified passkey."""
        return cls(now, {"swk" if synced else "hwk": now})

    def plus(self, method: str, now: float) -> Authentication:
        """This sign-in completed by a further method now (``auth_time`` becomes now)."""
        if method not in _KNOWN_METHODS:
            raise ValueError(f"unknown authentication method {method!r}")
        return Authentication(now, {**self.methods, method: now})

    @property
    def amr(self) -> list[str]:
        """RFC 8176 values, in a stable order, with ``mfa`` once two factors were used."""
        out = [m for m in ("pwd", "otp", *_KEY_METHODS) if m in self.methods]
        if len(out) > 1 or any(m in self.methods for m in _KEY_METHODS):
            out.append("mfa")
        return out

    @property
    def acr(self) -> str:
        """``phr`` with a passkey, ``mfa`` with two factors, else ``pwd``."""
        if any(m in self.methods for m in _KEY_METHODS):
            return "phr"
        return "mfa" if len(self.methods) > 1 else "pwd"

    def claims(self) -> dict[str, Any]:
        """``auth_time``, ``amr`` and ``acr`` for a token."""
        return {"auth_time": math.floor(self.auth_time), "amr": self.amr, "acr": self.acr}

    def to_json(self) -> dict[str, Any]:
        """What ``sessions.auth`` stores."""
        return {"auth_time": self.auth_time, "methods": dict(self.methods)}

    @classmethod
    def from_json(cls, value: object, *, default_time: float) -> Authentication:
        """Read ``sessions.auth``; a session from before MFA existed is a password sign-in
        at ``default_time`` (its creation)."""
        if isinstance(value, Mapping):
            at = value.get("auth_time")
            methods = value.get("methods")
            if isinstance(at, int | float) and isinstance(methods, Mapping):
                kept = {
                    str(k): float(v)
                    for k, v in methods.items()
                    if k in _KNOWN_METHODS and isinstance(v, int | float)
                }
                if kept:
                    return cls(float(at), kept)
        return cls.password(default_time)
