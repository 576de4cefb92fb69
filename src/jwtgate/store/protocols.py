"""The storage seams the auth layer depends on: repositories and a unit of work.

The SQL implementations live beside this module; a test or another backend may provide its
own. Every repository method runs inside the unit of work that handed it out, and nothing is
committed until that unit of work ends without an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from ..jose.errors import JWTGateError
from .records import (
    ClientRecord,
    CodeRecord,
    ConsentRecord,
    EventRecord,
    KeyRecord,
    LogoutDelivery,
    RefreshLookup,
    Revocation,
    SessionRecord,
    UserRecord,
)

__all__ = [
    "AuditRepository",
    "ClientRepository",
    "CodeRepository",
    "ConsentRepository",
    "DuplicateError",
    "KeyRepository",
    "LogoutRepository",
    "RevocationRepository",
    "SessionRepository",
    "Store",
    "StoreError",
    "UnitOfWork",
    "UserRepository",
]


class StoreError(JWTGateError):
    """A storage problem the caller can act on."""


class DuplicateError(StoreError):
    """A unique value (a username) is already taken."""


class UserRepository(Protocol):
    """Users; usernames compared case-insensitively."""

    def get(self, user_id: str, *, for_update: bool = False) -> UserRecord | None: ...
    def by_username(self, username: str) -> UserRecord | None: ...
    def add(self, user: UserRecord) -> None:
        """Raises DuplicateError when the username is taken."""
        ...

    def update(
        self,
        user_id: str,
        *,
        now: float,
        password_hash: str | None = None,
        roles: Sequence[str] | None = None,
        disabled: bool | None = None,
        not_before: float | None = None,
    ) -> bool: ...
    def delete(self, user_id: str) -> bool: ...
    def page(self, after: str | None, limit: int, q: str | None) -> list[UserRecord]: ...
    def count(self) -> int: ...


class SessionRepository(Protocol):
    """Sessions and their refresh tokens (by hash)."""

    def add(self, session: SessionRecord) -> None: ...
    def get(self, sid: str) -> SessionRecord | None: ...
    def for_user(self, user_id: str) -> list[SessionRecord]: ...
    def started_from(self, sso_sid: str) -> list[SessionRecord]: ...
    def touch(
        self, sid: str, *, now: float, expires_at: float, ip: str | None, user_agent: str | None
    ) -> bool: ...
    def revoke(self, sid: str, *, now: float, reason: str) -> bool: ...
    def revoke_for_user(
        self, user_id: str, *, now: float, reason: str, keep: str | None = None
    ) -> list[SessionRecord]: ...
    def by_sso_hash(self, sso_hash: str) -> tuple[SessionRecord, UserRecord] | None: ...
    def set_sso_hash(self, sid: str, sso_hash: str) -> None: ...
    def revoke_where(
        self,
        *,
        now: float,
        reason: str,
        client_id: str | None = None,
        user_id: str | None = None,
        sso_sid: str | None = None,
    ) -> list[SessionRecord]: ...
    def add_refresh(self, token_hash: str, sid: str, *, now: float, expires_at: float) -> None: ...
    def find_refresh(self, token_hash: str) -> RefreshLookup | None: ...
    def mark_used(self, token_id: int, *, now: float) -> bool:
        """The rotation: one conditional UPDATE; True for exactly one caller per token."""
        ...

    def prune(self, *, before: float, limit: int | None = None) -> int: ...
    def prune_refresh(self, *, before: float, limit: int | None = None) -> int: ...


class RevocationRepository(Protocol):
    """The revocation log; ids only grow."""

    def add(
        self, kind: str, value: str, *, now: float, expires_at: float, not_before: float | None
    ) -> Revocation: ...
    def since(self, cursor: int, *, now: float, limit: int) -> list[Revocation]: ...
    def recent(self, upto: int, *, now: float, created_from: float) -> list[Revocation]: ...
    def last_id(self) -> int: ...
    def prune(self, *, now: float, limit: int | None = None) -> int: ...


class KeyRepository(Protocol):
    """Signing keys."""

    def all(self) -> list[KeyRecord]: ...
    def add(self, key: KeyRecord) -> None: ...
    def retire(self, kid: str, *, now: float, expires_at: float) -> None: ...
    def lock(self) -> None:
        """Serialise key changes between processes until the unit of work ends."""
        ...

    def prune(self, *, now: float) -> int: ...


class ClientRepository(Protocol):
    """OAuth clients."""

    def add(self, client: ClientRecord) -> None: ...
    def get(self, client_id: str, *, for_update: bool = False) -> ClientRecord | None: ...
    def all(self) -> list[ClientRecord]: ...
    def replace(self, client: ClientRecord) -> bool: ...
    def delete(self, client_id: str) -> bool: ...


class CodeRepository(Protocol):
    """Authorization codes, by hash."""

    def add(self, code: CodeRecord) -> None: ...
    def get(self, code_hash: str) -> CodeRecord | None: ...
    def mark_used(self, code_hash: str, *, now: float) -> bool:
        """The redemption: one conditional UPDATE; True for exactly one caller per code."""
        ...

    def set_session(self, code_hash: str, sid: str) -> None: ...
    def delete_for_client(self, client_id: str) -> int: ...
    def prune(self, *, before: float, limit: int | None = None) -> int: ...


class ConsentRepository(Protocol):
    """What each user allowed each client."""

    def get(self, user_id: str, client_id: str) -> ConsentRecord | None: ...
    def put(self, consent: ConsentRecord) -> None: ...
    def for_user(self, user_id: str) -> list[ConsentRecord]: ...
    def delete(self, user_id: str, client_id: str) -> bool: ...
    def delete_for_client(self, client_id: str) -> int: ...


class LogoutRepository(Protocol):
    """The back-channel logout queue (persisted, so a restart loses no notice)."""

    def add(self, delivery: LogoutDelivery) -> None: ...
    def due(self, *, now: float, limit: int) -> list[LogoutDelivery]: ...
    def claim(self, delivery_id: int, *, seen_at: float, until: float) -> bool:
        """Lease a due delivery to this caller until ``until``; True for exactly one caller."""
        ...

    def finish(
        self,
        delivery_id: int,
        *,
        attempts: int,
        next_attempt_at: float,
        done_at: float | None,
        outcome: str | None,
        error: str | None,
    ) -> None: ...
    def for_client(self, client_id: str, limit: int) -> list[LogoutDelivery]: ...
    def prune(self, *, before: float, limit: int | None = None) -> int: ...


class AuditRepository(Protocol):
    """The audit log, newest first."""

    def add(self, event: EventRecord) -> None: ...
    def page(
        self, before: int | None, limit: int, type: str | None, user: str | None
    ) -> list[EventRecord]: ...
    def prune(self, *, before: float, limit: int | None = None) -> int: ...


class UnitOfWork(Protocol):
    """One transaction and the repositories bound to it."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def revocations(self) -> RevocationRepository: ...
    @property
    def keys(self) -> KeyRepository: ...
    @property
    def clients(self) -> ClientRepository: ...
    @property
    def codes(self) -> CodeRepository: ...
    @property
    def consents(self) -> ConsentRepository: ...
    @property
    def events(self) -> AuditRepository: ...
    @property
    def logouts(self) -> LogoutRepository: ...


class Store(Protocol):
    """Hands out units of work; ``write()`` commits when its block ends without error."""

    def write(self) -> AbstractContextManager[UnitOfWork]: ...
    def read(self) -> AbstractContextManager[UnitOfWork]: ...
    def dispose(self) -> None: ...
