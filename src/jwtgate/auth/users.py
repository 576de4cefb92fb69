"""User accounts: registration, administration, password changes.

Passwords are hashed before the write transaction opens (argon2 is slow on purpose, and a
SQLite write transaction holds the database's write lock). Disabling a user, changing its
roles, setting its password and deleting it revoke every session and every token already
issued to it; a user's own password change keeps only the session it was made from.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from ..store.protocols import DuplicateError
from ..store.records import UserRecord
from .context import AuthContext, Pending, new_user_id
from .convert import to_user
from .credentials import check_credentials
from .errors import Conflict, InvalidRequest, NotFound
from .sessions import Sessions
from .validation import check_email, check_limit, check_roles, check_username, parse_user_cursor
from .values import Page, User

__all__ = ["Users"]

ADMIN_USERNAME = "admin"


class Users:
    """User use cases."""

    def __init__(self, ctx: AuthContext, sessions: Sessions) -> None:
        self._ctx = ctx
        self._sessions = sessions

    def create(
        self,
        username: str,
        password: str,
        *,
        roles: Sequence[str] = (),
        email: str | None = None,
        actor: Mapping[str, Any] | None = None,
        event: str = "user_created",
    ) -> User:
        """Create a user. Raises InvalidRequest, WeakPassword, Conflict."""
        ctx = self._ctx
        username = check_username(username)
        email = check_email(email)
        role_names = check_roles(roles)
        if not isinstance(password, str):
            raise InvalidRequest("the password must be a string")
        ctx.policy.check(password, user_inputs=(username, email))
        password_hash = ctx.hasher.hash(password)
        now = ctx.clock()
        record = UserRecord(
            id=new_user_id(now),
            username=username,
            email=email,
            password_hash=password_hash,
            roles=role_names,
            disabled=False,
            created_at=now,
            updated_at=now,
        )
        try:
            with ctx.store.write() as uow:
                if uow.users.by_username(username) is not None:
                    raise DuplicateError("taken")
                uow.users.add(record)
                ctx.audit(uow, event, user=record, actor=actor, roles=list(role_names))
        except DuplicateError:
            raise Conflict("the username is taken") from None
        return to_user(record)

    def bootstrap_admin(self, password: str | None) -> tuple[User, str | None] | None:
        """Create ``admin`` on an empty database; see AuthService.bootstrap_admin."""
        with self._ctx.store.read() as uow:
            if uow.users.count() > 0:
                return None
        generated = None if password else secrets.token_urlsafe(18)
        try:
            user = self.create(
                ADMIN_USERNAME,
                password or generated or "",
                roles=("admin",),
                event="admin_bootstrap",
            )
        except Conflict:
            return None  # another process bootstrapped at the same moment
        return user, generated

    def get(self, user_id: str) -> User:
        """One user by id. Raises NotFound."""
        return to_user(self._record(user_id))

    def _record(self, user_id: object) -> UserRecord:
        if not isinstance(user_id, str) or len(user_id) > 64:
            raise NotFound("no such user")
        with self._ctx.store.read() as uow:
            record = uow.users.get(user_id)
        if record is None:
            raise NotFound("no such user")
        return record

    def find(self, username: str) -> User:
        """One user by username, any case. Raises NotFound."""
        record = None
        if isinstance(username, str) and 0 < len(username) <= 64:
            with self._ctx.store.read() as uow:
                record = uow.users.by_username(username)
        if record is None:
            raise NotFound("no such user")
        return to_user(record)

    def page(self, cursor: str | None, limit: int, q: str | None) -> Page[User]:
        """A page of users in creation order. Raises InvalidRequest."""
        after = parse_user_cursor(cursor)
        limit = check_limit(limit)
        if q is not None and (not isinstance(q, str) or len(q) > 254):
            raise InvalidRequest("the search text is not valid")
        with self._ctx.store.read() as uow:
            rows = uow.users.page(after, limit + 1, q or None)
        items = tuple(to_user(r) for r in rows[:limit])
        return Page(items, items[-1].id if len(rows) > limit else None)

    def update(
        self,
        user_id: str,
        *,
        roles: Sequence[str] | None,
        disabled: bool | None,
        password: str | None,
        actor: Mapping[str, Any] | None,
    ) -> User:
        """Change roles / disabled / password; any change revokes every session of the user.
        Raises NotFound, InvalidRequest, WeakPassword."""
        ctx = self._ctx
        current = self._record(user_id)
        role_names = None if roles is None else check_roles(roles)
        if disabled is not None and type(disabled) is not bool:
            raise InvalidRequest("disabled must be true or false")
        new_hash = None
        if password is not None:
            if not isinstance(password, str):
                raise InvalidRequest("the password must be a string")
            ctx.policy.check(password, user_inputs=(current.username, current.email))
            new_hash = ctx.hasher.hash(password)
        changes: dict[str, Any] = {}
        if role_names is not None and role_names != current.roles:
            changes["roles"] = list(role_names)
        if disabled is not None and disabled != current.disabled:
            changes["disabled"] = disabled
        if new_hash is not None:
            changes["password"] = True
        pending = Pending()
        with ctx.store.write() as uow:
            found = uow.users.update(
                current.id,
                now=ctx.clock(),
                password_hash=new_hash,
                roles=role_names,
                disabled=disabled,
            )
            if not found:
                raise NotFound("no such user")
            # Tokens carry roles: after a role change, disabling or a new password, every
            # token issued before must stop working (an enabled user simply logs in again).
            if changes.get("disabled") is True or "roles" in changes or new_hash is not None:
                ctx.revoke_user_sessions(uow, current.id, "user_updated", pending)
            ctx.audit(uow, "user_updated", user=current, actor=actor, **changes)
            record = uow.users.get(current.id)
        ctx.publish(pending)
        if record is None:
            raise NotFound("no such user")
        return to_user(record)

    def delete(self, user_id: str, *, actor: Mapping[str, Any] | None) -> None:
        """Delete a user; its sessions go with it and its tokens are revoked. Raises NotFound."""
        ctx = self._ctx
        current = self._record(user_id)
        pending = Pending()
        with ctx.store.write() as uow:
            ctx.revoke_user_sessions(uow, current.id, "user_deleted", pending)
            if not uow.users.delete(current.id):
                raise NotFound("no such user")
            ctx.audit(uow, "user_deleted", user=current, actor=actor)
        ctx.publish(pending)

    def change_password(
        self, claims: Mapping[str, Any], current_password: str, new_password: str
    ) -> None:
        """The caller's own password change; the caller's session survives, others do not.
        Raises InvalidGrant, Throttled, WeakPassword, NotFound."""
        ctx = self._ctx
        record = self._record(claims.get("sub"))
        check_credentials(ctx, record.username, current_password, ip=None, purpose="password")
        if not isinstance(new_password, str):
            raise InvalidRequest("the new password must be a string")
        ctx.policy.check(new_password, user_inputs=(record.username, record.email))
        new_hash = ctx.hasher.hash(new_password)
        sid = claims.get("sid")
        pending = Pending()
        with ctx.store.write() as uow:
            if not uow.users.update(record.id, now=ctx.clock(), password_hash=new_hash):
                raise NotFound("no such user")
            keep = sid if isinstance(sid, str) else None
            count = ctx.revoke_user_sessions(uow, record.id, "password_changed", pending, keep=keep)
            ctx.audit(uow, "password_changed", user=record, sessions_revoked=count)
        ctx.publish(pending)
