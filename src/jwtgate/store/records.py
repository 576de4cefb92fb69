"""What the repositories return: frozen records, free of SQLAlchemy.

Fields holding a secret's hash or ciphertext are left out of the repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AccountToken",
    "ClientRecord",
    "CodeRecord",
    "ConsentRecord",
    "EventRecord",
    "KeyRecord",
    "LogoutDelivery",
    "MailJob",
    "RefreshLookup",
    "RefreshRecord",
    "Revocation",
    "SessionRecord",
    "UserRecord",
]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A row of ``users``."""

    id: str
    username: str
    email: str | None
    password_hash: str = field(repr=False)
    roles: tuple[str, ...]
    disabled: bool
    created_at: float
    updated_at: float
    not_before: float | None = None
    email_verified: bool = False


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A row of ``sessions``."""

    sid: str
    user_id: str
    client_id: str | None
    scope: str
    created_at: float
    last_used_at: float
    expires_at: float
    absolute_expires_at: float
    revoked_at: float | None = None
    revoked_reason: str | None = None
    user_agent: str | None = None
    ip: str | None = None
    audiences: str = ""
    auth_time: float | None = None
    sso_hash: str | None = field(default=None, repr=False)
    sso_sid: str | None = None
    dpop_jkt: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """A row of ``refresh_tokens`` (the hash itself is not carried around)."""

    id: int
    sid: str
    created_at: float
    expires_at: float
    used_at: float | None


@dataclass(frozen=True, slots=True)
class RefreshLookup:
    """A refresh token with its session and user, read in one query."""

    token: RefreshRecord
    session: SessionRecord
    user: UserRecord


@dataclass(frozen=True, slots=True)
class Revocation:
    """A revocation event; ``id`` is the feed cursor.

    ``kind`` "sid" / "jti" reject tokens with that ``sid`` / ``jti``; "user" rejects tokens of
    user ``value`` with ``iat`` earlier than ``not_before``. Meaningless after ``expires_at``.
    """

    id: int
    kind: str
    value: str
    not_before: float | None
    expires_at: float
    created_at: float


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A row of ``signing_keys``; the private JWK only as AES-GCM ciphertext."""

    kid: str
    alg: str
    public_jwk: dict[str, Any] = field(compare=False)
    private_jwk_enc: str = field(repr=False)
    created_at: float
    activated_at: float | None
    retired_at: float | None = None
    expires_at: float | None = None
    purpose: str = "access"  # "access" or "id_token": which key ring it belongs to


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A row of ``clients`` (``secret_hash`` is empty for a public client)."""

    client_id: str
    name: str
    secret_hash: str = field(repr=False)
    scopes: tuple[str, ...]
    created_at: float
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
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """A row of ``authorization_codes`` (the hash is the key; the code itself is never kept)."""

    code_hash: str = field(repr=False)
    client_id: str
    user_id: str
    redirect_uri: str | None
    code_challenge: str
    scope: str
    resources: tuple[str, ...]
    nonce: str | None
    auth_time: float
    sso_sid: str | None
    created_at: float
    expires_at: float
    used_at: float | None = None
    sid: str | None = None
    dpop_jkt: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A row of ``consents``: the scopes ``user_id`` allowed ``client_id``."""

    user_id: str
    client_id: str
    scope: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A row of ``audit_events`` (``id`` 0 before it is stored)."""

    type: str
    at: float
    user_id: str | None = None
    username: str | None = None
    actor: str | None = None
    ip: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=False)
    id: int = 0


@dataclass(frozen=True, slots=True)
class AccountToken:
    """A row of ``account_tokens``; both hashes stay out of the repr."""

    id: int
    user_id: str
    purpose: str
    token_hash: str = field(repr=False)
    code_hash: str = field(repr=False)
    email: str | None
    created_at: float
    expires_at: float
    used_at: float | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class MailJob:
    """A row of ``mail_outbox`` (``id`` 0 before it is stored)."""

    kind: str
    status: str
    created_at: float
    next_attempt_at: float
    user_id: str | None = None
    login: str | None = None
    recipient: str | None = None
    ip: str | None = None
    claimed_until: float | None = None
    attempts: int = 0
    sent_at: float | None = None
    last_error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=False)
    id: int = 0


@dataclass(frozen=True, slots=True)
class LogoutDelivery:
    """A row of ``logout_deliveries``: a back-channel logout notice and its delivery state."""

    jti: str
    client_id: str
    uri: str
    sub: str
    sid: str | None
    created_at: float
    next_attempt_at: float
    attempts: int = 0
    done_at: float | None = None
    outcome: str | None = None  # "delivered" or "failed" once done
    last_error: str | None = None
    id: int = 0
