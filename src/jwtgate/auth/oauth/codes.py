"""Authorization codes (RFC 6749 4.1.2, 4.1.3) with PKCE (RFC 7636).

A code is 256 random bits, stored only as its SHA-256, valid 60 s, and bound to the client,
the redirect URI as the request gave it (or its absence), the PKCE challenge, the scope, the
resources, the nonce, when and in which browser sign-in session (SSO) the user authenticated.
Redeeming is one conditional UPDATE: of any number of racing requests exactly one wins. A code
presented again is refused, and the session its first redemption started is revoked with every
access token it issued (RFC 6749 4.1.2, RFC 9700 4.2.4).

The seam for OpenID Connect: after the session and its tokens exist, :class:`IdTokenIssuer`
(when configured) receives the code record (``nonce``, ``auth_time``, ``sso_sid``, ``scope``),
the client, the user, the session and the token pair, and returns the pair with ``id_token``
set. Plain OAuth (no ``openid`` scope, or no issuer) leaves the pair as it is.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ...store.protocols import UnitOfWork
from ...store.records import ClientRecord, CodeRecord, SessionRecord, UserRecord
from ..context import AuthContext, Pending
from ..dpop import binds_refresh, require_dpop
from ..errors import InvalidGrant
from ..sessions import Sessions
from ..tokens import hash_token, new_refresh_token
from ..values import ClientAuth, TokenPair
from .clients import Clients, require_grant
from .pkce import verifier_matches
from .resources import narrow_audiences

__all__ = ["CODE_TTL", "AuthorizationCodes", "CodeGrant", "IdTokenIssuer", "NewCode"]

CODE_TTL = 60.0
_CODE_BYTES = 32
_DEAD = "invalid, expired or used authorization code"


class IdTokenIssuer(Protocol):
    """What OpenID Connect plugs in at the code exchange (see the module docstring)."""

    def __call__(
        self,
        *,
        code: CodeRecord,
        client: ClientRecord,
        user: UserRecord,
        session: SessionRecord,
        pair: TokenPair,
    ) -> TokenPair: ...


@dataclass(frozen=True, slots=True)
class NewCode:
    """What an authorization request that succeeded binds its code to."""

    client_id: str
    user_id: str
    redirect_uri: str | None
    code_challenge: str
    scope: str
    resources: tuple[str, ...]
    nonce: str | None
    auth_time: float
    sso_sid: str | None
    dpop_jkt: str | None = None


@dataclass(frozen=True, slots=True)
class CodeGrant:
    """A token request with ``grant_type=authorization_code``."""

    code: str
    redirect_uri: str | None
    code_verifier: str | None
    resources: Sequence[str] = ()
    ip: str | None = None
    user_agent: str | None = None
    dpop_jkt: str | None = None  # the key of the request's DPoP proof (RFC 9449 5)


def _shape_ok(code: object) -> bool:
    return isinstance(code, str) and 32 <= len(code) <= 128 and code.isascii()


class AuthorizationCodes:
    """Issuing and redeeming codes."""

    def __init__(
        self,
        ctx: AuthContext,
        sessions: Sessions,
        clients: Clients,
        id_tokens: IdTokenIssuer | None = None,
    ) -> None:
        self._ctx = ctx
        self._sessions = sessions
        self._clients = clients
        self.id_tokens = id_tokens

    def issue(
        self, new: NewCode, *, condition: Callable[[UnitOfWork], bool] | None = None
    ) -> str | None:
        """Store a new code and return it (the only time it exists in clear); with
        ``condition``, only if it holds in the same transaction (else None)."""
        ctx = self._ctx
        code = secrets.token_urlsafe(_CODE_BYTES)
        now = ctx.clock()
        record = CodeRecord(
            code_hash=hash_token(code),
            client_id=new.client_id,
            user_id=new.user_id,
            redirect_uri=new.redirect_uri,
            code_challenge=new.code_challenge,
            scope=new.scope,
            resources=new.resources,
            nonce=new.nonce,
            auth_time=new.auth_time,
            sso_sid=new.sso_sid,
            dpop_jkt=new.dpop_jkt,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        with ctx.store.write() as uow:
            if condition is not None and not condition(uow):
                return None
            uow.codes.add(record)
            ctx.audit(uow, "code_issued", user_id=new.user_id, client_id=new.client_id)
        return code

    def redeem(self, auth: ClientAuth, grant: CodeGrant) -> TokenPair:
        """RFC 6749 4.1.3: the tokens for a code, once.

        Raises InvalidClient (client authentication), UnauthorizedClient (the client may not
        use this grant), InvalidGrant (unknown, expired, used or another client's code, another
        redirect URI, a missing or wrong ``code_verifier``), InvalidTarget (a resource the
        code does not cover).
        """
        ctx = self._ctx
        code_hash = hash_token(grant.code) if _shape_ok(grant.code) else None
        pending = Pending()
        refresh: str | None = new_refresh_token()
        # One transaction for everything: the client, the code, the user and the new session.
        with ctx.store.write() as uow:
            client = self._clients.authenticate(auth, uow)
            require_grant(client, "authorization_code")
            require_dpop(client, grant.dpop_jkt)
            if code_hash is None:
                raise InvalidGrant(_DEAD)
            if "refresh_token" not in client.grant_types:
                refresh = None
            outcome = self._redeem(uow, client, code_hash, grant, refresh, pending)
        ctx.publish(pending)  # a replay's revocation, committed
        if outcome is None:
            raise InvalidGrant(_DEAD)
        code, user, session, audiences = outcome
        pair = self._sessions.pair(
            user, session, refresh, session.expires_at, session.scope, audiences, grant.dpop_jkt
        )
        if self.id_tokens is not None:
            pair = self.id_tokens(code=code, client=client, user=user, session=session, pair=pair)
        return pair

    def _redeem(
        self,
        uow: UnitOfWork,
        client: ClientRecord,
        code_hash: str,
        grant: CodeGrant,
        refresh: str | None,
        pending: Pending,
    ) -> tuple[CodeRecord, UserRecord, SessionRecord, tuple[str, ...]] | None:
        """Inside ``uow``: None after revoking what a replayed code issued (to commit)."""
        ctx = self._ctx
        now = ctx.clock()
        code = uow.codes.get(code_hash)
        if code is None or code.client_id != client.client_id:
            # Unknown, or another client's code (code injection, RFC 9700 4.5): the code
            # stays usable by its own client.
            raise InvalidGrant(_DEAD)
        if code.used_at is not None:
            self._replayed(uow, code, pending)
            return None
        # Before the code is spent: a resource it does not cover leaves it usable.
        audiences = narrow_audiences(grant.resources, code.resources)
        if not uow.codes.mark_used(code_hash, now=now):
            # Read again: a racing winner's session is committed by now (its row lock held
            # this UPDATE until then).
            self._replayed(uow, uow.codes.get(code_hash) or code, pending)
            return None
        if code.expires_at <= now:
            raise InvalidGrant(_DEAD)
        self._check_binding(client, code, grant)
        user = uow.users.get(code.user_id, for_update=True)
        if (
            user is None
            or user.disabled
            or (user.not_before is not None and code.auth_time < user.not_before)
        ):
            raise InvalidGrant(_DEAD)
        session = self._sessions.new_record(
            user,
            scope=code.scope,
            client_id=client.client_id,
            ip=grant.ip,
            user_agent=grant.user_agent,
            audiences=code.resources,
            auth_time=code.auth_time,
            sso_sid=code.sso_sid,
        )
        if binds_refresh(client):
            session = replace(session, dpop_jkt=grant.dpop_jkt)
        if code.sso_sid is not None:
            sso = uow.sessions.get(code.sso_sid)
            if sso is None or sso.revoked_at is not None:
                raise InvalidGrant(_DEAD)  # the user signed out meanwhile
        self._sessions.open(uow, session, refresh)
        uow.codes.set_session(code_hash, session.sid)
        ctx.audit(
            uow,
            "code_exchanged",
            user=user,
            ip=grant.ip,
            sid=session.sid,
            client_id=client.client_id,
            scope=code.scope,
        )
        return code, user, session, audiences

    @staticmethod
    def _check_binding(client: ClientRecord, code: CodeRecord, grant: CodeGrant) -> None:
        """The redirect URI and the PKCE verifier. Raises InvalidGrant."""
        if code.redirect_uri is not None:
            if grant.redirect_uri != code.redirect_uri:
                raise InvalidGrant("redirect_uri differs from the authorization request's")
        elif grant.redirect_uri is not None and grant.redirect_uri not in client.redirect_uris:
            raise InvalidGrant("redirect_uri differs from the authorization request's")
        if grant.code_verifier is None:
            raise InvalidGrant("code_verifier is required (PKCE)")
        if not verifier_matches(grant.code_verifier, code.code_challenge):
            raise InvalidGrant("the code_verifier does not match the code_challenge")
        if code.dpop_jkt is not None and grant.dpop_jkt != code.dpop_jkt:
            raise InvalidGrant("the code is bound to a DPoP key (dpop_jkt): prove it")

    def _replayed(self, uow: UnitOfWork, code: CodeRecord, pending: Pending) -> None:
        """A used code came back: revoke the session its redemption started (RFC 6749
        4.1.2), and audit it."""
        ctx = self._ctx
        if code.sid is not None and uow.sessions.revoke(
            code.sid, now=ctx.clock(), reason="code_replay"
        ):
            session = uow.sessions.get(code.sid)
            if session is not None:
                ctx.revoke_sessions(uow, [session], pending)
        ctx.audit(uow, "code_replay", user_id=code.user_id, client_id=code.client_id, sid=code.sid)
