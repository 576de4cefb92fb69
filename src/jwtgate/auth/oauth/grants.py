"""The grants of the token endpoint (RFC 6749 4, 6): who may use which, and for which client.

- ``password`` (4.3): RFC 9700 2.4 says it must not be used. A client may use it only when it
  lists it in ``grant_types``; without a client only when ``JWTGATE_ALLOW_PASSWORD_GRANT`` is
  true. (The JSON ``/auth/login`` of first-party apps is not this grant and stays.)
- ``refresh_token`` (6): bound to the client the session was issued to (see
  :mod:`jwtgate.auth.sessions`).
- ``client_credentials`` (4.4): see :mod:`jwtgate.auth.oauth.clients`.
- ``authorization_code`` (4.1.3): see :mod:`jwtgate.auth.oauth.codes`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...store.records import ClientRecord, UserRecord
from ..context import AuthContext
from ..credentials import check_credentials
from ..dpop import binds_refresh, require_dpop
from ..errors import UnsupportedGrantType
from ..sessions import Sessions
from ..values import ClientAuth, TokenPair
from .clients import Clients, require_grant
from .resources import choose_audiences
from .scopes import grant_scope

__all__ = ["Grants"]


class Grants:
    """Password and refresh grants at the token endpoint, with their client rules."""

    def __init__(
        self,
        ctx: AuthContext,
        sessions: Sessions,
        clients: Clients,
        on_refresh: Callable[[ClientRecord, TokenPair], TokenPair] | None = None,
    ) -> None:
        """``on_refresh`` may add to a client's refreshed pair (OpenID Connect's ID token);
        ``password_checks`` (set by the service) refuses a user whose password alone may not
        open a session (an unverified address, a second factor)."""
        self._ctx = ctx
        self.password_checks: Callable[[UserRecord], None] | None = None
        self._sessions = sessions
        self._clients = clients
        self.on_refresh = on_refresh

    def client(self, auth: ClientAuth | None) -> ClientRecord | None:
        """The client a request proves (None: no client). Raises InvalidClient."""
        return None if auth is None else self._clients.authenticate(auth)

    def password(
        self,
        username: str,
        password: str,
        scope: str | None,
        *,
        client: ClientAuth | None,
        resources: Sequence[str] = (),
        ip: str | None = None,
        user_agent: str | None = None,
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """RFC 6749 4.3 under RFC 9700 2.4's restriction.

        Raises InvalidClient, UnauthorizedClient (a client that does not list ``password``),
        UnsupportedGrantType (no client, and the grant is not allowed), InvalidScope,
        InvalidTarget, InvalidGrant, Throttled.
        """
        ctx = self._ctx
        record = self.client(client)
        if record is None:
            if not ctx.settings.allow_password_grant:
                raise UnsupportedGrantType(
                    "the password grant is switched off (RFC 9700 2.4); sign in with the "
                    "authorization code flow, or set JWTGATE_ALLOW_PASSWORD_GRANT=true"
                )
            allowed: Sequence[str] = ctx.settings.user_scopes
            own = (ctx.settings.audience,)
            audiences = choose_audiences(resources, own, default=ctx.settings.audience)
        else:
            require_grant(record, "password")
            allowed = record.scopes
            audiences = choose_audiences(resources, record.audiences, default=ctx.settings.audience)
        require_dpop(record, dpop_jkt)
        granted = grant_scope(scope, allowed)
        user = check_credentials(ctx, username, password, ip=ip)
        if self.password_checks is not None:
            self.password_checks(user)
        return self._sessions.start(
            user,
            scope=granted,
            client_id=None if record is None else record.client_id,
            ip=ip,
            user_agent=user_agent,
            audiences=audiences,
            with_refresh=record is None or "refresh_token" in record.grant_types,
            dpop_jkt=dpop_jkt,
            bind_refresh=binds_refresh(record),
        )

    def refresh(
        self,
        refresh_token: str,
        scope: str | None,
        *,
        client: ClientAuth | None,
        resources: Sequence[str] = (),
        ip: str | None = None,
        user_agent: str | None = None,
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """RFC 6749 6: rotate a refresh token presented by the client it was issued to.

        Raises InvalidClient, InvalidGrant, InvalidScope, InvalidTarget.
        """
        record = self.client(client)
        require_dpop(record, dpop_jkt)
        pair = self._sessions.rotate(
            refresh_token,
            scope=scope,
            ip=ip,
            user_agent=user_agent,
            client_id=None if record is None else record.client_id,
            resources=resources,
            dpop_jkt=dpop_jkt,
        )
        if record is not None and self.on_refresh is not None:
            pair = self.on_refresh(record, pair)
        return pair
