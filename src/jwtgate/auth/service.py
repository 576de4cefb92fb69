"""The auth facade: every use case the server and the CLI call, free of HTTP.

Build it with :func:`jwtgate.auth.build_auth`. It is synchronous and thread-safe; the server
calls it from ``def`` routes. The service owns the transactions (one unit of work per call).
``authenticate`` and ``me`` never touch the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .values import Client, Event, KeyInfo, Page, Session, TokenPair, User

__all__ = ["AuthService", "Claims"]

Claims = Mapping[str, Any]
"""Verified access-token claims, as returned by :meth:`AuthService.authenticate`."""


class AuthService:
    """Login, sessions, refresh rotation, revocation, keys, clients and administration."""

    def __init__(self, **deps: Any) -> None:
        """Wire the collaborators; use :func:`jwtgate.auth.build_auth` instead."""
        raise NotImplementedError

    # -- tokens for users ------------------------------------------------------------------

    def login(
        self,
        username: str,
        password: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> TokenPair:
        """Check a username and password; start a session; return access + refresh tokens.

        Raises InvalidGrant (the same message, after the same work, for an unknown user, a wrong
        password or a disabled account) or Throttled(retry_after) after too many failures.
        """
        raise NotImplementedError

    def refresh(
        self,
        refresh_token: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
        scope: str | None = None,
    ) -> TokenPair:
        """Exchange a refresh token for a new pair; the old refresh token dies (rotation).

        At most one of concurrent calls with one token wins. A rotated token presented again
        revokes the whole session (reuse detection, audited "refresh_reuse"). Raises
        InvalidGrant for unknown, expired, revoked or reused tokens; InvalidScope when
        ``scope`` asks for more than the session has (RFC 6749 6).
        """
        raise NotImplementedError

    def authenticate(self, token: str) -> dict[str, Any]:
        """Verify an access token: signature, iss, aud, typ at+jwt, exp, and revocation.

        Runs zero SQL statements. Raises an InvalidToken subclass (RevokedToken when the
        token, its session or its user has been revoked since it was issued).
        """
        raise NotImplementedError

    def logout(self, claims: Claims, refresh_token: str | None = None) -> None:
        """Revoke the session of ``claims`` (and of ``refresh_token`` if it is the same user's)."""
        raise NotImplementedError

    def logout_all(self, claims: Claims) -> None:
        """Revoke every session of the user of ``claims``; their access tokens die too."""
        raise NotImplementedError

    def me(self, claims: Claims) -> dict[str, Any]:
        """What ``GET /auth/me`` answers: ``{sub, username, roles, sid, scope, ...}``; no SQL."""
        raise NotImplementedError

    def change_password(self, claims: Claims, current_password: str, new_password: str) -> None:
        """Change the caller's password and revoke the user's other sessions.

        Raises InvalidGrant when ``current_password`` is wrong (counted by the throttle),
        Throttled, WeakPassword, or NotFound when the user no longer exists.
        """
        raise NotImplementedError

    def register(self, username: str, password: str, email: str | None = None) -> User:
        """Self-registration.

        Raises RegistrationDisabled, Conflict, WeakPassword, InvalidRequest.
        """
        raise NotImplementedError

    # -- OAuth 2.0 (RFC 6749, 7009, 7662) ------------------------------------------------------

    def password_grant(
        self,
        username: str,
        password: str,
        scope: str | None = None,
        *,
        client_id: str | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> TokenPair:
        """Resource owner password grant (RFC 6749 4.3); as :meth:`login`, plus scope.

        Raises InvalidGrant, Throttled, InvalidScope.
        """
        raise NotImplementedError

    def refresh_grant(
        self,
        refresh_token: str,
        scope: str | None = None,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> TokenPair:
        """Refresh token grant (RFC 6749 6); as :meth:`refresh`.

        Raises InvalidGrant, InvalidScope.
        """
        raise NotImplementedError

    def client_credentials(
        self, client_id: str, client_secret: str, scope: str | None = None
    ) -> TokenPair:
        """Client credentials grant (RFC 6749 4.4): an access token, no refresh token.

        The token has ``client_id``, ``sub`` = client id, no ``sid``. Raises InvalidClient,
        InvalidScope (asking for a scope the client was not given).
        """
        raise NotImplementedError

    def authenticate_client(self, client_id: str, client_secret: str) -> Client:
        """Check a confidential client's secret (RFC 6749 2.3.1). Raises InvalidClient."""
        raise NotImplementedError

    def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        """Token revocation (RFC 7009 2.1): an access token by its jti, a refresh token by its
        session. Unknown, expired or garbage tokens are silently fine (RFC 7009 2.2)."""
        raise NotImplementedError

    def introspect(self, token: str) -> dict[str, Any]:
        """Token introspection (RFC 7662 2.2): ``{"active": False}`` or the claims with
        ``active: true`` and ``token_type``. Works for access and refresh tokens; never raises
        on a bad token."""
        raise NotImplementedError

    # -- administration ------------------------------------------------------------------

    def bootstrap_admin(self, password: str | None = None) -> tuple[User, str | None] | None:
        """On a database with no users, create ``admin`` with role ``admin``.

        Returns None when users exist; else the user and the generated password (None when
        ``password`` was given), which the caller prints once. Raises WeakPassword.
        """
        raise NotImplementedError

    def list_users(
        self, cursor: str | None = None, limit: int = 50, q: str | None = None
    ) -> Page[User]:
        """Users in creation order, ``limit`` (1..200) per page, ``q`` filtering on username
        or email (substring, case-insensitive). Raises InvalidRequest for a bad cursor."""
        raise NotImplementedError

    def create_user(
        self,
        username: str,
        password: str,
        roles: Sequence[str] = (),
        email: str | None = None,
        *,
        actor: Claims | None = None,
    ) -> User:
        """Create a user (audited "user_created"). Raises Conflict, WeakPassword, InvalidRequest."""
        raise NotImplementedError

    def get_user(self, id: str) -> User:
        """One user by id. Raises NotFound."""
        raise NotImplementedError

    def find_user(self, username: str) -> User:
        """One user by username (case-insensitive). Raises NotFound."""
        raise NotImplementedError

    def update_user(
        self,
        id: str,
        roles: Sequence[str] | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        *,
        actor: Claims | None = None,
    ) -> User:
        """Change roles, disable/enable, or set a password. Disabling, a role change and a new
        password revoke every session of the user. Raises NotFound, WeakPassword, InvalidRequest.
        """
        raise NotImplementedError

    def delete_user(self, id: str, *, actor: Claims | None = None) -> None:
        """Delete a user and revoke every token it holds. Raises NotFound."""
        raise NotImplementedError

    def list_sessions(self, user_id: str) -> list[Session]:
        """The user's sessions, newest first, revoked ones included. Raises NotFound."""
        raise NotImplementedError

    def revoke_session(self, sid: str, *, actor: Claims | None = None) -> None:
        """Revoke one session; its refresh token dies and its access tokens are rejected.

        Raises NotFound.
        """
        raise NotImplementedError

    def list_keys(self) -> list[KeyInfo]:
        """Every signing key, the active one first."""
        raise NotImplementedError

    def rotate_key(self, alg: str | None = None, *, actor: Claims | None = None) -> KeyInfo:
        """Generate a new signing key and make it active; the old key stays in the JWKS until
        the last token it signed has expired. Raises InvalidRequest for an unknown ``alg``."""
        raise NotImplementedError

    def list_events(
        self,
        cursor: str | None = None,
        limit: int = 50,
        type: str | None = None,
        user: str | None = None,
    ) -> Page[Event]:
        """The audit log, newest first; ``user`` is a user id or username. Raises
        InvalidRequest for a bad cursor."""
        raise NotImplementedError

    def create_client(
        self, name: str, scopes: Sequence[str] = (), *, actor: Claims | None = None
    ) -> tuple[Client, str]:
        """A new confidential OAuth client; returns it and its secret, shown only this once."""
        raise NotImplementedError

    def list_clients(self) -> list[Client]:
        """Every OAuth client, oldest first (never their secrets)."""
        raise NotImplementedError

    # -- keys and revocation state for others --------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: the active key and every retired key still valid for tokens in
        flight (RFC 7517 5)."""
        raise NotImplementedError

    def revocations_since(self, cursor: str | None) -> dict[str, Any]:
        """The revocation feed: ``{cursor, sessions, tokens, users, more}``; the whole live
        state when ``cursor`` is None. Raises InvalidRequest for a malformed cursor."""
        raise NotImplementedError

    def sync(self) -> None:
        """Pull revocations and key changes made by other processes from the database.

        Call it periodically (every ``Settings.revocation_poll_interval`` seconds) when more
        than one process serves the same database.
        """
        raise NotImplementedError

    @property
    def issuer(self) -> str:
        """The ``iss`` of every token this service issues."""
        raise NotImplementedError

    @property
    def scopes_supported(self) -> list[str]:
        """Scopes a token may carry, for discovery (``scopes_supported``)."""
        raise NotImplementedError

    @property
    def algorithms(self) -> list[str]:
        """Signing algorithms in use, for discovery."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the database engine."""
        raise NotImplementedError
