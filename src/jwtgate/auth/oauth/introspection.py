"""Token revocation (RFC 7009) and introspection (RFC 7662).

Access tokens are JWTs (they contain dots); refresh tokens are opaque base64url strings
(they cannot). So the kind of a token is known from its shape, and ``token_type_hint`` only
saves nothing: it is accepted and otherwise ignored (RFC 7009 2.1 allows that).

A token is revoked only at the request of the client it was issued to (RFC 7009 2.1): a
token of client A presented by client B, or by no client, is left alone (and the answer is
the same 200, so nothing is learnt). Tokens of the first-party login have no client and are
revoked by requests without one. Introspection sees tokens of every audience this server
issues (RFC 7662: the protected resources ask).
"""

from __future__ import annotations

from typing import Any

from ...jose.errors import InvalidToken
from ..context import AuthContext, Pending
from ..sessions import Sessions
from ..tokens import ANY_AUDIENCE, hash_token, parse_refresh_token

__all__ = ["OAuthTokens"]

MAX_TOKEN_INPUT = 16 * 1024


class OAuthTokens:
    """RFC 7009 and RFC 7662 on top of the sessions and the access-token verifier."""

    def __init__(self, ctx: AuthContext, sessions: Sessions) -> None:
        self._ctx = ctx
        self._sessions = sessions

    def revoke(self, token: object, client_id: str | None = None) -> None:
        """Revoke an access token (its jti) or a refresh token (its session), if it was
        issued to ``client_id`` (None: the first-party login). Anything else, or an expired
        token, is silently fine (RFC 7009 2.2)."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_INPUT:
            return
        if "." not in token:
            self._revoke_refresh(token, client_id)
            return
        ctx = self._ctx
        try:
            claims = ctx.tokens.verify(token, check_revoked=False, audiences=ANY_AUDIENCE)
        except InvalidToken:
            return
        if claims.get("client_id") != client_id:
            return
        pending = Pending()
        with ctx.store.write() as uow:
            ctx.revoke_jti(uow, str(claims["jti"]), float(claims["exp"]), pending)
            ctx.audit(
                uow,
                "token_revoked",
                user_id=claims["sub"] if "sid" in claims else None,
                username=claims.get("preferred_username"),
                jti=claims["jti"],
                client_id=claims.get("client_id"),
            )
        ctx.publish(pending)

    def _revoke_refresh(self, token: str, client_id: str | None) -> None:
        parsed = parse_refresh_token(token)
        if parsed is None:
            return
        with self._ctx.store.read() as uow:
            found = uow.sessions.find_refresh(hash_token(parsed))
        if found is None or found.session.client_id != client_id:
            return
        self._sessions.revoke(found.session.sid, reason="revoked", event="token_revoked")

    def introspect(self, token: object) -> dict[str, Any]:
        """RFC 7662 2.2: ``{"active": false}`` for anything not currently valid, else the
        token's claims with ``active: true`` and ``token_type``."""
        inactive: dict[str, Any] = {"active": False}
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_INPUT:
            return inactive
        if "." in token:
            try:
                claims = self._ctx.tokens.verify(token, audiences=ANY_AUDIENCE)
            except InvalidToken:
                return inactive
            out = {"active": True, "token_type": "access_token", **claims}
            if "preferred_username" in claims:
                out["username"] = claims["preferred_username"]
            return out
        return self._introspect_refresh(token) or inactive

    def _introspect_refresh(self, token: str) -> dict[str, Any] | None:
        ctx = self._ctx
        parsed = parse_refresh_token(token)
        if parsed is None:
            return None
        with ctx.store.read() as uow:
            found = uow.sessions.find_refresh(hash_token(parsed))
        now = ctx.clock()
        if found is None:
            return None
        session, user, record = found.session, found.user, found.token
        if (
            record.used_at is not None
            or record.expires_at <= now
            or session.revoked_at is not None
            or session.absolute_expires_at <= now
            or user.disabled
        ):
            return None
        out: dict[str, Any] = {
            "active": True,
            "token_type": "refresh_token",
            "iss": ctx.tokens.issuer,
            "sub": user.id,
            "username": user.username,
            "sid": session.sid,
            "scope": session.scope,
            "iat": int(record.created_at),
            "exp": int(record.expires_at),
        }
        if session.client_id is not None:
            out["client_id"] = session.client_id
        if session.dpop_jkt is not None:
            out["cnf"] = {"jkt": session.dpop_jkt}  # RFC 9449 6.2
        return out
