"""Checking a username and password: throttle, one argon2 verification, one answer.

Unknown user, wrong password and disabled account run the same steps (a user lookup, exactly
one argon2 verification, a failure count, an audit event) and raise the same InvalidGrant.
A password longer than the policy allows is verified against the dummy hash like an unknown
user, so it costs the same and cannot be used to make argon2 hash megabytes.
"""

from __future__ import annotations

from ..store.records import UserRecord
from .context import AuthContext
from .errors import InvalidGrant, Throttled

__all__ = ["check_credentials"]


def check_credentials(
    ctx: AuthContext,
    username: str,
    password: str,
    *,
    ip: str | None,
    purpose: str = "login",
) -> UserRecord:
    """The user whose credentials these are. Raises Throttled or InvalidGrant.

    On success the throttle forgets the username's failures, and a hash made with old argon2
    parameters is replaced. Each outcome is audited ("login_failure" with a reason only the
    audit log sees; ``purpose`` tells a login from a password check).
    """
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidGrant()
    username = username[:256]
    # Reserve the attempt before the slow hash: the limit check and the failure count are one
    # atomic step, so concurrent attempts cannot all pass the check before any is counted.
    reservation = ctx.throttle.reserve(username, ip)
    if not reservation.allowed:
        raise Throttled(reservation.retry_after)
    user: UserRecord | None = None
    if 0 < len(username) <= 64:
        with ctx.store.read() as uow:
            user = uow.users.by_username(username)
    usable = len(password) <= ctx.settings.password_max_length
    candidate = user.password_hash if (user is not None and usable) else None
    ok = ctx.hasher.verify(candidate, password)
    if ok and user is not None and not user.disabled:
        ctx.throttle.succeeded(reservation)
        if ctx.hasher.needs_rehash(user.password_hash):
            _rehash(ctx, user, password)
        return user
    reason = "unknown_user" if user is None else ("disabled" if ok else "wrong_password")
    # The failure was counted when the attempt was reserved.
    with ctx.store.write() as uow:
        ctx.audit(
            uow,
            f"{purpose}_failure",
            user=user,
            typed=None if user else username,
            ip=ip,
            reason=reason,
        )
    raise InvalidGrant()


def _rehash(ctx: AuthContext, user: UserRecord, password: str) -> None:
    """Store a new hash with the current argon2 parameters (the password is known good)."""
    new_hash = ctx.hasher.hash(password)
    with ctx.store.write() as uow:
        uow.users.update(user.id, now=ctx.clock(), password_hash=new_hash)
        ctx.audit(uow, "password_rehashed", user=user)
