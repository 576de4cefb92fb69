"""A user's second factors: TOTP enrolment, recovery codes, listing, removal, admin reset,
and the check that a factor change is made by a recent, strong enough sign-in.

Changing factors needs a token whose sign-in is at most ``JWTGATE_REAUTH_MAX_AGE`` seconds
old and, once the user has a factor, at least ``acr`` ``mfa``: a stolen password-only token,
or an old one, cannot replace the victim's authenticator (RFC 9470 challenge otherwise).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ...store.protocols import UnitOfWork
from ...store.records import MfaFactor, UserRecord
from ..assurance import require_authentication
from ..context import AuthContext, Pending
from ..errors import (
    Conflict,
    InvalidGrant,
    NotFound,
    Throttled,
)
from .factor_keys import FactorKeys
from .mfa_totp import matching_step, new_secret, normalize_totp, otpauth_uri, qr_svg
from .outbox import Outbox
from .recovery import new_recovery_codes, normalize_recovery_code

__all__ = ["FactorAttempt", "Factors", "TotpEnrolment"]

TOTP = "totp"
WEBAUTHN = "webauthn"


@dataclass(frozen=True)
class TotpEnrolment:
    """What ``POST /auth/mfa/totp`` answers; the secret stays out of the repr."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


class Factors:
    """Second factors of users, on top of the store."""

    def __init__(self, ctx: AuthContext, keys: FactorKeys, outbox: Outbox) -> None:
        self._ctx = ctx
        self._keys = keys
        self._outbox = outbox

    # -- policy -------------------------------------------------------------------------------

    def must_enrol(self, user: UserRecord) -> bool:
        """Whether the user's roles need a second factor (``JWTGATE_MFA_REQUIRED_ROLES``)."""
        required = set(self._ctx.settings.mfa_required_roles)
        return bool(required.intersection(user.roles))

    def methods(self, user_id: str) -> list[str]:
        """The second-step methods the user can use now: ``totp``, ``webauthn``,
        ``recovery_code`` (only beside another factor, only while one is left)."""
        with self._ctx.store.read() as uow:
            factors = [f for f in uow.mfa.factors(user_id) if f.confirmed_at is not None]
            left = uow.mfa.codes_left(user_id) if factors else 0
        out = [kind for kind in (TOTP, WEBAUTHN) if any(f.kind == kind for f in factors)]
        if left:
            out.append("recovery_code")
        return out

    def require_recent(self, claims: Mapping[str, Any], *, user_id: str) -> None:
        """Refuse a factor change by a sign-in older than ``reauth_max_age`` or, once the user
        has a factor, weaker than ``mfa``. Raises InsufficientUserAuthentication."""
        acr = "mfa" if self.methods(user_id) else None
        max_age = self._ctx.settings.reauth_max_age
        require_authentication(claims, acr=acr, max_age=max_age, now=self._ctx.clock())

    # -- listing ------------------------------------------------------------------------------

    def describe(self, user: UserRecord) -> dict[str, Any]:
        """What ``GET /auth/mfa`` answers (never a secret)."""
        with self._ctx.store.read() as uow:
            factors = [f for f in uow.mfa.factors(user.id) if f.confirmed_at is not None]
            left = uow.mfa.codes_left(user.id)
        totp = next((f for f in factors if f.kind == TOTP), None)
        return {
            "totp": None if totp is None else _public(totp),
            "webauthn": [_public(f) for f in factors if f.kind == WEBAUTHN],
            "recovery_codes_left": left,
            "required": self.must_enrol(user),
        }

    # -- TOTP ---------------------------------------------------------------------------------

    def totp_start(self, user: UserRecord) -> TotpEnrolment:
        """A new, unconfirmed TOTP secret (replacing an unconfirmed one). Raises Conflict
        when a confirmed TOTP exists (delete it first)."""
        ctx = self._ctx
        secret = new_secret()
        factor_id = secrets.token_urlsafe(18)
        now = ctx.clock()
        with ctx.store.write() as uow:
            current = [f for f in uow.mfa.factors(user.id) if f.kind == TOTP]
            if any(f.confirmed_at is not None for f in current):
                raise Conflict("an authenticator app is already set up: remove it first")
            uow.mfa.delete_factors(user.id, [TOTP])
            uow.mfa.add_factor(
                MfaFactor(
                    id=factor_id,
                    user_id=user.id,
                    kind=TOTP,
                    name="Authenticator app",
                    created_at=now,
                    secret_enc=self._keys.seal(secret, factor_id=factor_id),
                )
            )
        uri = otpauth_uri(secret, account=user.username, issuer=ctx.settings.product_name)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))

    def totp_confirm(self, user: UserRecord, code: object, *, ip: str | None) -> list[str]:
        """Confirm the pending TOTP with a first code; returns fresh recovery codes (shown
        once). Raises NotFound (nothing pending), InvalidGrant (wrong code), Throttled."""
        ctx = self._ctx
        with ctx.store.read() as uow:
            pending = next(
                (f for f in uow.mfa.factors(user.id) if f.kind == TOTP and f.confirmed_at is None),
                None,
            )
        if pending is None:
            raise NotFound("no authenticator app is being set up: POST /auth/mfa/totp first")
        guard = FactorAttempt(ctx, user, "totp", ip)
        step = self._step(pending, code)
        codes = new_recovery_codes()
        with ctx.store.write() as uow:
            if step is None or not uow.mfa.confirm(pending.id, now=ctx.clock(), step=step):
                step = None
            else:
                self._store_codes(uow, user.id, codes)
                ctx.audit(uow, "mfa_enrolled", user=user, ip=ip, method=TOTP)
        if step is None:
            guard.failed("wrong_code")
        guard.succeeded()
        return codes

    def totp_delete(self, user: UserRecord, *, actor: Mapping[str, Any] | None = None) -> None:
        """Remove the user's TOTP (and, with no factor left, the recovery codes)."""
        ctx = self._ctx
        with ctx.store.write() as uow:
            if not uow.mfa.delete_factors(user.id, [TOTP]):
                raise NotFound("no authenticator app is set up")
            if not any(f.confirmed_at is not None for f in uow.mfa.factors(user.id)):
                uow.mfa.delete_codes(user.id)
            ctx.audit(uow, "mfa_removed", user=user, actor=actor, method=TOTP)

    def check_totp(self, user: UserRecord, code: object) -> tuple[MfaFactor, int] | None:
        """The confirmed TOTP factor and the time step whose code this is, or None (no
        write: :meth:`use_totp` accepts the step)."""
        with self._ctx.store.read() as uow:
            factor = next(
                (
                    f
                    for f in uow.mfa.factors(user.id)
                    if f.kind == TOTP and f.confirmed_at is not None
                ),
                None,
            )
        if factor is None:
            return None
        step = self._step(factor, code)
        return None if step is None else (factor, step)

    def use_totp(self, uow: UnitOfWork, factor: MfaFactor, step: int) -> bool:
        """Accept the step :meth:`check_totp` found, once (a replay in that step is refused)."""
        return uow.mfa.use_step(factor.id, step, now=self._ctx.clock())

    def _step(self, factor: MfaFactor, code: object) -> int | None:
        digits = normalize_totp(code)
        if digits is None or factor.secret_enc is None:
            return None
        secret = self._keys.open(factor.secret_enc, factor_id=factor.id)
        return matching_step(secret, digits, self._ctx.clock())

    # -- recovery codes -----------------------------------------------------------------------

    def regenerate_codes(self, user: UserRecord, *, ip: str | None = None) -> list[str]:
        """Ten new recovery codes replacing the old ones. Raises NotFound without a factor
        (a code alone is no second factor)."""
        ctx = self._ctx
        codes = new_recovery_codes()
        with ctx.store.write() as uow:
            if not any(f.confirmed_at is not None for f in uow.mfa.factors(user.id)):
                raise NotFound("set up an authenticator app or a passkey first")
            self._store_codes(uow, user.id, codes)
            ctx.audit(uow, "recovery_codes_generated", user=user, ip=ip)
        return codes

    def use_recovery_code(self, uow: UnitOfWork, user: UserRecord, code: object) -> bool:
        """Use one of the user's codes in ``uow``: True once per code."""
        normalized = normalize_recovery_code(code)
        if normalized is None:
            return False
        code_hash = self._keys.code_hash(normalized, user_id=user.id)
        return uow.mfa.use_code(user.id, code_hash, now=self._ctx.clock())

    def recovery_code_used(self, uow: UnitOfWork, user: UserRecord, *, ip: str | None) -> None:
        """Audit the use of a recovery code and tell the user by mail (when there is an address)."""
        left = uow.mfa.codes_left(user.id)
        self._ctx.audit(uow, "recovery_code_used", user=user, ip=ip, codes_left=left)
        if user.email:
            self._outbox.queue(
                uow,
                "recovery_code_used",
                user_id=user.id,
                recipient=user.email,
                ip=ip,
                codes_left=left,
            )

    def _store_codes(self, uow: UnitOfWork, user_id: str, codes: list[str]) -> None:
        hashes = [
            self._keys.code_hash(normalize_recovery_code(c) or "", user_id=user_id) for c in codes
        ]
        uow.mfa.replace_codes(user_id, hashes, now=self._ctx.clock())

    # -- administration -----------------------------------------------------------------------

    def reset(self, user_id: str, *, actor: Mapping[str, Any] | None = None) -> int:
        """Remove every factor and recovery code of a user and revoke every session (audited
        "mfa_reset"). Returns how many factors went. Raises NotFound."""
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            user = uow.users.get(user_id, for_update=True)
            if user is None:
                raise NotFound("no such user")
            count = uow.mfa.delete_factors(user.id)
            uow.mfa.delete_codes(user.id)
            uow.mfa.delete_challenges(user.id)
            sessions = ctx.revoke_user_sessions(uow, user.id, "mfa_reset", pending)
            ctx.audit(
                uow, "mfa_reset", user=user, actor=actor, factors=count, sessions_revoked=sessions
            )
        ctx.publish(pending)
        return count


