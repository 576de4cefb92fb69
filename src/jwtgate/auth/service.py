"""The auth facade: every use case the server and the CLI call, free of HTTP.

Build it with :func:`jwtgate.auth.build_auth`. It is synchronous and thread-safe; the server
calls it from ``def`` routes. The service owns the transactions (one unit of work per call).
``authenticate`` and ``me`` never touch the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import EllipsisType
from typing import Any

from ..jose.errors import MalformedToken
from ..store.protocols import Store
from ..store.records import UserRecord
from .accounts import AccountEmail
from .accounts.multifactor import MultiFactor
from .accounts.setup import default_mail_setup
from .context import AuthContext, Pending
from .convert import to_client, to_event, to_key_info, to_session
from .credentials import check_credentials
from .dpop import DPoPChecks
from .errors import (
    EmailNotVerified,
    InvalidGrant,
    InvalidRequest,
    MfaEnrollmentRequired,
    MfaRequired,
    NotFound,
    RegistrationDisabled,
    Throttled,
)
from .keyring import ACCESS, ID_TOKEN
from .oauth.authorize import AuthorizationRequest, Authorizer, Decision, SsoSession
from .oauth.clients import Clients
from .oauth.codes import AuthorizationCodes, CodeGrant, IdTokenIssuer
from .oauth.grants import Grants
from .oauth.introspection import OAuthTokens
from .oauth.metadata import ClientMetadata
from .oauth.scopes import advertised_scopes, grant_scope
from .oidc.logout import LogoutRequest, RpLogout
from .oidc.provider import OpenIdProvider
from .sessions import Sessions
from .sso import BrowserSignIn, SignInSessions
from .upkeep import Upkeep
from .users import Users
from .validation import check_limit, parse_int_cursor
from .values import (
    Client,
    ClientAuth,
    Consent,
    Event,
    KeyInfo,
    Page,
    Session,
    TokenPair,
    User,
    utc,
)

__all__ = ["DOCS_CLIENT_ID", "AuthService", "Claims"]

DOCS_CLIENT_ID = "jwtgate-docs"
"""The built-in client of Swagger UI's Authorize button."""

Claims = Mapping[str, Any]
"""Verified access-token claims, as returned by :meth:`AuthService.authenticate`."""


