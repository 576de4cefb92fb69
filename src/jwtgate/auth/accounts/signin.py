"""The second step of a sign-in: after the password, an ``mfa_token`` and a factor.

A right password for a user with a factor opens no session: it gives an ``mfa_token`` (256
random bits, stored as SHA-256, single use, 5 minutes) naming the user and what the sign-in
asked for. ``POST /auth/login/mfa`` with it and a code opens the session with
``amr ["pwd", "otp", "mfa"]`` / ``acr mfa``. The token is consumed in the same transaction
that accepts the code's time step (or uses the recovery code), so a reused token, a replayed
code, or two racing requests give one session at most. A wrong code leaves the token usable;
factor failures are throttled per user (across tokens) and per address, like passwords.

A user whose role needs a factor (``JWTGATE_MFA_REQUIRED_ROLES``) and who has none gets an
``mfa_token`` for enrolment instead, good only to set up TOTP and then sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from ...store.records import MfaChallenge, UserRecord
from ..assurance import Authentication
from ..context import AuthContext
from ..errors import InvalidGrant, InvalidRequest, MfaEnrollmentRequired, MfaRequired
from ..sessions import Sessions
from ..values import TokenPair
from .mfa import FactorAttempt, Factors, TotpEnrolment
from .passkeys import Passkeys, b64url, credential_challenge, unb64url

__all__ = ["MFA_TOKEN_TTL", "SignInSteps"]

MFA_TOKEN_TTL = 300
LOGIN = "login"
ENROL = "enrol"
_DEAD = "invalid or expired mfa_token: sign in again"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class Enrolled:
    """The end of enrolment at sign-in: the recovery codes (shown once) and the tokens."""

    recovery_codes: list[str] = field(repr=False)
    tokens: TokenPair


class SignInSteps:
    """After the password: the factor step, or enrolment, or the session."""

    def __init__(
        self, ctx: AuthContext, sessions: Sessions, factors: Factors, passkeys: Passkeys
    ) -> None:
        self._ctx = ctx
        self._sessions = sessions
        self._factors = factors
        self._passkeys = passkeys

    def after_password(
        self,
        user: UserRecord,
        *,
        scope: str,
        client_id: str | None,
        ip: str | None,
        user_agent: str | None,
    ) -> TokenPair:
        """The session when no factor is needed; else raises MfaRequired (with the methods)
        or MfaEnrollmentRequired."""
        self.check_factors(user, scope=scope, client_id=client_id)
        return self._sessions.start(
            user, scope=scope, client_id=client_id, ip=ip, user_agent=user_agent
        )

    def check_factors(
        self, user: UserRecord, *, scope: str = "", client_id: str | None = None
    ) -> None:
        """Nothing when the password alone may open a session for ``user``; else raises
        MfaRequired (with an ``mfa_token`` and the methods) or MfaEnrollmentRequired."""
        methods = self._factors.methods(user.id)
        detail: dict[str, Any] = {
            "scope": scope,
            "client_id": client_id,
            "pwd_at": self._ctx.clock(),
        }
        if methods:
            options = None
            if "webauthn" in methods:
                # The assertion's challenge belongs to this sign-in: stored with the mfa_token
                # and consumed with it (a challenge is no secret).
                options, challenge = self._passkeys.assertion_options(user.id)
                detail["webauthn_challenge"] = b64url(challenge)
            raise MfaRequired(self._challenge(user, LOGIN, detail), methods, options)
        if self._factors.must_enrol(user):
            raise MfaEnrollmentRequired(self._challenge(user, ENROL, detail))

    def complete(
        self,
        mfa_token: object,
        method: object,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        sso_hash: str | None = None,
    ) -> TokenPair:
        """``POST /auth/login/mfa``: the token pair (a browser sign-in session with
        ``sso_hash``, see :mod:`jwtgate.auth.sso`). Raises InvalidGrant (dead token, wrong
        or replayed code), InvalidRequest (unknown method), Throttled."""
        if method not in ("totp", "recovery_code", "webauthn"):
            raise InvalidRequest("method must be one of totp, recovery_code, webauthn")
        challenge, user = self._open(mfa_token, LOGIN)
        attempt = FactorAttempt(self._ctx, user, str(method), ip)
        token_hash = challenge.token_hash
        ctx = self._ctx
        if method == "webauthn":
            stored = challenge.detail.get("webauthn_challenge")
            if not isinstance(stored, str):
                raise InvalidRequest("this sign-in has no passkey challenge")
            try:
                passkey = self._passkeys.verify(code, unb64url(stored), user_id=user.id, ip=ip)
            except InvalidGrant:
                attempt.failed("bad_assertion")
            with ctx.store.write() as uow:
                if not uow.mfa.use_challenge(token_hash, now=ctx.clock()):
                    raise InvalidGrant(_DEAD)
            attempt.succeeded()
            amr = "swk" if passkey.synced else "hwk"
            return self._start(challenge, user, amr, ip, user_agent, sso_hash)
        if method == "totp":
            found = self._factors.check_totp(user, code)
            ok = False
            if found is not None:
                with ctx.store.write() as uow:
                    ok = self._factors.use_totp(uow, *found)
                    if ok and not uow.mfa.use_challenge(token_hash, now=ctx.clock()):
                        raise InvalidGrant(_DEAD)  # rolls the step back: it stays usable
            if not ok:
                attempt.failed("wrong_code" if found is None else "replayed")
            amr = "otp"
        else:
            with ctx.store.write() as uow:
                ok = self._factors.use_recovery_code(uow, user, code)
                if ok:
                    if not uow.mfa.use_challenge(token_hash, now=ctx.clock()):
                        raise InvalidGrant(_DEAD)
                    self._factors.recovery_code_used(uow, user, ip=ip)
            if not ok:
                attempt.failed("wrong_code")
            amr = "otp"
        attempt.succeeded()
        return self._start(challenge, user, amr, ip, user_agent, sso_hash)

    def passwordless(
        self,
        credential: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        sso_hash: str | None = None,
    ) -> TokenPair:
        """Sign in with a discoverable passkey alone (user verification is the second
        factor): ``acr`` ``phr``. Raises InvalidGrant."""
        self._passkeys.take_passwordless(credential)
        passkey = self._passkeys.verify(
            credential, credential_challenge(credential), user_id=None, ip=ip
        )
        ctx = self._ctx
        with ctx.store.read() as uow:
            user = uow.users.get(passkey.factor.user_id)
        if user is None or user.disabled:
            raise InvalidGrant("the passkey could not be verified")
        return self._sessions.start(
            user,
            ip=ip,
            user_agent=user_agent,
            auth=Authentication.passkey(ctx.clock(), synced=passkey.synced),
            sso_hash=sso_hash,
        )

    def pending_methods(self, mfa_token: object) -> list[str]:
        """The methods of a live sign-in ``mfa_token``. Raises InvalidGrant."""
        _, user = self._open(mfa_token, LOGIN)
        return self._factors.methods(user.id)

    def enrol_start(self, mfa_token: object) -> TotpEnrolment:
        """With an enrolment ``mfa_token``: a TOTP secret to confirm. Raises InvalidGrant."""
        _, user = self._open(mfa_token, ENROL)
        return self._factors.totp_start(user)

    def enrol_confirm(
        self,
        mfa_token: object,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        sso_hash: str | None = None,
    ) -> Enrolled:
        """With an enrolment ``mfa_token`` and a first code: the recovery codes and the
        session (``acr mfa``). Raises InvalidGrant, NotFound, Throttled."""
        challenge, user = self._open(mfa_token, ENROL)
        codes = self._factors.totp_confirm(user, code, ip=ip)
        ctx = self._ctx
        with ctx.store.write() as uow:
            if not uow.mfa.use_challenge(challenge.token_hash, now=ctx.clock()):
                raise InvalidGrant(_DEAD)
        return Enrolled(codes, self._start(challenge, user, "otp", ip, user_agent, sso_hash))

    # -- helpers -----------------------------------------------------------------------------

    def _challenge(self, user: UserRecord, purpose: str, detail: dict[str, Any]) -> str:
        ctx = self._ctx
        token = secrets.token_urlsafe(32)
        now = ctx.clock()
        with ctx.store.write() as uow:
            uow.mfa.add_challenge(
                MfaChallenge(
                    token_hash=_hash(token),
                    purpose=purpose,
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + MFA_TOKEN_TTL,
                    detail=detail,
                )
            )
        return token

    def _open(self, mfa_token: object, purpose: str) -> tuple[MfaChallenge, UserRecord]:
        """The live challenge of ``mfa_token`` and its user. Raises InvalidGrant."""
        if not isinstance(mfa_token, str) or not 40 <= len(mfa_token) <= 64:
            raise InvalidGrant(_DEAD)
        ctx = self._ctx
        with ctx.store.read() as uow:
            challenge = uow.mfa.challenge(_hash(mfa_token))
            user = None
            if challenge is not None and challenge.user_id is not None:
                user = uow.users.get(challenge.user_id)
        if (
            challenge is None
            or user is None
            or user.disabled
            or challenge.purpose != purpose
            or challenge.used_at is not None
            or challenge.expires_at <= ctx.clock()
        ):
            raise InvalidGrant(_DEAD)
        return challenge, user

    def _start(
        self,
        challenge: MfaChallenge,
        user: UserRecord,
        method: str,
        ip: str | None,
        user_agent: str | None,
        sso_hash: str | None = None,
    ) -> TokenPair:
        detail = challenge.detail
        pwd_at = detail.get("pwd_at")
        start = Authentication.password(float(pwd_at) if isinstance(pwd_at, int | float) else 0.0)
        client_id = detail.get("client_id")
        return self._sessions.start(
            user,
            scope=str(detail.get("scope") or ""),
            client_id=client_id if isinstance(client_id, str) else None,
            ip=ip,
            user_agent=user_agent,
            auth=start.plus(method, self._ctx.clock()),
            sso_hash=sso_hash,
        )