class FactorAttempt:
    """One factor attempt under the login throttle: per user (across mfa_tokens) and per
    address. The attempt is reserved before the code is checked, atomically with the check of
    the limits (as passwords are, :meth:`Throttle.reserve`), so a burst of guesses in parallel
    gets no more checks than the same guesses one after the other."""

    def __init__(self, ctx: AuthContext, user: UserRecord, method: str, ip: str | None) -> None:
        self._ctx, self._user, self._method, self._ip = ctx, user, method, ip
        self._reservation = ctx.throttle.reserve("mfa:" + user.id, ip)
        if not self._reservation.allowed:
            with ctx.store.write() as uow:
                ctx.audit(uow, "mfa_throttled", user=user, ip=ip, method=method)
            raise Throttled(self._reservation.retry_after)

    def failed(self, reason: str) -> NoReturn:
        """Audit a wrong factor (the reservation already counted it); raises InvalidGrant."""
        ctx = self._ctx
        with ctx.store.write() as uow:
            ctx.audit(
                uow, "mfa_failure", user=self._user, ip=self._ip, method=self._method, reason=reason
            )
        raise InvalidGrant("the code is wrong or was already used")

    def succeeded(self) -> None:
        """Forget the user's factor failures and give the address its attempt back."""
        self._ctx.throttle.succeeded(self._reservation)


def _public(factor: MfaFactor) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": factor.id,
        "name": factor.name,
        "created_at": int(factor.created_at),
        "last_used_at": None if factor.last_used_at is None else int(factor.last_used_at),
    }
    if factor.kind == WEBAUTHN:
        out["backed_up"] = bool(factor.detail.get("backed_up"))
    return out