class AuthService:
    """Login, sessions, refresh rotation, revocation, keys, clients and administration."""

    def __init__(self, ctx: AuthContext, dpop: DPoPChecks | None = None) -> None:
        """Wire the collaborators; use :func:`jwtgate.auth.build_auth` instead. ``dpop``:
        the DPoP proof checks (default: in memory, nonces under a key of this process)."""
        self._ctx = ctx
        self.dpop = dpop or DPoPChecks(
            clock=ctx.clock,
            secret=secrets.token_bytes(32),
            require_nonce=ctx.settings.dpop_require_nonce,
        )
        self._sessions = Sessions(ctx)
        self._users = Users(ctx, self._sessions)
        self._clients = Clients(ctx)
        self._grants = Grants(ctx, self._sessions, self._clients)
        self._codes = AuthorizationCodes(ctx, self._sessions, self._clients)
        self._authorizer = Authorizer(ctx, self._clients, self._codes)
        self._sign_ins = SignInSessions(ctx, self._sessions)
        self._oauth = OAuthTokens(ctx, self._sessions)
        self._upkeep = Upkeep(ctx)
        self._email = AccountEmail(ctx, ctx.mail or default_mail_setup(ctx.settings))
        self._mfa = MultiFactor(ctx, self._sessions, self._email.outbox)
        self._grants.password_checks = self._password_alone
        self._oidc = OpenIdProvider(ctx)
        self._rp_logout = RpLogout(ctx, self._clients)
        self._codes.id_tokens = self._oidc.id_token_for_code
        self._grants.on_refresh = self._oidc.id_token_for_refresh

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
        password or a disabled account) or Throttled(retry_after) after too many failures;
        MfaRequired (with an ``mfa_token`` for :meth:`MultiFactor.login`) when the user has a
        second factor, MfaEnrollmentRequired when the user's role needs one and has none.
        """
        return self.password_grant(username, password, client_ip=client_ip, user_agent=user_agent)

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
        return self._sessions.rotate(
            refresh_token, scope=scope, ip=client_ip, user_agent=user_agent
        )

    def authenticate(self, token: str) -> dict[str, Any]:
        """Verify an access token: signature, iss, aud, typ at+jwt, exp, and revocation.

        Runs zero SQL statements. Raises an InvalidToken subclass (RevokedToken when the
        token, its session or its user has been revoked since it was issued).
        """
        if type(token) is not str:
            raise MalformedToken("the token must be a string")
        return self._ctx.tokens.verify(token)

    def logout(self, claims: Claims, refresh_token: str | None = None) -> None:
        """Revoke the session of ``claims`` (and of ``refresh_token`` if it is the same user's)."""
        sub, sid = claims.get("sub"), claims.get("sid")
        if isinstance(sid, str):
            self._sessions.revoke(sid, reason="logout", event="logout", user_id=sub)
        elif isinstance(claims.get("jti"), str):
            self._revoke_jti(claims)
        if refresh_token is not None and isinstance(sub, str):
            self._sessions.revoke_by_refresh_token(
                refresh_token, reason="logout", event="logout", user_id=sub
            )

    def logout_all(self, claims: Claims) -> None:
        """Revoke every session of the user of ``claims``; their access tokens die too."""
        sub = claims.get("sub")
        if isinstance(sub, str) and isinstance(claims.get("sid"), str):
            self._sessions.revoke_all(sub, reason="logout_all", event="logout_all", actor=claims)

    def me(self, claims: Claims) -> dict[str, Any]:
        """What ``GET /auth/me`` answers: ``{sub, username, roles, sid, scope, ...}``; no SQL."""
        out: dict[str, Any] = {
            "sub": claims.get("sub"),
            "username": claims.get("preferred_username"),
            "roles": list(claims.get("roles") or ()),
            "sid": claims.get("sid"),
            "scope": claims.get("scope", ""),
            "iat": claims.get("iat"),
            "exp": claims.get("exp"),
        }
        if "client_id" in claims:
            out["client_id"] = claims["client_id"]
        return out

    def change_password(self, claims: Claims, current_password: str, new_password: str) -> None:
        """Change the caller's password and revoke the user's other sessions.

        Raises InvalidGrant when ``current_password`` is wrong (counted by the throttle),
        Throttled, WeakPassword, or NotFound when the user no longer exists.
        """
        self._users.change_password(claims, current_password, new_password)

    def register(
        self,
        username: str,
        password: str,
        email: str | None = None,
        *,
        client_ip: str | None = None,
    ) -> User:
        """Self-registration, throttled per client address like login: every attempt counts
        (creating accounts in bulk is what the limit is for), ``throttle_ip_failures`` per
        window, then the doubling back-off.

        Raises RegistrationDisabled, Throttled, Conflict, WeakPassword, InvalidRequest.
        """
        settings = self._ctx.settings
        if not settings.allow_registration:
            raise RegistrationDisabled()
        if settings.require_verified_email and not email:
            raise InvalidRequest("an email address is required: it must be verified to sign in")
        if client_ip:
            # A counter of its own: sign-ups from an address do not use up its logins.
            reservation = self._ctx.throttle.reserve(None, "register " + client_ip)
            if not reservation.allowed:
                raise Throttled(reservation.retry_after)
        user = self._users.create(username, password, email=email, event="user_registered")
        self._email.registered(user.id)
        return user

    # -- browser sign-in and the authorization endpoint (RFC 6749 4.1) ----------------------

    def browser_sign_in(
        self,
        username: str,
        password: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> BrowserSignIn:
        """A sign-in on the server's pages: the first-party pair and an SSO token (for the
        browser's ``SameSite=Lax`` cookie) that ``/auth/authorize`` recognises.

        Raises InvalidGrant, Throttled, EmailNotVerified (``require_verified_email``);
        MfaRequired or MfaEnrollmentRequired (as :meth:`login`) when the user needs a second
        factor.
        """
        return self._sign_ins.sign_in(
            username, password, ip=client_ip, user_agent=user_agent, gate=self._sign_in_gate
        )

    def _sign_in_gate(self, user: UserRecord) -> None:
        """What a browser sign-in asks for after the password: a verified address (when
        required), then the second factor."""
        if self._ctx.settings.require_verified_email and user.email and not user.email_verified:
            raise EmailNotVerified()
        self._mfa.check_factors(user)

    def sso_session(self, sso_token: str | None) -> SsoSession | None:
        """The live browser sign-in session of an SSO token, or None."""
        return self._sign_ins.find(sso_token)

    def authorization_target(self, params: Sequence[tuple[str, str]]) -> tuple[Client, str]:
        """The client and redirect URI of an authorization request, verified. Raises
        BadRedirect (show a page; never redirect)."""
        client, redirect_uri, _ = self._authorizer.target(params)
        return to_client(client), redirect_uri

    def authorization_request(self, params: Sequence[tuple[str, str]]) -> AuthorizationRequest:
        """Verify an authorization request (RFC 6749 4.1.1, RFC 7636 4.3, RFC 8707).

        Raises BadRedirect, or AuthorizationError (with the redirect URI and state to
        answer at: ``invalid_request``, ``unsupported_response_type``, ``invalid_scope``,
        ``invalid_target``, ``unauthorized_client``...).
        """
        return self._authorizer.parse(params)

    def authorize(
        self,
        request: AuthorizationRequest,
        sso: SsoSession | None,
        *,
        just_signed_in: bool = False,
    ) -> Decision:
        """Decide a verified request for a browser: sign in, ask consent, or a code.

        Raises AuthorizationError (``login_required``, ``consent_required``) for
        ``prompt=none``.
        """
        return self._authorizer.decide(request, sso, just_signed_in=just_signed_in)

    def answer_consent(self, request: AuthorizationRequest, sso: SsoSession, *, allow: bool) -> str:
        """The user's answer on the consent page: a code (the consent remembered), or
        AuthorizationError ``access_denied``."""
        return self._authorizer.consent(request, sso, allow=allow)

    def apps_with_access(self, user_id: str) -> list[Consent]:
        """The apps a user has allowed, with the scopes ("Apps with access")."""
        with self._ctx.store.read() as uow:
            consents = uow.consents.for_user(user_id)
            names = {c.client_id: c.name for c in uow.clients.all()}
        return [
            Consent(
                client_id=c.client_id,
                client_name=names.get(c.client_id, c.client_id),
                scopes=tuple(c.scope.split()),
                created_at=utc(c.created_at),
                updated_at=utc(c.updated_at),
            )
            for c in consents
        ]

    def withdraw_consent(self, user_id: str, client_id: str) -> bool:
        """Withdraw a user's consent to an app and end that app's sessions of the user (their
        refresh and access tokens die). False when there was no consent."""
        if not isinstance(client_id, str) or not 0 < len(client_id) <= 64 or "\x00" in client_id:
            return False
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            removed = uow.consents.delete(user_id, client_id)
            revoked = uow.sessions.revoke_where(
                now=ctx.clock(), reason="consent_withdrawn", client_id=client_id, user_id=user_id
            )
            ctx.revoke_sessions(uow, revoked, pending)
            if removed or revoked:
                ctx.audit(
                    uow,
                    "consent_withdrawn",
                    user_id=user_id,
                    client_id=client_id,
                    count=len(revoked),
                )
        ctx.publish(pending)
        return removed

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
        granted = grant_scope(scope, self._ctx.settings.user_scopes)
        user = check_credentials(self._ctx, username, password, ip=client_ip)
        if self._ctx.settings.require_verified_email and user.email and not user.email_verified:
            raise EmailNotVerified()
        return self._mfa.after_password(
            user, scope=granted, client_id=client_id, ip=client_ip, user_agent=user_agent
        )

    def _password_alone(self, user: UserRecord) -> None:
        """The token endpoint's password grant opens a session on the password alone, so it
        refuses what a sign-in would still ask for: a verified address, a second factor."""
        if self._ctx.settings.require_verified_email and user.email and not user.email_verified:
            raise EmailNotVerified()
        try:
            self._mfa.check_factors(user)
        except (MfaRequired, MfaEnrollmentRequired):
            raise InvalidGrant(
                "this account signs in with a second factor: use the authorization code flow "
                "(or POST /auth/login, which asks for the factor)"
            ) from None

    def token_password_grant(
        self,
        username: str,
        password: str,
        scope: str | None = None,
        *,
        client: ClientAuth | None = None,
        resources: Sequence[str] = (),
        client_ip: str | None = None,
        user_agent: str | None = None,
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """The password grant of the token endpoint (RFC 6749 4.3), restricted by RFC 9700
        2.4: only for a client listing it in ``grant_types``, or without a client when
        ``JWTGATE_ALLOW_PASSWORD_GRANT`` is true.

        Raises InvalidClient, UnauthorizedClient, UnsupportedGrantType, InvalidGrant,
        Throttled, InvalidScope, InvalidTarget.
        """
        return self._grants.password(
            username,
            password,
            scope,
            client=client,
            resources=resources,
            ip=client_ip,
            user_agent=user_agent,
            dpop_jkt=dpop_jkt,
        )

    def refresh_grant(
        self,
        refresh_token: str,
        scope: str | None = None,
        *,
        client: ClientAuth | None = None,
        resources: Sequence[str] = (),
        client_ip: str | None = None,
        user_agent: str | None = None,
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """Refresh token grant (RFC 6749 6); as :meth:`refresh`, for the client the session
        was issued to (``client`` None: a session of the first-party login).

        Raises InvalidClient, InvalidGrant (also for a token of another client, or of a
        client presented without one), InvalidScope, InvalidTarget.
        """
        return self._grants.refresh(
            refresh_token,
            scope,
            client=client,
            resources=resources,
            ip=client_ip,
            user_agent=user_agent,
            dpop_jkt=dpop_jkt,
        )

    def code_grant(
        self,
        client: ClientAuth,
        *,
        code: str,
        redirect_uri: str | None,
        code_verifier: str | None,
        resources: Sequence[str] = (),
        client_ip: str | None = None,
        user_agent: str | None = None,
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """Authorization code grant (RFC 6749 4.1.3) with PKCE (RFC 7636): the tokens for a
        code, once; a second use revokes what the first issued. ``dpop_jkt`` (every grant):
        the key of the request's verified DPoP proof, which the tokens are bound to.

        Raises InvalidClient, UnauthorizedClient, InvalidGrant, InvalidTarget,
        DPoPProofRefused (a client that must use DPoP did not).
        """
        grant = CodeGrant(
            code, redirect_uri, code_verifier, resources, client_ip, user_agent, dpop_jkt
        )
        return self._codes.redeem(client, grant)

    def use_id_tokens(self, issuer: IdTokenIssuer | None) -> None:
        """Plug OpenID Connect into the code exchange (see :mod:`jwtgate.auth.oauth.codes`)."""
        self._codes.id_tokens = issuer

    def client_credentials(
        self,
        client: ClientAuth | str,
        client_secret: str | None = None,
        scope: str | None = None,
        *,
        resources: Sequence[str] = (),
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """Client credentials grant (RFC 6749 4.4): an access token, no refresh token.

        ``client`` is a :class:`ClientAuth`, or a client id with ``client_secret``. The token
        has ``client_id``, ``sub`` = client id, no ``sid``, ``aud`` from ``resources``.
        Raises InvalidClient, UnauthorizedClient, InvalidScope, InvalidTarget.
        """
        return self._clients.credentials_grant(
            _auth_of(client, client_secret), scope, resources, dpop_jkt
        )

    def authenticate_client(
        self, client: ClientAuth | str, client_secret: str | None = None
    ) -> Client:
        """Check a client's credentials (RFC 6749 2.3): a confidential client's secret, or a
        public client's id (``ClientAuth`` with method "none"). Raises InvalidClient."""
        return to_client(self._clients.authenticate(_auth_of(client, client_secret)))

    def revoke(
        self,
        token: str,
        token_type_hint: str | None = None,
        *,
        client: ClientAuth | None = None,
    ) -> None:
        """Token revocation (RFC 7009 2.1): an access token by its jti, a refresh token by its
        session, when it was issued to ``client`` (None: the first-party login); a token of
        another client is left alone. Unknown, expired or garbage tokens are silently fine
        (RFC 7009 2.2). Raises InvalidClient when ``client`` does not authenticate."""
        record = None if client is None else self._clients.authenticate(client)
        self._oauth.revoke(token, None if record is None else record.client_id)

    def introspect(self, token: str) -> dict[str, Any]:
        """Token introspection (RFC 7662 2.2): ``{"active": False}`` or the claims with
        ``active: true`` and ``token_type``. Works for access and refresh tokens; never raises
        on a bad token."""
        return self._oauth.introspect(token)

    # -- OpenID Connect ------------------------------------------------------------------

    def userinfo(self, claims: Claims) -> dict[str, Any]:
        """The userinfo claims for a verified access token (OpenID Connect Core 5.3): ``sub``
        and the claims of the granted scopes. Raises InsufficientScope without ``openid``,
        RevokedToken when the user is gone or disabled."""
        return self._oidc.userinfo(claims)

    def logout_request(
        self, params: Sequence[tuple[str, str]], sso: SsoSession | None = None
    ) -> LogoutRequest:
        """Check an RP-initiated logout request (RP-Initiated Logout 1.0) for a browser
        signed in as ``sso``: where it may go back to, and whether to ask the user first.
        Never raises."""
        return self._rp_logout.parse(params, sso)

    def end_session(self, request: LogoutRequest, sso: SsoSession | None) -> int:
        """Sign out: the browser's sign-in session, the hint's session and the app sessions
        started from the sign-in (not ``offline_access`` ones), each app told by back-channel
        logout. Returns how many sessions ended."""
        return self._rp_logout.end(request, sso)

    def deliver_logouts(self) -> int:
        """Send the due back-channel logout tokens now (one pass; the background worker does
        it by itself once :meth:`start_background` ran). Returns how many were attempted."""
        return self._ctx.backchannel.deliver_due()

    def start_background(self) -> None:
        """Start the back-channel logout worker (``serve`` calls it; stopped by close())."""
        self._ctx.backchannel.start()

    # -- administration ------------------------------------------------------------------

    def bootstrap_admin(self, password: str | None = None) -> tuple[User, str | None] | None:
        """On a database with no users, create ``admin`` with role ``admin``.

        Returns None when users exist; else the user and the generated password (None when
        ``password`` was given), which the caller prints once. Raises WeakPassword.
        """
        return self._users.bootstrap_admin(password)

    def list_users(
        self, cursor: str | None = None, limit: int = 50, q: str | None = None
    ) -> Page[User]:
        """Users in creation order, ``limit`` (1..200) per page, ``q`` filtering on username
        or email (substring, case-insensitive). Raises InvalidRequest for a bad cursor."""
        return self._users.page(cursor, limit, q)

    def create_user(
        self,
        username: str,
        password: str,
        roles: Sequence[str] = (),
        email: str | None = None,
        *,
        actor: Claims | None = None,
        email_verified: bool = False,
        invite: bool = False,
    ) -> User:
        """Create a user (audited "user_created"). With ``invite`` (and no password: pass
        ``""``), the user's address gets a link to choose a password, valid 7 days. The
        address is unverified unless ``email_verified``. Raises Conflict, WeakPassword,
        InvalidRequest."""
        if invite:
            if password:
                raise InvalidRequest("an invitation lets the user choose the password: send none")
            if not email:
                raise InvalidRequest("an invitation needs an email address")
            password = self._email.unusable_password()
        elif not password:
            raise InvalidRequest("a password is required (or invite: true)")
        user = self._users.create(username, password, roles=roles, email=email, actor=actor)
        if email_verified and user.email:
            self._email.set_email(user.id, user.email, True, actor=actor)
        if invite:
            self._email.invite(user.id, actor=actor)
        return self._users.get(user.id) if email_verified else user

    def get_user(self, id: str) -> User:
        """One user by id. Raises NotFound."""
        return self._users.get(id)

    def find_user(self, username: str) -> User:
        """One user by username (case-insensitive). Raises NotFound."""
        return self._users.find(username)

    def update_user(
        self,
        id: str,
        roles: Sequence[str] | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        *,
        actor: Claims | None = None,
        email: str | EllipsisType | None = ...,
        email_verified: bool | None = None,
    ) -> User:
        """Change roles, disable/enable, set a password or the address (``None`` removes it;
        unverified unless ``email_verified``). Disabling, a role change and a new password
        revoke every session of the user. Raises NotFound, WeakPassword, InvalidRequest.
        """
        if email is not ... or email_verified is not None:
            current = self._users.get(id)
            address = current.email if email is ... else email
            verified = (
                bool(email_verified)
                if email_verified is not None
                else (current.email_verified and address == current.email)
            )
            self._email.set_email(id, address, verified, actor=actor)
        return self._users.update(
            id, roles=roles, disabled=disabled, password=password, actor=actor
        )

    def reset_mfa(self, id: str, *, actor: Claims | None = None) -> int:
        """Remove every second factor and recovery code of a user and revoke every session
        (audited "mfa_reset"); returns how many factors went. Raises NotFound."""
        return self._mfa.reset(id, actor=actor)

    def delete_user(self, id: str, *, actor: Claims | None = None) -> None:
        """Delete a user and revoke every token it holds. Raises NotFound."""
        self._users.delete(id, actor=actor)

    def list_sessions(self, user_id: str) -> list[Session]:
        """The user's sessions, newest first, revoked ones included. Raises NotFound."""
        user = self._users.get(user_id)
        with self._ctx.store.read() as uow:
            return [to_session(r) for r in uow.sessions.for_user(user.id)]

    def revoke_session(self, sid: str, *, actor: Claims | None = None) -> None:
        """Revoke one session; its refresh token dies and its access tokens are rejected.

        Raises NotFound.
        """
        if not isinstance(sid, str) or not 0 < len(sid) <= 64:
            raise NotFound("no such session")
        if not self._sessions.revoke(sid, reason="admin", actor=actor):
            with self._ctx.store.read() as uow:
                if uow.sessions.get(sid) is None:
                    raise NotFound("no such session")

    def list_keys(self) -> list[KeyInfo]:
        """Every signing key, the active one first."""
        now = self._ctx.clock()
        records = [*self._ctx.keyring.records(), *self._ctx.id_keyring.records()]
        return [to_key_info(r, now) for r in records]

    def rotate_key(
        self, alg: str | None = None, *, use: str = ACCESS, actor: Claims | None = None
    ) -> KeyInfo:
        """Generate a new signing key and make it active; the old key stays in the JWKS until
        the last token it signed has expired. ``use="id_token"`` rotates the ID-token key of
        ``alg`` (default RS256). Raises InvalidRequest for an unknown ``alg`` or ``use``."""
        rings = {ACCESS: self._ctx.keyring, ID_TOKEN: self._ctx.id_keyring}
        if use not in rings:
            raise InvalidRequest(f"use must be one of {sorted(rings)}")
        try:
            record = rings[use].rotate(alg)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        with self._ctx.store.write() as uow:
            self._ctx.audit(
                uow, "key_rotated", actor=actor, kid=record.kid, alg=record.alg, use=use
            )
        self._ctx.announce_keys()
        return to_key_info(record, self._ctx.clock())

    def list_events(
        self,
        cursor: str | None = None,
        limit: int = 50,
        type: str | None = None,
        user: str | None = None,
    ) -> Page[Event]:
        """The audit log, newest first; ``user`` is a user id or username, and also finds the
        attempts with that name when it matched no account (recorded as its pseudonym, see
        :mod:`jwtgate.auth.pseudonyms`). Raises InvalidRequest for a bad cursor."""
        before = parse_int_cursor(cursor)
        limit = check_limit(limit)
        if type is not None and (not isinstance(type, str) or len(type) > 64):
            raise InvalidRequest("the event type is not valid")
        if user is not None and (not isinstance(user, str) or len(user) > 64):
            raise InvalidRequest("the user is not valid")
        with self._ctx.store.read() as uow:
            alias = self._ctx.pseudonyms.of(user) if user is not None else None
            rows = uow.events.page(before, limit + 1, type, user, alias)
        items = tuple(to_event(r) for r in rows[:limit])
        return Page(items, str(items[-1].id) if len(rows) > limit else None)

    def create_client(
        self,
        name: str,
        scopes: Sequence[str] | None = None,
        *,
        public: bool = False,
        meta: ClientMetadata | None = None,
        actor: Claims | None = None,
    ) -> tuple[Client, str | None]:
        """A new OAuth client (confidential unless ``public``) with the fields of ``meta``;
        returns it and a confidential client's secret, shown only this once (None for a
        public client). Raises InvalidRequest saying which field is wrong."""
        meta = meta or ClientMetadata()
        if scopes is not None:
            meta = replace(meta, scopes=scopes)
        return self._clients.create(name, meta, public=public, actor=actor)

    def list_clients(self) -> list[Client]:
        """Every OAuth client, oldest first (never their secrets)."""
        return self._clients.all()

    # -- multi-factor sign-in (docs/mfa.md) ----------------------------------------------

    @property
    def mfa(self) -> MultiFactor:
        """TOTP, recovery codes, the second sign-in step and the admin reset of factors."""
        return self._mfa

    # -- account email (docs/email.md) ---------------------------------------------------

    @property
    def account_email(self) -> AccountEmail:
        """Password reset, address verification, invitations and email change."""
        return self._email

    def deliver_mail(self, limit: int = 100) -> int:
        """Deliver due mail from the outbox (the server's worker calls it every second);
        returns how many jobs were handled."""
        return self._email.outbox.deliver_due(limit)

    def ensure_docs_client(self, redirect_uri: str) -> Client | None:
        """The built-in first-party public client of the API docs (Swagger UI's Authorize,
        authorization code with PKCE), id ``jwtgate-docs``, with ``redirect_uri``; None when
        that URI cannot be a redirect URI (an issuer on plain http beyond loopback)."""
        try:
            return self._clients.ensure_builtin(
                DOCS_CLIENT_ID, "API docs (Swagger UI)", [redirect_uri]
            )
        except InvalidRequest:
            return None

    def get_client(self, client_id: str) -> Client:
        """One client. Raises NotFound."""
        return self._clients.get(client_id)

    def update_client(
        self, client_id: str, meta: ClientMetadata, *, actor: Claims | None = None
    ) -> Client:
        """Change a client's fields (those ``meta`` sets). ``disabled=True`` revokes every
        session and token of the client. Raises NotFound, InvalidRequest."""
        return self._clients.update(client_id, meta, actor=actor)

    def delete_client(self, client_id: str, *, actor: Claims | None = None) -> None:
        """Delete a client and revoke every session and token it holds. Raises NotFound."""
        self._clients.delete(client_id, actor=actor)

    def rotate_client_secret(
        self, client_id: str, *, actor: Claims | None = None
    ) -> tuple[Client, str]:
        """A new secret for a confidential client, shown once; the old one stops working.
        Raises NotFound, InvalidRequest (public client)."""
        return self._clients.rotate_secret(client_id, actor=actor)

    # -- keys and revocation state for others --------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: the active key and every retired key still valid for tokens in
        flight (RFC 7517 5)."""
        return {"keys": [*self._ctx.keyring.jwks()["keys"], *self._ctx.id_keyring.jwks()["keys"]]}

    def revocations_since(self, cursor: str | None) -> dict[str, Any]:
        """The revocation feed: ``{cursor, sessions, tokens, users, more}``; the whole live
        state when ``cursor`` is None. Raises InvalidRequest for a malformed cursor."""
        return self._upkeep.feed(cursor)

    def sync(self) -> None:
        """Pull revocations and key changes made by other processes from the database.

        Call it periodically (every ``Settings.revocation_poll_interval`` seconds) when more
        than one process serves the same database.
        """
        self._upkeep.poll()
        self._ctx.keyring.reload()
        self._ctx.id_keyring.reload()
        self._upkeep.prune_if_due()

    @property
    def clock(self) -> Callable[[], float]:
        """The service's clock (seconds since the epoch)."""
        return self._ctx.clock

    @property
    def issuer(self) -> str:
        """The ``iss`` of every token this service issues."""
        return self._ctx.tokens.issuer

    @property
    def scopes_supported(self) -> list[str]:
        """Scopes for discovery (``scopes_supported``): the standard ones implemented, and
        those listed in ``public_scopes`` that a user or a client can be granted."""
        grantable = set(self._ctx.settings.user_scopes)
        for client in self._clients.all():
            grantable.update(client.scopes)
        return advertised_scopes(self._ctx.settings.public_scopes, grantable)

    @property
    def algorithms(self) -> list[str]:
        """Access-token signing algorithms in use, for discovery."""
        return sorted({r.alg for r in self._ctx.keyring.records()})

    @property
    def id_token_algorithms(self) -> list[str]:
        """Algorithms ID tokens are signed with (RS256 among them), for discovery
        (``id_token_signing_alg_values_supported``)."""
        return self._ctx.id_keyring.signing_algorithms

    @property
    def store(self) -> Store:
        """The storage behind the service (for tooling and tests; use the methods above)."""
        return self._ctx.store

    def close(self) -> None:
        """Stop sharing through Redis (when configured) and the back-channel logout worker,
        and release the database engine."""
        if self._ctx.announcer is not None:
            self._ctx.announcer.close()
        self._ctx.backchannel.close()
        self._ctx.store.dispose()

    def load_revocations(self) -> int:
        """Read every live revocation into memory (build_auth does it once at start)."""
        return self._upkeep.load()

    def prune(self) -> dict[str, int]:
        """Delete expired revocations, dead sessions, unneeded keys and old audit events now
        (``sync`` also does it hourly). Returns how many of each."""
        return self._upkeep.prune()

    def _revoke_jti(self, claims: Claims) -> None:
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            exp = claims.get("exp")
            exp = float(exp) if isinstance(exp, int | float) else ctx.clock()
            ctx.revoke_jti(uow, str(claims["jti"]), exp, pending)
            ctx.audit(uow, "logout", actor=claims, jti=claims["jti"])
        ctx.publish(pending)


def _auth_of(client: ClientAuth | str, secret: str | None) -> ClientAuth:
    if isinstance(client, ClientAuth):
        return client
    if secret is None:
        return ClientAuth(client)
    return ClientAuth(client, secret, "client_secret_basic")
