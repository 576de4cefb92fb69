"""Sessions: starting one, refresh-token rotation with reuse detection, revoking.

A session's refresh lifetime slides: each refresh grants ``refresh_ttl`` more seconds, never
past ``absolute_expires_at`` (``refresh_absolute_ttl`` after login). Rotation is one conditional
UPDATE (see :mod:`jwtgate.store.sessions`); a token that was already rotated and comes back
means two parties hold it, so the whole session is revoked and "refresh_reuse" audited
(OAuth 2.0 Security BCP, RFC 9700 4.14.2). The one exception is the reuse interval (see
:mod:`.rotation`): for a few seconds after a rotation, the token just rotated is answered with
the successor already minted for it, so tabs restored together and retried requests do not
end the session; an older token, or that token later, still revokes it.

A session remembers its client (RFC 6749 6, RFC 9700 4.14): a session started by a client
refreshes only when that same client presents its token (authenticated when confidential,
by ``client_id`` when public); a session of the first-party login (no client) only without a
client, at /auth/refresh, the web pages or /auth/token. Anything else is ``invalid_grant``,
checked before the token is touched, so a stolen token presented elsewhere rotates nothing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..store.protocols import UnitOfWork
from ..store.records import RefreshLookup, SessionRecord, UserRecord
from .context import AuthContext, Pending
from .errors import InvalidGrant
from .oauth.resources import aud_claim, narrow_audiences
from .oauth.scopes import narrow_scope
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
        audiences: Sequence[str] = (),
        with_refresh: bool = True,
        sso_hash: str | None = None,
        dpop_jkt: str | None = None,
        bind_refresh: bool = False,
    ) -> TokenPair:
        """Open a session for ``user`` and issue its first pair (audited as ``event``); its
        access tokens are for ``audiences`` (default: the deployment's audience), and it gets
        a refresh token unless ``with_refresh`` is false. ``sso_hash`` makes it a browser
        sign-in session (see :mod:`jwtgate.auth.sso`). ``dpop_jkt`` binds its access tokens
        to a DPoP key, and, with ``bind_refresh``, its refresh tokens too (RFC 9449 5)."""
        ctx = self._ctx
        session = replace(
            self.new_record(
                user,
                scope=scope,
                client_id=client_id,
                ip=ip,
                user_agent=user_agent,
                audiences=audiences,
            ),
            sso_hash=sso_hash,
            dpop_jkt=dpop_jkt if bind_refresh else None,
        )
        refresh = new_refresh_token() if with_refresh else None
        with ctx.store.write() as uow:
            # Re-read the user, locked, in the transaction that opens the session: the record
            # the password was checked against may be stale by now (a role change, disabling
            # or deletion that committed meanwhile must not be undone by this login's tokens).
            fresh = uow.users.get(user.id, for_update=True)
            if fresh is None or fresh.disabled:
                raise InvalidGrant()
            user = fresh
            self.open(uow, session, refresh)
            ctx.audit(uow, event, user=user, ip=ip, sid=session.sid, client_id=client_id)
        return self.pair(user, session, refresh, session.expires_at, scope, None, dpop_jkt)

    def new_record(
        self,
        user: UserRecord,
        *,
        scope: str,
        client_id: str | None,
        ip: str | None,
        user_agent: str | None,
        audiences: Sequence[str] = (),
        auth_time: float | None = None,
        sso_sid: str | None = None,
    ) -> SessionRecord:
        """A session record starting now (not stored yet: see :meth:`open`)."""
        now = self._ctx.clock()
        settings = self._ctx.settings
        absolute = now + settings.refresh_absolute_ttl
        return SessionRecord(
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
            audiences=" ".join(audiences),
            auth_time=now if auth_time is None else auth_time,
            sso_sid=sso_sid,
        )

    @staticmethod
    def open(uow: UnitOfWork, session: SessionRecord, refresh: str | None) -> None:
        """Store a new session and its first refresh token (if any) in ``uow``."""
        uow.sessions.add(session)
        if refresh is not None:
            uow.sessions.add_refresh(
                hash_token(refresh),
                session.sid,
                now=session.created_at,
                expires_at=session.expires_at,
            )

    def rotate(
        self,
        refresh_token: object,
        *,
        scope: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        client_id: str | None = None,
        resources: Sequence[str] = (),
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """Exchange a refresh token for a new pair; ``client_id`` is the client that proved
        itself (None: no client). ``resources`` may narrow the audiences (RFC 8707 2.2).
        ``dpop_jkt``: the key of the request's DPoP proof, which a session bound to a key
        must match (RFC 9449 5); the new access token is bound to it.
        Raises InvalidGrant, InvalidScope, InvalidTarget."""
        ctx = self._ctx
        token = parse_refresh_token(refresh_token)
        if token is None:
            raise InvalidGrant(_DEAD)
        pending = Pending()
        fresh = ctx.rotation.successor(token)
        with ctx.store.write() as uow:
            result = self._rotate(
                uow, token, fresh, scope, ip, user_agent, pending, client_id, dpop_jkt
            )
        # Committed: a reuse has revoked the session, which this process now applies.
        ctx.publish(pending)
        if result is None:
            raise InvalidGrant(_DEAD)
        user, session, expires_at, granted = result
        audiences = narrow_audiences(resources, session.audiences.split())
        return self.pair(user, session, fresh, expires_at, granted, audiences, dpop_jkt)

    def _rotate(
        self,
        uow: UnitOfWork,
        token: str,
        fresh: str,
        scope: str | None,
        ip: str | None,
        user_agent: str | None,
        pending: Pending,
        client_id: str | None,
        dpop_jkt: str | None = None,
    ) -> tuple[UserRecord, SessionRecord, float, str] | None:
        """Rotate inside ``uow``: the user, the session, the new refresh token's expiry and
        the granted scope; None for a reused token (whose revocation must commit)."""
        ctx = self._ctx
        now = ctx.clock()
        found = uow.sessions.find_refresh(hash_token(token))
        if found is None:
            raise InvalidGrant(_DEAD)
        session, user = found.session, found.user
        repeat: RefreshLookup | None = None
        if session.client_id != client_id:
            # Issued to another client (or to none): refused before the token is touched.
            raise InvalidGrant(_DEAD)
        if session.dpop_jkt is not None and (
            dpop_jkt is None or not hmac.compare_digest(dpop_jkt, session.dpop_jkt)
        ):
            # Bound to a DPoP key (RFC 9449 5): a thief without the key cannot use it, nor
            # burn it (refused before it is marked used, so no reuse detection either).
            raise InvalidGrant("this refresh token is bound to a DPoP key: send a proof by it")
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
            return user, session, repeat.token.expires_at, granted
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
        return user, session, expires_at, granted

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

    def pair(
        self,
        user: UserRecord,
        session: SessionRecord,
        refresh: str | None,
        expires_at: float,
        scope: str,
        audiences: Sequence[str] | None = None,
        jkt: str | None = None,
    ) -> TokenPair:
        """The token answer of a session: a new access token (for ``audiences``, default the
        session's; bound to the DPoP key ``jkt`` when given) and ``refresh``, which expires at
        ``expires_at`` (``refresh_expires_in`` is rounded: a clock reading just after the expiry
        was set says 604800, not 604799)."""
        ctx = self._ctx
        auds = session.audiences.split() if audiences is None else list(audiences)
        access = ctx.tokens.issue(
            sub=user.id,
            roles=user.roles,
            scope=scope,
            sid=session.sid,
            username=user.username,
            client_id=session.client_id,
            audience=aud_claim(auds) if auds else None,
            jkt=jkt,
        )
        return TokenPair(
            access_token=access.token,
            expires_in=access.expires_in,
            refresh_token=refresh,
            refresh_expires_in=(
                None if refresh is None else max(0, round(expires_at - ctx.clock()))
            ),
            scope=scope,
            token_type="DPoP" if jkt else "Bearer",
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
