"""What every part of the auth service shares: collaborators, the clock, and the few steps that
several use cases take alike (auditing, revoking sessions, publishing revocations).

Revocations are written in the use case's transaction and applied to the in-memory state only
after it commits, through ``Pending``: a rolled-back revocation never takes effect in memory.
Then, when an ``Announcer`` is configured (Redis), they are announced to the other instances.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Settings
from ..store.protocols import Store, UnitOfWork
from ..store.records import EventRecord, Revocation, SessionRecord, UserRecord
from .keyring import KeyRing
from .oidc.backchannel import BackchannelLogout
from .oidc.id_tokens import IdTokens
from .passwords import PasswordHasher
from .policy import PasswordPolicy
from .pseudonyms import Pseudonyms
from .revocation import RevocationState
from .rotation import Rotation
from .throttle import Throttle
from .tokens import AccessTokens

if TYPE_CHECKING:
    from .accounts.outbox import MailSetup

__all__ = ["Announcer", "AuthContext", "Pending", "actor_name", "new_user_id"]


class Announcer(Protocol):
    """Tells the other instances of a deployment what changed here (Redis pub/sub).

    Its methods never raise: the other instances' database poll is the fallback.
    """

    def revoked(self, events: Sequence[Revocation]) -> None: ...
    def keys_changed(self) -> None: ...
    def close(self) -> None: ...


def new_user_id(now: float) -> str:
    """A UUIDv7 (RFC 9562 5.7): random, and sorted by creation time, so ids page in order."""
    ms = int(now * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 64) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def actor_name(actor: Mapping[str, Any] | None) -> str | None:
    """Who did an admin action, for the audit log: a username, a client id, or None (CLI)."""
    if actor is None:
        return None
    for claim in ("preferred_username", "client_id", "sub"):
        value = actor.get(claim)
        if isinstance(value, str):
            return value[:64]
    return None


@dataclass
class Pending:
    """Revocations written in the current transaction, to apply once it has committed, and
    how many back-channel logout notices it queued (the worker is woken after the commit)."""

    events: list[Revocation] = field(default_factory=list)
    logouts: int = 0


@dataclass
class AuthContext:
    """The collaborators of the auth service, and shared steps."""

    settings: Settings
    store: Store
    clock: Callable[[], float]
    hasher: PasswordHasher
    policy: PasswordPolicy
    throttle: Throttle
    keyring: KeyRing
    revocations: RevocationState
    tokens: AccessTokens
    pseudonyms: Pseudonyms
    rotation: Rotation
    id_keyring: KeyRing  # ID and logout tokens (OpenID Connect Core 15.1)
    id_tokens: IdTokens
    backchannel: BackchannelLogout
    announcer: Announcer | None = None
    mail: MailSetup | None = None

    @property
    def revocation_ttl(self) -> float:
        """How long a session or user revocation matters: until the last access token it
        could reject has expired everywhere."""
        return self.settings.access_ttl + self.settings.leeway

    def audit(
        self,
        uow: UnitOfWork,
        type: str,
        *,
        user: UserRecord | None = None,
        user_id: str | None = None,
        username: str | None = None,
        actor: Mapping[str, Any] | None = None,
        ip: str | None = None,
        typed: str | None = None,
        **detail: Any,
    ) -> None:
        """Append an audit event in the current transaction. Never pass a secret in detail.

        ``typed`` is a name someone typed that matches no account: it may be a password typed
        into the username box, so only its keyed hash is recorded (see :mod:`.pseudonyms`).
        """
        if user is not None:
            name: str | None = user.username
        elif typed is not None:
            name = self.pseudonyms.of(typed)
        else:
            name = username
        uow.events.add(
            EventRecord(
                type=type,
                at=self.clock(),
                user_id=user.id if user is not None else user_id,
                # A name given here may hold NUL, which PostgreSQL text cannot store.
                username=_printable(name),
                actor=actor_name(actor),
                ip=ip[:64] if ip else None,
                detail=detail,
            )
        )

    def revoke_sessions(
        self, uow: UnitOfWork, sessions: Iterable[SessionRecord], pending: Pending
    ) -> None:
        """Record "sid" revocations for sessions just marked revoked, and queue a back-channel
        logout notice for each app session whose client asked for them (OpenID Connect
        Back-Channel Logout 1.0): every way a session ends goes through here."""
        now = self.clock()
        sessions = list(sessions)
        sessions += self._ended_with_sign_in(uow, sessions, now)
        pending.logouts += self.backchannel.queue_for_sessions(uow, sessions)
        for session in sessions:
            pending.events.append(
                uow.revocations.add(
                    "sid",
                    session.sid,
                    now=now,
                    expires_at=now + self.revocation_ttl,
                    not_before=None,
                )
            )

    @staticmethod
    def _ended_with_sign_in(
        uow: UnitOfWork, sessions: Sequence[SessionRecord], now: float
    ) -> list[SessionRecord]:
        """Single sign-out: a browser sign-in session that ends takes with it the app sessions
        started from it, except those granted ``offline_access`` (they outlive the sign-in
        by design, OIDC Core 11). Returns the app sessions just revoked."""
        ended: list[SessionRecord] = []
        for session in sessions:
            if session.sso_hash is None:
                continue
            for child in uow.sessions.started_from(session.sid):
                if "offline_access" in child.scope.split():
                    continue
                if uow.sessions.revoke(child.sid, now=now, reason="signed_out"):
                    ended.append(child)
        return ended

    def revoke_user_sessions(
        self,
        uow: UnitOfWork,
        user_id: str,
        reason: str,
        pending: Pending,
        *,
        keep: str | None = None,
    ) -> int:
        """Revoke every live session of a user but ``keep``; with no ``keep``, also every token
        issued to the user before this second (the per-user not-before). Returns the count."""
        now = self.clock()
        revoked = uow.sessions.revoke_for_user(user_id, now=now, reason=reason, keep=keep)
        self.revoke_sessions(uow, revoked, pending)
        if keep is None:
            uow.users.update(user_id, now=now, not_before=now)
            pending.events.append(
                uow.revocations.add(
                    "user",
                    user_id,
                    now=now,
                    expires_at=now + self.revocation_ttl,
                    not_before=float(math.floor(now)),
                )
            )
        return len(revoked)

    def revoke_jti(self, uow: UnitOfWork, jti: str, exp: float, pending: Pending) -> None:
        """Record a "jti" revocation of one access token that expires at ``exp``."""
        pending.events.append(
            uow.revocations.add(
                "jti",
                jti,
                now=self.clock(),
                expires_at=exp + self.settings.leeway,
                not_before=None,
            )
        )

    def publish(self, pending: Pending) -> None:
        """Apply committed revocations to this process's in-memory state, then announce them
        to the other instances (when an announcer is configured)."""
        if pending.logouts:
            pending.logouts = 0
            self.backchannel.notify()
        if pending.events:
            events = list(pending.events)
            pending.events.clear()
            self.revocations.apply_all(events)
            if self.announcer is not None:
                self.announcer.revoked(events)

    def announce_keys(self) -> None:
        """Tell the other instances that the key ring changed (when an announcer is set)."""
        if self.announcer is not None:
            self.announcer.keys_changed()


def _printable(text: str | None) -> str | None:
    """``text`` with NUL characters shown as U+FFFD, for the audit log."""
    return None if text is None else text.replace("\x00", "\ufffd")
