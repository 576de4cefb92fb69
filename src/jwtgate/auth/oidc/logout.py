"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), free of HTTP.

A logout request names, at most once each, ``id_token_hint``, ``client_id``,
``post_logout_redirect_uri``, ``state`` (and ``logout_hint``, ``ui_locales``, ignored). The
rules:

- The hint counts only when it is an ID token this server signed (expired is fine, 2); it
  names the client (its ``aud``). A ``client_id`` that contradicts it makes the request
  unverified.
- ``post_logout_redirect_uri`` is used only when it is exactly one the identified client
  registered (3): no prefix, query or case games, and never for an unverified request.
- With a valid hint (and a usable or absent redirect URI) the logout happens at once;
  otherwise the user is asked first (5: the OP should confirm when the request might not
  come from the RP), and nobody is redirected to an unregistered URI.

The logout ends the browser's sign-in (SSO) session, the one the hint's session was started
from, and the hint's own session; the app sessions started from the sign-in end with it
(except ``offline_access`` ones), each notified by back-channel logout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...jose.errors import InvalidToken
from ..context import AuthContext, Pending
from ..oauth.authorize import SsoSession
from ..oauth.clients import Clients

__all__ = ["LogoutRequest", "RpLogout"]

_SINGLE = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")
_MAX_STATE = 2048


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """A checked logout request.

    ``redirect_uri`` is set only when it may be redirected to (with ``state``). ``confirm``:
    ask the user first. ``hint`` holds the valid ID token hint's claims.
    """

    hint: dict[str, Any] | None
    client_id: str | None
    client_name: str | None
    redirect_uri: str | None
    state: str | None
    confirm: bool
    params: tuple[tuple[str, str], ...]


class RpLogout:
    """Checks logout requests and ends the sessions they name."""

    def __init__(self, ctx: AuthContext, clients: Clients) -> None:
        self._ctx = ctx
        self._clients = clients

    def parse(
        self, params: Sequence[tuple[str, str]], sso: SsoSession | None = None
    ) -> LogoutRequest:
        """Check a logout request for this browser's sign-in ``sso``; never raises (a bad
        request is one to confirm, with nowhere to redirect)."""
        values: dict[str, str] = {}
        doubtful = False
        for name in _SINGLE:
            given = [v for k, v in params if k == name]
            if len(given) > 1:
                doubtful = True
            elif given and given[0]:
                values[name] = given[0]
        state = values.get("state")
        if state is not None and len(state) > _MAX_STATE:
            state, doubtful = None, True
        hint: dict[str, Any] | None = None
        if "id_token_hint" in values:
            try:
                hint = self._ctx.id_tokens.verify_hint(values["id_token_hint"])
            except InvalidToken:
                doubtful = True
        client_id = values.get("client_id")
        if hint is not None:
            aud = hint["aud"] if isinstance(hint["aud"], str) else hint["aud"][0]
            if client_id is not None and client_id != aud:
                hint, doubtful = None, True
            else:
                client_id = aud
        client = self._clients.find(client_id) if client_id is not None else None
        redirect = values.get("post_logout_redirect_uri")
        if redirect is not None and (
            client is None or redirect not in client.post_logout_redirect_uris or doubtful
        ):
            redirect, doubtful = None, True  # never to an unregistered URI (3)
        if hint is not None and sso is not None and sso.user.id != hint.get("sub"):
            doubtful = True  # the browser is signed in as someone else: ask
        return LogoutRequest(
            hint=hint,
            client_id=None if client is None else client.client_id,
            client_name=None if client is None else client.name,
            redirect_uri=redirect,
            state=state,
            confirm=hint is None or doubtful,
            params=tuple((k, v) for k, v in params if k in _SINGLE),
        )

    def end(self, request: LogoutRequest, sso: SsoSession | None) -> int:
        """End the browser's sign-in session and the sessions the request names; returns
        how many sessions ended (audited ``rp_logout``)."""
        ctx = self._ctx
        now = ctx.clock()
        pending = Pending()
        ended = 0
        with ctx.store.write() as uow:
            sids: list[str] = []
            if sso is not None:
                sids.append(sso.sid)
            hinted = request.hint.get("sid") if request.hint else None
            if isinstance(hinted, str) and request.hint is not None:
                session = uow.sessions.get(hinted)
                if session is not None and session.user_id == request.hint.get("sub"):
                    sids.append(session.sid)
                    if session.sso_sid is not None:
                        sids.append(session.sso_sid)
            for sid in dict.fromkeys(sids):
                session = uow.sessions.get(sid)
                if session is None or not uow.sessions.revoke(sid, now=now, reason="rp_logout"):
                    continue
                ended += 1
                ctx.revoke_sessions(uow, [session], pending)
            user_id = sso.user.id if sso is not None else None
            if user_id is None and request.hint is not None:
                user_id = request.hint.get("sub")
            ctx.audit(
                uow,
                "rp_logout",
                user_id=user_id if isinstance(user_id, str) else None,
                client_id=request.client_id,
                sessions=ended,
                confirmed=request.confirm,
            )
        ctx.publish(pending)
        return ended
