"""The OpenID Provider on top of the OAuth flow: the ID token at the code exchange (OpenID
Connect Core 3.1.3.3) and at the refresh of an ``openid`` session (12.2), and userinfo (5.3).

``acr`` is ``pwd`` and ``amr`` ``["pwd"]``: every sign-in is a password today (the MFA issue
brings other values). The ID token's ``sid`` is the app session's (the one its access tokens
carry and its logout token names), never the browser's SSO session id, which would let apps
correlate a user's sessions.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson

from ...jose.errors import RevokedToken
from ...store.records import ClientRecord, CodeRecord, SessionRecord, UserRecord
from ..context import AuthContext
from ..errors import InsufficientScope
from ..values import TokenPair
from .userinfo import claims_for_scope

__all__ = ["ACR", "AMR", "OpenIdProvider"]

log = logging.getLogger("jwtgate.oidc")

ACR = "pwd"
AMR = ("pwd",)


class OpenIdProvider:
    """ID tokens for the flows, and userinfo; built by the AuthService."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    def _alg(self, client: ClientRecord) -> str | None:
        """The client's ``id_token_signed_response_alg`` if the ring can sign with it (it is
        checked at registration; a key ring narrowed since then falls back to RS256)."""
        alg = client.id_token_signed_response_alg
        if alg is not None and self._ctx.id_keyring.signing_key_for(alg) is None:
            log.warning(
                "no ID-token key for the client's algorithm; signing with the default",
                extra={"event": "id_token_alg_unavailable", "client_id": client.client_id},
            )
            return None
        return alg

    def id_token_for_code(
        self,
        *,
        code: CodeRecord,
        client: ClientRecord,
        user: UserRecord,
        session: SessionRecord,
        pair: TokenPair,
    ) -> TokenPair:
        """The code exchange's ID token (OIDC Core 3.1.3.3) when ``openid`` was granted;
        plain OAuth otherwise. ``nonce`` is the authorization request's, ``auth_time`` when
        the user signed in, ``at_hash`` binds the access token."""
        if "openid" not in code.scope.split():
            return pair
        token = self._ctx.id_tokens.issue(
            sub=user.id,
            client_id=client.client_id,
            auth_time=code.auth_time,
            sid=session.sid,
            nonce=code.nonce,
            access_token=pair.access_token,
            amr=AMR,
            acr=ACR,
            alg=self._alg(client),
        )
        return replace(pair, id_token=token)

    def id_token_for_refresh(self, client: ClientRecord, pair: TokenPair) -> TokenPair:
        """A refresh of an ``openid`` session also answers an ID token (OIDC Core 12.2):
        the same ``sub``, ``aud``, ``azp``, ``sid`` and the original ``auth_time``, no
        ``nonce``."""
        if "openid" not in pair.scope.split():
            return pair
        # The pair was minted here a moment ago (for any audience): read its sid as is.
        sid = _claims_of(pair.access_token).get("sid")
        with self._ctx.store.read() as uow:
            session = uow.sessions.get(sid) if isinstance(sid, str) else None
        if session is None:
            return pair
        token = self._ctx.id_tokens.issue(
            sub=session.user_id,
            client_id=client.client_id,
            auth_time=session.auth_time if session.auth_time is not None else session.created_at,
            sid=session.sid,
            access_token=pair.access_token,
            amr=AMR,
            acr=ACR,
            alg=self._alg(client),
        )
        return replace(pair, id_token=token)

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


def _claims_of(token: str) -> dict[str, Any]:
    """The claims of a token this process has just signed (no verification needed)."""
    payload = token.split(".")[1]
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims if isinstance(claims, dict) else {}
