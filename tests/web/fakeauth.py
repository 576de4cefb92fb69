"""An in-memory stand-in for AuthService, for fast tests of the web layer alone.

It issues real JWTs (jwtgate.jose, ES256) and keeps users, sessions, refresh tokens and
revocations in dicts, with the facade's method names and errors, so the web layer's cookies,
CSRF checks and pages are tested without argon2 or a database. The end-to-end tests in this
folder run the real service behind ``jwtgate serve``.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from jwtgate import Key, KeySet, RevokedToken, decode, encode
from jwtgate.auth.dpop import DPoPChecks
from jwtgate.auth.errors import (
    BadRedirect,
    Conflict,
    InvalidGrant,
    InvalidRequest,
    NotFound,
    RegistrationDisabled,
    Throttled,
    WeakPassword,
)
from jwtgate.auth.sso import BrowserSignIn
from jwtgate.auth.values import Client, Event, KeyInfo, Page, Session, TokenPair, User, utc

ISSUER = "http://testserver"
AUDIENCE = "api"


@dataclass
class Clock:
    """A settable clock."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeAccountEmail:
    """The account-email facade, with no mail (the real one is tested in tests/email)."""

    def invitation_pending(self, user_id: str) -> bool:
        return False


@dataclass
class FakeAuth:
    """The facade's behaviour the pages rely on, in memory."""

    clock: Clock = field(default_factory=Clock)
    access_ttl: int = 900
    refresh_ttl: int = 3600
    allow_registration: bool = False
    throttle_after: int = 5
    users: dict[str, User] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> sid
    failures: dict[str, int] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    keys: list[tuple[Key, KeyInfo]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    account_email: FakeAccountEmail = field(default_factory=FakeAccountEmail)
    dpop: Any = None  # the real DPoP proof checks (the API's protected routes use them)

    def __post_init__(self) -> None:
        self.rotate_key()
        self.dpop = DPoPChecks(
            clock=self.clock, secret=b"fake-auth-dpop-nonce-key", require_nonce=False
        )

    @property
    def issuer(self) -> str:
        return ISSUER

    # -- helpers ---------------------------------------------------------------------------

    def _audit(self, type_: str, user: User | None = None, actor: Any = None) -> None:
        self.events.insert(
            0,
            Event(
                id=len(self.events) + 1,
                type=type_,
                at=utc(self.clock()),
                user_id=user.id if user else None,
                username=user.username if user else None,
                actor=(actor or {}).get("preferred_username"),
                ip=None,
                detail={},
            ),
        )

    def _issue(self, user: User, sid: str) -> TokenPair:
        now = self.clock()
        claims = {
            "iss": ISSUER,
            "sub": user.id,
            "aud": AUDIENCE,
            "exp": now + self.access_ttl,
            "iat": now,
            "nbf": now,
            "jti": secrets.token_hex(8),
            "sid": sid,
            "roles": list(user.roles),
            "scope": "",
            "preferred_username": user.username,
        }
        key = self.keys[0][0]
        token = encode(claims, key, headers={"typ": "at+jwt"})
        refresh = secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = sid
        return TokenPair(token, self.access_ttl, refresh, self.refresh_ttl)

    def _user_by_name(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username.lower()), None)

    # -- tokens ------------------------------------------------------------------------------

    def login(
        self,
        username: str,
        password: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> TokenPair:
        if self.failures.get(username, 0) >= self.throttle_after:
            raise Throttled(7)
        user = self._user_by_name(username)
        if user is None or user.disabled or self.passwords.get(user.id) != password:
            self.failures[username] = self.failures.get(username, 0) + 1
            raise InvalidGrant()
        self.failures.pop(username, None)
        now = utc(self.clock())
        sid = secrets.token_hex(8)
        self.sessions[sid] = Session(
            sid,
            user.id,
            None,
            now,
            now,
            utc(self.clock() + self.refresh_ttl),
            utc(self.clock() + 10 * self.refresh_ttl),
            None,
            None,
            user_agent,
            client_ip,
        )
        self._audit("login_success", user)
        return self._issue(user, sid)

    def browser_sign_in(
        self,
        username: str,
        password: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> BrowserSignIn:
        pair = self.login(username, password, client_ip=client_ip, user_agent=user_agent)
        return BrowserSignIn(pair, secrets.token_urlsafe(32))

    def sso_session(self, token: str | None) -> None:
        return None  # the fake has no authorization endpoint behind its pages

    def authorization_target(self, params: Any) -> Any:
        raise BadRedirect("unknown client")

    def apps_with_access(self, user_id: str) -> list[Any]:
        return []

    def refresh(
        self,
        refresh_token: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
        scope: str | None = None,
    ) -> TokenPair:
        sid = self.refresh_tokens.pop(refresh_token, None)
        session = self.sessions.get(sid or "")
        if session is None or session.revoked_at is not None or session.user_id is None:
            raise InvalidGrant("the refresh token is invalid")
        self.sessions[session.sid] = replace(session, last_used_at=utc(self.clock()))
        return self._issue(self.users[session.user_id], session.sid)

    def authenticate(self, token: str) -> dict[str, Any]:
        claims = decode(
            token,
            KeySet([k for k, _ in self.keys]),
            issuer=ISSUER,
            audience=AUDIENCE,
            typ="at+jwt",
            now=self.clock(),
        )
        session = self.sessions.get(claims.get("sid", ""))
        if session is None or session.revoked_at is not None:
            raise RevokedToken("the session has been revoked")
        return claims

    def logout(self, claims: Mapping[str, Any], refresh_token: str | None = None) -> None:
        self.revoke_session(str(claims["sid"]))

    def logout_all(self, claims: Mapping[str, Any]) -> None:
        for s in list(self.sessions.values()):
            if s.user_id == claims["sub"] and s.revoked_at is None:
                self.revoke_session(s.sid)

    def me(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "sub": claims["sub"],
            "username": claims["preferred_username"],
            "roles": claims["roles"],
            "sid": claims["sid"],
        }

    def change_password(
        self, claims: Mapping[str, Any], current_password: str, new_password: str
    ) -> None:
        if self.passwords.get(str(claims["sub"])) != current_password:
            raise InvalidGrant("the current password is wrong")
        if len(new_password) < 8:
            raise WeakPassword(["the password must have at least 8 characters"])
        self.passwords[str(claims["sub"])] = new_password
        for s in list(self.sessions.values()):
            if s.user_id == claims["sub"] and s.sid != claims["sid"]:
                self.revoke_session(s.sid)

    def register(
        self,
        username: str,
        password: str,
        email: str | None = None,
        *,
        client_ip: str | None = None,
    ) -> User:
        if not self.allow_registration:
            raise RegistrationDisabled()
        return self.create_user(username, password, email=email)

    # -- administration ------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        password: str,
        roles: Sequence[str] = (),
        email: str | None = None,
        *,
        actor: Any = None,
        email_verified: bool = False,
        invite: bool = False,
    ) -> User:
        if not username:
            raise InvalidRequest("username is required")
        if self._user_by_name(username):
            raise Conflict("username taken")
        if len(password) < 8:
            raise WeakPassword(["the password must have at least 8 characters"])
        user = User(
            str(next(self._ids)), username.lower(), email, tuple(roles), False, utc(self.clock())
        )
        self.users[user.id] = user
        self.passwords[user.id] = password
        self._audit("user_created", user, actor)
        return user

    def list_users(
        self, cursor: str | None = None, limit: int = 50, q: str | None = None
    ) -> Page[User]:
        if cursor is not None and not cursor.isdigit():
            raise InvalidRequest("bad cursor")
        items = [u for u in self.users.values() if not q or q.lower() in u.username]
        return Page(tuple(items[:limit]), None)

    def get_user(self, id: str) -> User:
        if id not in self.users:
            raise NotFound("no such user")
        return self.users[id]

    def update_user(
        self,
        id: str,
        roles: Sequence[str] | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        *,
        actor: Any = None,
    ) -> User:
        user = self.get_user(id)
        if password is not None:
            if len(password) < 8:
                raise WeakPassword(["the password must have at least 8 characters"])
            self.passwords[id] = password
        user = replace(
            user,
            roles=tuple(roles) if roles is not None else user.roles,
            disabled=user.disabled if disabled is None else disabled,
        )
        self.users[id] = user
        if disabled or roles is not None or password is not None:
            self.logout_all({"sub": id})
        return user

    def delete_user(self, id: str, *, actor: Any = None) -> None:
        self.get_user(id)
        self.logout_all({"sub": id})
        del self.users[id]

    def list_sessions(self, user_id: str) -> list[Session]:
        return sorted(
            (s for s in self.sessions.values() if s.user_id == user_id),
            key=lambda s: s.created_at,
            reverse=True,
        )

    def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        sid = self.refresh_tokens.get(token)
        if sid in self.sessions:
            self.revoke_session(sid)

    def revoke_session(self, sid: str, *, actor: Any = None) -> None:
        if sid not in self.sessions:
            raise NotFound("no such session")
        self.sessions[sid] = replace(self.sessions[sid], revoked_at=utc(self.clock()))

    def list_keys(self) -> list[KeyInfo]:
        return [info for _, info in self.keys]

    def rotate_key(self, alg: str | None = None, *, actor: Any = None) -> KeyInfo:
        if alg not in (None, "ES256", "EdDSA"):
            raise InvalidRequest(f"unsupported algorithm {alg}")
        key = Key.generate(alg or "ES256")
        now = utc(self.clock())
        self.keys = [
            (
                k,
                replace(
                    i,
                    status="retired",
                    retired_at=now,
                    expires_at=utc(self.clock() + self.access_ttl),
                ),
            )
            for k, i in self.keys
        ]
        info = KeyInfo(key.kid, key.alg, "active", now, now, None, None, key.to_jwk())
        self.keys.insert(0, (key, info))
        return info

    def list_events(
        self,
        cursor: str | None = None,
        limit: int = 50,
        type: str | None = None,
        user: str | None = None,
    ) -> Page[Event]:
        if cursor is not None and not cursor.isdigit():
            raise InvalidRequest("bad cursor")
        items = [
            e
            for e in self.events
            if (not type or e.type == type) and (not user or user in (e.username, e.user_id))
        ]
        return Page(tuple(items[:limit]), None)

    def create_client(
        self,
        name: str,
        scopes: Sequence[str] | None = None,
        *,
        public: bool = False,
        meta: Any = None,
        actor: Any = None,
    ) -> tuple[Client, str | None]:
        scopes = tuple(scopes if scopes is not None else (meta.scopes if meta else ()) or ())
        client = Client(
            secrets.token_hex(6),
            name,
            scopes,
            utc(self.clock()),
            type="public" if public else "confidential",
            redirect_uris=tuple(meta.redirect_uris or ()) if meta else (),
        )
        self.clients.append(client)
        return client, None if public else secrets.token_urlsafe(24)

    def _client_index(self, client_id: str) -> int:
        for i, client in enumerate(self.clients):
            if client.client_id == client_id:
                return i
        raise NotFound("no such client")

    def update_client(self, client_id: str, meta: Any, *, actor: Any = None) -> Client:
        i = self._client_index(client_id)
        if meta.disabled is not None:
            self.clients[i] = replace(self.clients[i], disabled=meta.disabled)
        return self.clients[i]

    def delete_client(self, client_id: str, *, actor: Any = None) -> None:
        del self.clients[self._client_index(client_id)]

    def rotate_client_secret(self, client_id: str, *, actor: Any = None) -> tuple[Client, str]:
        return self.clients[self._client_index(client_id)], secrets.token_urlsafe(24)

    def list_clients(self) -> list[Client]:
        return list(self.clients)

    def jwks(self) -> dict[str, Any]:
        return KeySet([k.public() for k, _ in self.keys]).to_jwks()
