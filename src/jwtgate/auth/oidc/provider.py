"""The OpenID Provider's use cases that are not the OAuth flow itself: userinfo (OpenID
Connect Core 5.3) and back-channel logout notices for ended sessions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...jose.errors import RevokedToken
from ...store.protocols import UnitOfWork
from ...store.records import SessionRecord
from ..context import AuthContext
from ..errors import InsufficientScope
from .userinfo import claims_for_scope

__all__ = ["OpenIdProvider"]


class OpenIdProvider:
    """Userinfo and logout notices; built by the AuthService."""

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

    def queue_logouts(self, uow: UnitOfWork, sessions: Iterable[SessionRecord]) -> int:
        """Queue a back-channel logout notice for each ended session whose client registered
        a ``backchannel_logout_uri`` (Back-Channel Logout 1.0, 2.5), in the caller's
        transaction; call ``ctx.backchannel.notify()`` after it commits. Returns how many."""
        count = 0
        for session in sessions:
            if session.client_id is None:
                continue
            client = uow.clients.get(session.client_id)
            uri = getattr(client, "backchannel_logout_uri", None) if client else None
            if not uri:
                continue
            self._ctx.backchannel.enqueue(
                uow, client_id=session.client_id, uri=uri, sub=session.user_id, sid=session.sid
            )
            count += 1
        return count
