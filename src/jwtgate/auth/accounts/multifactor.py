"""The multi-factor use cases the server and the CLI call (``AuthService.mfa``).

The caller's own factors are changed with the caller's access-token claims, after
:meth:`Factors.require_recent`; sign-in steps take the ``mfa_token``. See docs/mfa.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...store.records import UserRecord
from ..context import AuthContext
from ..errors import NotFound
from ..sessions import Sessions
from ..values import TokenPair
from .factor_keys import FactorKeys
from .mfa import Factors, TotpEnrolment
from .outbox import Outbox
from .passkeys import Passkeys
from .signin import Enrolled, SignInSteps

__all__ = ["Enrolled", "MultiFactor", "TotpEnrolment"]

Claims = Mapping[str, Any]


class MultiFactor:
    """TOTP, recovery codes, the second sign-in step, and the admin reset."""

    def __init__(self, ctx: AuthContext, sessions: Sessions, outbox: Outbox) -> None:
        self._ctx = ctx
        self.factors = Factors(ctx, ctx.factor_keys or FactorKeys.ephemeral(), outbox)
        self.passkeys = Passkeys(ctx)
        self.steps = SignInSteps(ctx, sessions, self.factors, self.passkeys)

    # -- sign-in -----------------------------------------------------------------------------

    def after_password(
        self,
        user: UserRecord,
        *,
        scope: str = "",
        client_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> TokenPair:
        """The session, or MfaRequired / MfaEnrollmentRequired (see :mod:`.signin`)."""
        return self.steps.after_password(
            user, scope=scope, client_id=client_id, ip=ip, user_agent=user_agent
        )

    def check_factors(self, user: UserRecord) -> None:
        """Raises MfaRequired / MfaEnrollmentRequired when the password alone may not open a
        session for ``user`` (see :mod:`.signin`)."""
        self.steps.check_factors(user)

    def login(
        self,
        mfa_token: object,
        method: object,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        sso_hash: str | None = None,
    ) -> TokenPair:
        """``POST /auth/login/mfa`` (``sso_hash``: a browser sign-in session, see
        :mod:`jwtgate.auth.sso`). Raises InvalidGrant, InvalidRequest, Throttled."""
        return self.steps.complete(
            mfa_token, method, code, ip=ip, user_agent=user_agent, sso_hash=sso_hash
        )

    def pending_methods(self, mfa_token: object) -> list[str]:
        """The methods a live sign-in ``mfa_token`` can still finish with. Raises InvalidGrant
        when the token is dead."""
        return self.steps.pending_methods(mfa_token)

    def enrol_start(self, mfa_token: object) -> TotpEnrolment:
        """TOTP enrolment with an enrolment ``mfa_token``. Raises InvalidGrant, Conflict."""
        return self.steps.enrol_start(mfa_token)

    def enrol_confirm(
        self,
        mfa_token: object,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        sso_hash: str | None = None,
    ) -> Enrolled:
        """The first code of enrolment at sign-in: recovery codes and the session."""
        return self.steps.enrol_confirm(
            mfa_token, code, ip=ip, user_agent=user_agent, sso_hash=sso_hash
        )

    # -- the caller's own factors -------------------------------------------------------------

    def status(self, claims: Claims) -> dict[str, Any]:
        """``GET /auth/mfa``: the caller's factors (no secret)."""
        return self.factors.describe(self._user(claims))

    def totp_start(self, claims: Claims) -> TotpEnrolment:
        """``POST /auth/mfa/totp``. Raises InsufficientUserAuthentication, Conflict."""
        user = self._recent(claims)
        return self.factors.totp_start(user)

    def totp_confirm(self, claims: Claims, code: object, *, ip: str | None = None) -> list[str]:
        """``POST /auth/mfa/totp/confirm``: the recovery codes. Raises InvalidGrant, NotFound,
        Throttled, InsufficientUserAuthentication."""
        user = self._recent(claims)
        return self.factors.totp_confirm(user, code, ip=ip)

    def totp_delete(self, claims: Claims) -> None:
        """``DELETE /auth/mfa/totp``. Raises NotFound, InsufficientUserAuthentication."""
        user = self._recent(claims)
        self.factors.totp_delete(user, actor=claims)

    def regenerate_codes(self, claims: Claims, *, ip: str | None = None) -> list[str]:
        """``POST /auth/mfa/recovery-codes``: ten new codes replacing the old ones."""
        user = self._recent(claims)
        return self.factors.regenerate_codes(user, ip=ip)

    def webauthn_register_options(self, claims: Claims) -> dict[str, Any]:
        """``POST /auth/mfa/webauthn/register/options``: creation options (JSON)."""
        return self.passkeys.register_options(self._recent(claims))

    def webauthn_register(self, claims: Claims, credential: object, name: object) -> dict[str, Any]:
        """``POST /auth/mfa/webauthn/register/verify``: the new passkey (id, name)."""
        factor = self.passkeys.register(self._recent(claims), credential, name)
        return {"id": factor.id, "name": factor.name}

    def webauthn_delete(self, claims: Claims, factor_id: object) -> None:
        """``DELETE /auth/mfa/webauthn/{id}``. Raises NotFound."""
        self.passkeys.remove(self._recent(claims), factor_id)

    def passwordless_options(self) -> dict[str, Any]:
        """``POST /auth/login/webauthn/options``: request options for any discoverable passkey."""
        return self.passkeys.passwordless_options()

    def passwordless(
        self,
        credential: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        sso_hash: str | None = None,
    ) -> TokenPair:
        """``POST /auth/login/webauthn``: sign in with a passkey alone. Raises InvalidGrant."""
        return self.steps.passwordless(credential, ip=ip, user_agent=user_agent, sso_hash=sso_hash)

    # -- administration -----------------------------------------------------------------------

    def reset(self, user_id: str, *, actor: Claims | None = None) -> int:
        """Remove every factor of a user and sign the user out everywhere (audited)."""
        return self.factors.reset(user_id, actor=actor)

    def _user(self, claims: Claims) -> UserRecord:
        sub = claims.get("sub")
        if not isinstance(sub, str) or "sid" not in claims:
            raise NotFound("only a user's sign-in has factors")
        with self._ctx.store.read() as uow:
            user = uow.users.get(sub)
        if user is None:
            raise NotFound("no such user")
        return user

    def _recent(self, claims: Claims) -> UserRecord:
        user = self._user(claims)
        self.factors.require_recent(claims, user_id=user.id)
        return user
