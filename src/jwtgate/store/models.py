"""The tables, as typed SQLAlchemy 2 models. Alembic migrations create them; never ``create_all``.

Times are seconds since the epoch (double precision): the same on SQLite and PostgreSQL, and
the same unit as the injected clock and JWT NumericDates. Secrets are never stored: refresh
tokens and client secrets as SHA-256 hashes, passwords as argon2id hashes, private signing keys
encrypted with AES-GCM.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccountTokenRow",
    "AuditEventRow",
    "AuthorizationCodeRow",
    "Base",
    "ClientRow",
    "ConsentRow",
    "LogoutDeliveryRow",
    "MailOutboxRow",
    "MfaChallengeRow",
    "MfaFactorRow",
    "RecoveryCodeRow",
    "RefreshTokenRow",
    "RevocationRow",
    "SessionRow",
    "SigningKeyRow",
    "ThrottleAttemptRow",
    "UserRow",
]


class Base(DeclarativeBase):
    """Declarative base of every jwtgate table."""


class UserRow(Base):
    """A user account. ``username_key`` (the RFC 8265 PRECIS form of the name) is unique."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    not_before: Mapped[float | None] = mapped_column(Double)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SessionRow(Base):
    """A login session; ``sid`` survives refreshes. Sliding ``expires_at``, hard cap in
    ``absolute_expires_at``."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_user_id", "user_id"),
        Index("ix_sessions_absolute_expires_at", "absolute_expires_at"),
        Index("ix_sessions_client_id", "client_id"),
        Index("ix_sessions_sso_sid", "sso_sid"),
        Index("ix_sessions_sso_hash", "sso_hash", unique=True),
        Index("ix_sessions_expires_at", "expires_at"),  # pruning (migration 0009)
    )

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[float] = mapped_column(Double)
    last_used_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    absolute_expires_at: Mapped[float] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double)
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    ip: Mapped[str | None] = mapped_column(String(64))
    # The audiences (RFC 8707 resources) its access tokens may name, space-separated; empty:
    # the deployment's JWTGATE_AUDIENCE.
    audiences: Mapped[str] = mapped_column(String(2048), default="")
    # When the user authenticated (the sign-in this session comes from).
    auth_time: Mapped[float | None] = mapped_column(Double)
    # A browser sign-in session: SHA-256 of its SSO cookie (the cookie itself is a secret).
    sso_hash: Mapped[str | None] = mapped_column(String(64))
    # A session started from a browser sign-in session (authorization code flow): its sid.
    sso_sid: Mapped[str | None] = mapped_column(String(64))
    # The DPoP key (RFC 7638 thumbprint) its refresh tokens are bound to (RFC 9449 5: public
    # clients); a refresh needs a proof signed by it.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    # How the user signed in: auth_time, amr, acr, and when each factor was last used.
    auth: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RefreshTokenRow(Base):
    """One refresh token of a session, by its SHA-256 hash. ``used_at`` is set exactly once,
    by the conditional UPDATE that rotates it."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_sid", "sid"),
        Index("ix_refresh_tokens_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sid: Mapped[str] = mapped_column(ForeignKey("sessions.sid", ondelete="CASCADE"))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double)


class RevocationRow(Base):
    """A revocation; ``id`` is the feed cursor (AUTOINCREMENT: never reused after pruning).

    ``kind`` is "sid", "jti" or "user"; for "user", ``not_before`` rejects tokens issued
    earlier. ``expires_at`` is when every token it could reject has expired.
    """

    __tablename__ = "revocations"
    __table_args__ = (
        Index("ix_revocations_expires_at", "expires_at"),
        Index("ix_revocations_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(128))
    not_before: Mapped[float | None] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    created_at: Mapped[float] = mapped_column(Double)


class SigningKeyRow(Base):
    """A signing key: public JWK in clear, private JWK encrypted (AES-GCM, AAD = kid).

    ``purpose`` names its key ring: "access" (access tokens) or "id_token" (ID and logout
    tokens)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(128), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_jwk_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    activated_at: Mapped[float | None] = mapped_column(Double)
    retired_at: Mapped[float | None] = mapped_column(Double)
    expires_at: Mapped[float | None] = mapped_column(Double)
    purpose: Mapped[str] = mapped_column(String(16), default="access", server_default="access")


class ClientRow(Base):
    """An OAuth client; ``secret_hash`` is SHA-256 of a confidential client's random secret
    (empty for a public client, which has none)."""

    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Double)
    type: Mapped[str] = mapped_column(String(16))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    audiences: Mapped[list[str]] = mapped_column(JSON)
    first_party: Mapped[bool] = mapped_column(Boolean)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2048))
    id_token_signed_response_alg: Mapped[str | None] = mapped_column(String(16))
    dpop_bound_access_tokens: Mapped[bool] = mapped_column(Boolean)
    disabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[float] = mapped_column(Double)


class AuthorizationCodeRow(Base):
    """An authorization code (RFC 6749 4.1.2) by its SHA-256 hash, with everything it is bound
    to. ``used_at`` is set exactly once (a conditional UPDATE); ``sid`` names the session its
    redemption started, which a replay revokes."""

    __tablename__ = "authorization_codes"
    __table_args__ = (Index("ix_authorization_codes_expires_at", "expires_at"),)

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str | None] = mapped_column(String(2048))
    code_challenge: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(1024))
    resources: Mapped[list[str]] = mapped_column(JSON)
    nonce: Mapped[str | None] = mapped_column(String(512))
    # dpop_jkt of the authorization request (RFC 9449 10): the code is redeemed only with a
    # DPoP proof signed by that key.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    auth_time: Mapped[float] = mapped_column(Double)
    sso_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double)
    sid: Mapped[str | None] = mapped_column(String(64))


class ConsentRow(Base):
    """The scopes a user has allowed a client (the union of every consent given)."""

    __tablename__ = "consents"
    __table_args__ = (PrimaryKeyConstraint("user_id", "client_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class AuditEventRow(Base):
    """One audit event. No foreign key: events outlive the users they mention."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_type", "type"),
        Index("ix_audit_events_user_id", "user_id"),
        Index("ix_audit_events_at", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Double)
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class AccountTokenRow(Base):
    """A one-time token mailed to a user (password reset, address verification, invitation,
    email change): the link token as SHA-256, the short code as an HMAC under a key derived
    from the master key. ``used_at`` is set exactly once, by a conditional UPDATE."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
        Index("ix_account_tokens_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class MailOutboxRow(Base):
    """A mail to send, written in the transaction of the request that caused it; delivered
    by the outbox worker. Holds no secret: a token mail's token is made when it is sent."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        Index("ix_mail_outbox_ip", "ip", "created_at"),
        Index("ix_mail_outbox_user", "user_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(36))
    login: Mapped[str | None] = mapped_column(String(320))
    recipient: Mapped[str | None] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    claimed_until: Mapped[float | None] = mapped_column(Double)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[float | None] = mapped_column(Double)
    last_error: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class MfaFactorRow(Base):
    """A second factor: a TOTP secret (AES-GCM ciphertext, AAD = the factor id) or a passkey
    (credential id and COSE public key, base64url). ``last_step`` is the TOTP time step last
    accepted (a code is good once); ``sign_count`` the passkey's last signature counter."""

    __tablename__ = "mfa_factors"
    __table_args__ = (Index("ix_mfa_factors_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    secret_enc: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[str | None] = mapped_column(String(1400), unique=True)
    public_key: Mapped[str | None] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Double)
    confirmed_at: Mapped[float | None] = mapped_column(Double)
    last_used_at: Mapped[float | None] = mapped_column(Double)


class RecoveryCodeRow(Base):
    """A recovery code as an HMAC under a key derived from the master key; used once."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double)


class MfaChallengeRow(Base):
    """A short-lived, single-use sign-in step (an ``mfa_token``, a WebAuthn challenge), by
    the SHA-256 of its random handle. ``detail`` holds what the next step needs, no secret."""

    __tablename__ = "mfa_challenges"
    __table_args__ = (Index("ix_mfa_challenges_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ThrottleAttemptRow(Base):
    """One counted login attempt (a failure, or one reserved and not yet given back) under a
    throttle counter. ``name`` is a SHA-256 of the counter's name (no username or address in
    clear); ``token`` tells one reservation from another at the same instant."""

    __tablename__ = "throttle_attempts"
    __table_args__ = (Index("ix_throttle_attempts_name_at", "name", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40))
    at: Mapped[float] = mapped_column(Double)
    token: Mapped[str] = mapped_column(String(32))


class LogoutDeliveryRow(Base):
    """A back-channel logout notice (OpenID Connect Back-Channel Logout 1.0) to deliver.

    Persisted before it is sent, so a restart does not lose it. The logout token itself is
    signed at each attempt from these claims (``jti`` stays the same): no token at rest.
    ``done_at`` is set when it was delivered or given up (``outcome`` says which).
    """

    __tablename__ = "logout_deliveries"
    __table_args__ = (
        Index("ix_logout_deliveries_due", "done_at", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(String(2048))
    sub: Mapped[str] = mapped_column(String(36))
    sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    done_at: Mapped[float | None] = mapped_column(Double)
    outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(256))
