"""The userinfo claims (OpenID Connect Core 5.1, 5.3.2, 5.4): ``sub`` and the claims of the
granted scopes, read fresh from the user's record.

A user has no separate display name, so ``name`` is the username. ``email_verified`` is the
record's own flag when the account-email feature keeps one, else false: an address nobody
proved is never claimed verified.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...store.records import UserRecord

__all__ = ["CLAIMS_BY_SCOPE", "OIDC_SCOPES", "claims_for_scope", "supported_claims"]

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
CLAIMS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    "profile": ("preferred_username", "name", "updated_at"),
    "email": ("email", "email_verified"),
}
# What an ID token carries beside the scope claims (discovery's claims_supported).
_ID_TOKEN_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "sid",
)


def supported_claims() -> list[str]:
    """Every claim this provider can return, for ``claims_supported``."""
    names = [*_ID_TOKEN_CLAIMS, *(c for claims in CLAIMS_BY_SCOPE.values() for c in claims)]
    return sorted(set(names))


def claims_for_scope(user: UserRecord, scopes: Iterable[str]) -> dict[str, Any]:
    """``sub`` and the claims the granted ``scopes`` release about ``user``."""
    granted = set(scopes)
    out: dict[str, Any] = {"sub": user.id}
    if "profile" in granted:
        out["preferred_username"] = user.username
        out["name"] = user.username
        out["updated_at"] = int(user.updated_at)
    if "email" in granted and user.email:
        out["email"] = user.email
        out["email_verified"] = bool(getattr(user, "email_verified", False))
    return out
