"""The OpenID Provider's use cases that are not the OAuth flow itself: userinfo (OpenID
Connect Core 5.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...jose.errors import RevokedToken
from ..context import AuthContext
from ..errors import InsufficientScope
from .userinfo import claims_for_scope

__all__ = ["OpenIdProvider"]


class OpenIdProvider:
    """Userinfo; built by the AuthService."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    def userinfo(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        """The userinfo response for a verified access token (OIDC Core 5.3.2).

        Raises InsufficientScope when the token was not granted ``openid`` (a plain OAuth
        token: RFC 6750 3.1), RevokedToken when it is a client's token or its user is gone
        or disabled (the claims are read fresh: one query).
        """
        scopes = str(claims.get("scope", "")).split()
        if "openid" not in scopes:
            raise InsufficientScope("the token was not granted the openid scope")
        sub = claims.get("sub")
        if "client_id" in claims and "sid" not in claims:
            raise InsufficientScope("a client's own token has no user to describe")
        with self._ctx.store.read() as uow:
            user = uow.users.get(sub) if isinstance(sub, str) else None
        if user is None or user.disabled:
            raise RevokedToken("the user of this token no longer exists or is disabled")
        return claims_for_scope(user, scopes)
