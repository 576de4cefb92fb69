"""Sessions: starting one, refresh-token rotation with reuse detection, revoking.

A session's refresh lifetime slides: each refresh grants ``refresh_ttl`` more seconds, never
past ``absolute_expires_at`` (``refresh_absolute_ttl`` after login). Rotation is one conditional
UPDATE (see :mod:`jwtgate.store.sessions`); a token that was already rotated and comes back
means two parties hold it, so the whole session is revoked and "refresh_reuse" audited
(OAuth 2.0 Security BCP, RFC 9700 4.14.2). The one exception is the reuse interval (see
:mod:`.rotation`): for a few seconds after a rotation, the token just rotated is answered with
the successor already minted for it, so tabs restored together and retried requests do not
end the session; an older token, or that token later, still revokes it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ..store.protocols import UnitOfWork
from ..store.records import RefreshLookup, SessionRecord, UserRecord
from .context import AuthContext, Pending
from .errors import InvalidGrant
from .scopes import narrow_scope
from .tokens import hash_token, new_refresh_token, parse_refresh_token
from .values import TokenPair

__all__ = ["Sessions"]

_DEAD = "invalid or expired refresh token"


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


class Sessions:
    """Session lifecycle on top of the store."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    def start(
        self,
        user: UserRecord,
        *,
        scope: str = "",
        client_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        event: str = "login_success",
    ) -> TokenPair:
        """Open a session for ``user`` and issue its first pair (audited as ``event``)."""
        ctx = self._ctx
        now = ctx.clock()
        settings = ctx.settings
        absolute = now + settings.refresh_absolute_ttl
        session = SessionRecord(
            sid=secrets.token_urlsafe(16),
            user_id=user.id,
            client_id=client_id,
            scope=scope,
            created_at=now,
            last_used_at=now,
            expires_at=min(now + settings.refresh_ttl, absolute),
            absolute_expires_at=absolute,
            user_agent=_clip(user_agent, 256),
            ip=_clip(ip, 64),
        )
        refresh = new_refresh_token()
        with ctx.store.write() as uow:
            # Re-read the user, locked, in the transaction that opens the session: the record
            # the password was checked against may be stale by now (a role change, disabling
            # or deletion that committed meanwhile must not be undone by this login's tokens).
            fresh = uow.users.get(user.id, for_update=True)
            if fresh is None or fresh.disabled:
                raise InvalidGrant()
            user = fresh
            uow.sessions.add(session)
            uow.sessions.add_refresh(
                hash_token(refresh), session.sid, now=now, expires_at=session.expires_at
            )
            ctx.audit(uow, event, user=user, ip=ip, sid=session.sid, client_id=client_id)
        return self._pair(user, session, refresh, session.expires_at - now, scope)

    def rotate(
        self,
        refresh_token: object,
        *,
        scope: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> TokenPair:
        """Exchange a refresh token for a new pair. Raises InvalidGrant, InvalidScope."""
        ctx = self._ctx
        token = parse_refresh_token(refresh_token)
        if token is None:
            raise InvalidGrant(_DEAD)
        pending = Pending()
        fresh = ctx.rotation.successor(token)
        with ctx.store.write() as uow:
            result = self._rotate(uow, token, fresh, scope, ip, user_agent, pending)
        # Committed: a reuse has revoked the session, which this process now applies.
        ctx.publish(pending)
        if result is None:
            raise InvalidGrant(_DEAD)
        user, session, lifetime, granted = result
        return self._pair(user, session, fresh, lifetime, granted)

    def _rotate(
        self,
        uow: UnitOfWork,
        token: str,
        fresh: str,
        scope: str | None,
        ip: str | None,
        user_agent: str | None,
        pending: Pending,
    ) -> tuple[UserRecord, SessionRecord, float, str] | None:
        """Rotate inside ``uow``: the user, the session, the new refresh token's lifetime and
        the granted scope; None for a reused token (whose revocation must commit)."""
        ctx = self._ctx
        now = ctx.clock()
        found = uow.sessions.find_refresh(hash_token(token))
        if found is None:
            raise InvalidGrant(_DEAD)
        session, user = found.session, found.user
        repeat: RefreshLookup | None = None
        if found.token.used_at is not None or not uow.sessions.mark_used(found.token.id, now=now):
            repeat = self._minted_successor(uow, found, fresh, now)
            if repeat is None:
                self._reuse(uow, session, user, ip, pending)
                return None
        alive = (
            session.revoked_at is None
            and (repeat or found).token.expires_at > now
            and session.absolute_expires_at > now
            and not user.disabled
            and (user.not_before is None or session.created_at >= user.not_before)
        )
        if not alive:
            raise InvalidGrant(_DEAD)
        granted = session.scope if scope is None else narrow_scope(scope, session.scope)
        if repeat is not None:
            ctx.audit(uow, "refresh", user=user, ip=ip, sid=session.sid, reuse_interval=True)
            return user, session, repeat.token.expires_at - now, granted
        expires_at = min(now + ctx.settings.refresh_ttl, session.absolute_expires_at)
        if not uow.sessions.touch(
            session.sid,
            now=now,
            expires_at=expires_at,
            ip=_clip(ip, 64),
            user_agent=_clip(user_agent, 256),
        ):
            raise InvalidGrant(_DEAD)  # revoked by a concurrent transaction
        uow.sessions.add_refresh(hash_token(fresh), session.sid, now=now, expires_at=expires_at)
        ctx.audit(uow, "refresh", user=user, ip=ip, sid=session.sid)
        return user, session, expires_at - now, granted

    def _minted_successor(
        self, uow: UnitOfWork, found: RefreshLookup, successor: str, now: float
    ) -> RefreshLookup | None:
        """The successor minted for a token that was rotated already, when the reuse interval
        lets it be answered again: rotated at most ``reuse_interval`` seconds ago, and its
        successor not rotated yet (the immediate predecessor only). Else None: reuse."""
        # No used_at: a concurrent request rotated the token a moment ago (its UPDATE won).
        rotated_at = now if found.token.used_at is None else found.token.used_at
        if not self._ctx.rotation.may_repeat(rotated_at, now):
            return None
        minted = uow.sessions.find_refresh(hash_token(successor))
        if minted is None or minted.session.sid != found.session.sid:
            return None
        return minted if minted.token.used_at is None else None

    def _reuse(
        self,
        uow: UnitOfWork,
        session: SessionRecord,
        user: UserRecord,
        ip: str | None,
        pending: Pending,
    ) -> None:
        """A rotated token came back: revoke its session, audit the reuse."""
        ctx = self._ctx
        if uow.sessions.revoke(session.sid, now=ctx.clock(), reason="refresh_reuse"):
            ctx.revoke_sessions(uow, [session], pending)
        ctx.audit(uow, "refresh_reuse", user=user, ip=ip, sid=session.sid)

    def _pair(
        self, user: UserRecord, session: SessionRecord, refresh: str, lifetime: float, scope: str
    ) -> TokenPair:
        """The answer: ``lifetime`` is the refresh token's, measured at the clock reading that
        set its expiry (a later reading would say 604799 for a 604800 s lifetime)."""
        ctx = self._ctx
        access = ctx.tokens.issue(
            sub=user.id,
            roles=user.roles,
            scope=scope,
            sid=session.sid,
            username=user.username,
            client_id=session.client_id,
        )
        return TokenPair(
            access_token=access.token,
            expires_in=access.expires_in,
            refresh_token=refresh,
            refresh_expires_in=max(0, round(lifetime)),
            scope=scope,
        )

    # -- revoking ----------------------------------------------------------------------------

    def revoke(
        self,
        sid: str,
        *,
        reason: str,
        event: str = "session_revoked",
        actor: Mapping[str, Any] | None = None,
        user_id: str | None = None,
    ) -> bool:
        """Revoke one live session (only ``user_id``'s, when given); False if there is none."""
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            session = uow.sessions.get(sid)
            if session is None or (user_id is not None and session.user_id != user_id):
                return False
            if not uow.sessions.revoke(sid, now=ctx.clock(), reason=reason):
                return False
            ctx.revoke_sessions(uow, [session], pending)
            # The user's name, as in every other event (not only the id).
            user = uow.users.get(session.user_id)
            ctx.audit(
                uow, event, user=user, user_id=session.user_id, actor=actor, sid=sid, reason=reason
            )
        ctx.publish(pending)
        return True

    def revoke_by_refresh_token(
        self, refresh_token: object, *, reason: str, event: str, user_id: str | None = None
    ) -> bool:
        """Revoke the session a refresh token belongs to (only ``user_id``'s, when given)."""
        token = parse_refresh_token(refresh_token)
        if token is None:
            return False
        with self._ctx.store.read() as uow:
            found = uow.sessions.find_refresh(hash_token(token))
        if found is None:
            return False
        return self.revoke(found.session.sid, reason=reason, event=event, user_id=user_id)

    def revoke_all(
        self,
        user_id: str,
        *,
        reason: str,
        keep: str | None = None,
        event: str = "sessions_revoked",
        actor: Mapping[str, Any] | None = None,
    ) -> int:
        """Revoke every session of a user (but ``keep``); see AuthContext.revoke_user_sessions."""
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            count = ctx.revoke_user_sessions(uow, user_id, reason, pending, keep=keep)
            user = uow.users.get(user_id)
            ctx.audit(
                uow, event, user=user, user_id=user_id, actor=actor, reason=reason, count=count
            )
        ctx.publish(pending)
        return count
