"""From store records to the public value objects (which never carry a hash or a secret)."""

from __future__ import annotations

from ..store.records import ClientRecord, EventRecord, KeyRecord, SessionRecord, UserRecord
from .values import Client, Event, KeyInfo, Session, User, utc

__all__ = ["to_client", "to_event", "to_key_info", "to_session", "to_user"]


def to_user(record: UserRecord) -> User:
    """The public value object of a user record (no hash)."""
    return User(
        id=record.id,
        username=record.username,
        email=record.email,
        roles=record.roles,
        disabled=record.disabled,
        created_at=utc(record.created_at),
        email_verified=record.email_verified,
    )


def to_client(record: ClientRecord) -> Client:
    """The public value object of a client record (no secret hash)."""
    return Client(
        client_id=record.client_id,
        name=record.name,
        scopes=record.scopes,
        created_at=utc(record.created_at),
        type=record.type,
        redirect_uris=record.redirect_uris,
        post_logout_redirect_uris=record.post_logout_redirect_uris,
        grant_types=record.grant_types,
        audiences=record.audiences,
        first_party=record.first_party,
        token_endpoint_auth_method=record.token_endpoint_auth_method,
        backchannel_logout_uri=record.backchannel_logout_uri,
        id_token_signed_response_alg=record.id_token_signed_response_alg,
        dpop_bound_access_tokens=record.dpop_bound_access_tokens,
        disabled=record.disabled,
    )


def to_session(record: SessionRecord) -> Session:
    """The public value object of a session record."""
    return Session(
        sid=record.sid,
        user_id=record.user_id,
        client_id=record.client_id,
        created_at=utc(record.created_at),
        last_used_at=utc(record.last_used_at),
        expires_at=utc(record.expires_at),
        absolute_expires_at=utc(record.absolute_expires_at),
        revoked_at=None if record.revoked_at is None else utc(record.revoked_at),
        revoked_reason=record.revoked_reason,
        user_agent=record.user_agent,
        ip=record.ip,
        scope=record.scope,
        audiences=tuple(record.audiences.split()),
        auth_time=None if record.auth_time is None else utc(record.auth_time),
        browser=record.sso_hash is not None,
        sso_sid=record.sso_sid,
    )


def to_key_info(record: KeyRecord, now: float) -> KeyInfo:
    """The public facts of a signing key; status from its retirement and expiry."""
    if record.retired_at is None:
        status = "active"
    elif record.expires_at is not None and record.expires_at <= now:
        status = "expired"
    else:
        status = "retired"
    return KeyInfo(
        kid=record.kid,
        alg=record.alg,
        status=status,
        created_at=utc(record.created_at),
        activated_at=None if record.activated_at is None else utc(record.activated_at),
        retired_at=None if record.retired_at is None else utc(record.retired_at),
        expires_at=None if record.expires_at is None else utc(record.expires_at),
        use=record.purpose,
        public_jwk=record.public_jwk,
    )


def to_event(record: EventRecord) -> Event:
    """The public value object of an audit event."""
    return Event(
        id=record.id,
        type=record.type,
        at=utc(record.at),
        user_id=record.user_id,
        username=record.username,
        actor=record.actor,
        ip=record.ip,
        detail=record.detail,
    )
