"""The value objects the auth service hands out: frozen, typed, and safe to log.

Each has ``to_dict()`` giving the JSON shape of the HTTP contract. Reprs of objects that carry a
secret (``TokenPair``) hide it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "Client",
    "ClientAuth",
    "Consent",
    "Event",
    "KeyInfo",
    "Page",
    "Session",
    "TokenPair",
    "User",
    "iso",
    "utc",
]


def utc(epoch: float) -> datetime:
    """An aware UTC datetime from seconds since the epoch."""
    return datetime.fromtimestamp(epoch, UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 text of an aware datetime (``None`` stays ``None``)."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a successful grant answers (RFC 6749 5.1). The repr hides both tokens."""

    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str | None = field(repr=False)
    refresh_expires_in: int | None
    scope: str = ""
    token_type: str = "Bearer"  # noqa: S105 (the RFC 6750 scheme name, not a secret)
    id_token: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The token response body; the refresh members only when there is a refresh token,
        ``id_token`` only when OpenID Connect issued one."""
        out: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }
        if self.refresh_token is not None:
            out["refresh_token"] = self.refresh_token
            out["refresh_expires_in"] = self.refresh_expires_in
        if self.scope:
            out["scope"] = self.scope
        if self.id_token is not None:
            out["id_token"] = self.id_token
        return out


@dataclass(frozen=True, slots=True)
class User:
    """A user account as the contract shows it (no password hash, ever)."""

    id: str
    username: str
    email: str | None
    roles: tuple[str, ...]
    disabled: bool
    created_at: datetime
    email_verified: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{id, username, email, email_verified, roles, disabled, created_at}``, created_at
        in ISO 8601."""
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "email_verified": self.email_verified,
            "roles": list(self.roles),
            "disabled": self.disabled,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Session:
    """A login session; its ``sid`` stays the same across refreshes."""

    sid: str
    user_id: str | None
    client_id: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    absolute_expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    user_agent: str | None
    ip: str | None
    scope: str = ""
    audiences: tuple[str, ...] = ()
    auth_time: datetime | None = None
    browser: bool = False
    """A browser sign-in (SSO) session: a sign-in on the server's pages."""
    sso_sid: str | None = None
    """For a session of the code flow: the browser sign-in session it was started from."""

    @property
    def active(self) -> bool:
        """Not revoked (expiry is judged by the caller's clock)."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``GET /admin/users/{id}/sessions``."""
        return {
            "sid": self.sid,
            "user_id": self.user_id,
            "client_id": self.client_id,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "expires_at": iso(self.expires_at),
            "absolute_expires_at": iso(self.absolute_expires_at),
            "revoked_at": iso(self.revoked_at),
            "revoked_reason": self.revoked_reason,
            "user_agent": self.user_agent,
            "ip": self.ip,
            "scope": self.scope,
        }


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A signing key's public facts; ``status`` is "active", "retired" or "expired"."""

    kid: str
    alg: str
    status: str
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    expires_at: datetime | None
    public_jwk: dict[str, Any] = field(repr=False, compare=False)
    use: str = "access"  # "access" (access tokens) or "id_token" (ID and logout tokens)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``GET /admin/keys``."""
        return {
            "kid": self.kid,
            "alg": self.alg,
            "status": self.status,
            "use": self.use,
            "created_at": iso(self.created_at),
            "activated_at": iso(self.activated_at),
            "retired_at": iso(self.retired_at),
            "expires_at": iso(self.expires_at),
            "public_jwk": dict(self.public_jwk),
        }


@dataclass(frozen=True, slots=True)
class Client:
    """An OAuth client (RFC 6749 2); a confidential client's secret is shown once, at creation
    or rotation, and only its hash is stored."""

    client_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    type: str = "confidential"
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("client_credentials",)
    audiences: tuple[str, ...] = ()
    first_party: bool = False
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 (a method name)
    backchannel_logout_uri: str | None = None
    id_token_signed_response_alg: str | None = None
    dpop_bound_access_tokens: bool = False
    disabled: bool = False

    @property
    def public(self) -> bool:
        """A public client has no secret (RFC 6749 2.1): SPAs, mobile and desktop apps."""
        return self.type == "public"

    def to_dict(self) -> dict[str, Any]:
        """The client as the Clients contract shows it (never a secret)."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "type": self.type,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "grant_types": list(self.grant_types),
            "scopes": list(self.scopes),
            "audiences": list(self.audiences),
            "first_party": self.first_party,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "id_token_signed_response_alg": self.id_token_signed_response_alg,
            "dpop_bound_access_tokens": self.dpop_bound_access_tokens,
            "disabled": self.disabled,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class ClientAuth:
    """How a request at the token, revocation or introspection endpoint names its client
    (RFC 6749 2.3): ``method`` "client_secret_basic", "client_secret_post", or "none" (a
    public client sending only ``client_id``). The repr hides the secret."""

    client_id: str
    secret: str | None = field(default=None, repr=False)
    method: str = "none"


@dataclass(frozen=True, slots=True)
class Consent:
    """Scopes a user allowed a client, for "Apps with access" on the account page."""

    client_id: str
    client_name: str
    scopes: tuple[str, ...]
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of one app with access."""
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "scopes": list(self.scopes),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One audit event (``type`` such as "login_success", "refresh_reuse", "key_rotated")."""

    id: int
    type: str
    at: datetime
    user_id: str | None
    username: str | None
    actor: str | None
    ip: str | None
    detail: dict[str, Any] = field(compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``GET /admin/events``."""
        return {
            "id": self.id,
            "type": self.type,
            "at": iso(self.at),
            "user_id": self.user_id,
            "username": self.username,
            "actor": self.actor,
            "ip": self.ip,
            "detail": dict(self.detail),
        }


class _HasDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=_HasDict)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[T, ...]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        """``{"items": [...], "next_cursor": CURSOR or null}``."""
        return {"items": [item.to_dict() for item in self.items], "next_cursor": self.next_cursor}
