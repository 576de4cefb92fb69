"""Browser sign-in sessions (single sign-on).

A sign-in on the server's own pages opens an ordinary session (its cookies are the
first-party tokens) and marks it as the browser's sign-in session: a random 256-bit SSO
token, kept by the browser in a ``SameSite=Lax`` cookie and stored only as its SHA-256.
``/auth/authorize`` finds the session from that cookie, so a second app signs the user in
without a password prompt; the code flow's sessions remember it (``sso_sid``). The SSO
session lives as long as that browser session: signing out, a revocation, disabling the user
or a new password end it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from .context import AuthContext
from .credentials import check_credentials
from .oauth.authorize import SsoSession
from .sessions import Sessions
from .tokens import hash_token
from .values import TokenPair

__all__ = ["BrowserSignIn", "SignInSessions"]

_SSO_SHAPE_MAX = 128


@dataclass(frozen=True, slots=True)
class BrowserSignIn:
    """A browser sign-in: the first-party token pair and the SSO token (both secrets)."""

    pair: TokenPair
    sso_token: str = field(repr=False)


class SignInSessions:
    """Starting and finding browser sign-in sessions."""

    def __init__(self, ctx: AuthContext, sessions: Sessions) -> None:
        self._ctx = ctx
        self._sessions = sessions

    def sign_in(
        self, username: str, password: str, *, ip: str | None, user_agent: str | None
    ) -> BrowserSignIn:
        """Check the password (throttled) and open a browser sign-in session.

        Raises InvalidGrant, Throttled.
        """
        user = check_credentials(self._ctx, username, password, ip=ip)
        token = secrets.token_urlsafe(32)
        pair = self._sessions.start(user, ip=ip, user_agent=user_agent, sso_hash=hash_token(token))
        return BrowserSignIn(pair, token)

    def find(self, token: object) -> SsoSession | None:
        """The live sign-in session of an SSO token, or None (never raises on bad input)."""
        if not isinstance(token, str) or not 32 <= len(token) <= _SSO_SHAPE_MAX:
            return None
        if not token.isascii():
            return None
        with self._ctx.store.read() as uow:
            found = uow.sessions.by_sso_hash(hash_token(token))
        if found is None:
            return None
        session, user = found
        now = self._ctx.clock()
        alive = (
            session.revoked_at is None
            and session.expires_at > now
            and session.absolute_expires_at > now
            and not user.disabled
            and (user.not_before is None or session.created_at >= user.not_before)
            and not self._ctx.revocations.is_session_revoked(session.sid)
        )
        if not alive:
            return None
        auth_time = session.auth_time if session.auth_time is not None else session.created_at
        return SsoSession(sid=session.sid, user=user, auth_time=auth_time)
