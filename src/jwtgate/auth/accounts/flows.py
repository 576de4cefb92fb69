"""The account-email use cases: password reset, address verification, invitations and email
change. Each queues its mail in the outbox (see :mod:`.outbox`) inside its own transaction.

Enumeration: ``forgot`` does the same work whatever the login (one count, one insert) and
answers the same; which account it names is worked out later, by the outbox worker. Guessing:
a wrong code or link counts against the client address (20 per 15 minutes, then 429) and
against the account's live token (5 wrong codes use it up); a code has 40 bits.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from ...store.protocols import UnitOfWork
from ...store.records import AccountToken, UserRecord
from ..context import AuthContext, Pending
from ..credentials import check_credentials
from ..errors import InvalidGrant, InvalidRequest, NotFound, Throttled
from ..validation import check_email
from .codes import normalize_code, parse_link_token
from .limits import WindowCounter
from .mail import LogMailer
from .outbox import MailSetup, Outbox

__all__ = ["AccountEmail", "BadLink"]

REQUESTS_PER_ADDRESS = 20
WINDOW = 15 * 60
WRONG_CODES_PER_TOKEN = 5
RESET_PURPOSES = ("reset", "invite")
VERIFY_PURPOSES = ("verify", "email_change")
_BAD = "the code or link is invalid, used or expired"


class BadLink(InvalidGrant):
    """A reset, verification or invitation code or link that is unknown, used or expired."""

    def __init__(self, message: str = _BAD) -> None:
        super().__init__(message)


def _login(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 320 or "\x00" in value:
        raise InvalidRequest("login must be a username or an email address")
    return value.strip()


class AccountEmail:
    """Use cases that mail the user."""

    def __init__(self, ctx: AuthContext, setup: MailSetup) -> None:
        self._ctx = ctx
        self._setup = setup
        self.outbox = Outbox(ctx, setup)
        self._wrong = WindowCounter(limit=REQUESTS_PER_ADDRESS, window=WINDOW, clock=ctx.clock)

    @property
    def mail_description(self) -> str:
        """One line saying where mail goes, for ``jwtgate serve`` (no credentials)."""
        mailer = self._setup.mailer
        if isinstance(mailer, LogMailer):
            return (
                "Mail: JWTGATE_SMTP_URL is not set, so mail (password resets, invitations) "
                "goes to the server log, links included: for development only."
            )
        return f"Mail: {mailer!r}, links to {self._setup.builder.public_url}"

    # -- limits ---------------------------------------------------------------------------

    def _check_address(self, uow: UnitOfWork, ip: str | None) -> None:
        """429 once ``ip`` has queued REQUESTS_PER_ADDRESS mail requests in the window (counted
        in the outbox: the same for every instance)."""
        if not ip:
            return
        now = self._ctx.clock()
        count, oldest = uow.outbox.requests_from(ip[:64], since=now - WINDOW)
        if count >= REQUESTS_PER_ADDRESS:
            raise Throttled(max(1, int((oldest or now) + WINDOW - now) + 1))

    def _check_wrong(self, ip: str | None) -> None:
        if not ip:
            return
        wait = self._wrong.retry_after(ip)
        if wait > 0:
            raise Throttled(wait)

    # -- password reset -----------------------------------------------------------------------

    def forgot(self, login: str, *, ip: str | None = None) -> None:
        """Queue a reset mail for the account named by ``login`` (username or address), if
        any. Same work and answer for unknown accounts. Raises InvalidRequest, Throttled."""
        login = _login(login)
        with self._ctx.store.write() as uow:
            self._check_address(uow, ip)
            self.outbox.queue(uow, "password_reset_request", login=login, ip=ip)

    def reset(
        self,
        new_password: str,
        *,
        token: str | None = None,
        code: str | None = None,
        login: str | None = None,
        ip: str | None = None,
    ) -> None:
        """Set a new password with a reset or invitation token (or code + login); every session
        and refresh token of the user is revoked and a notice mailed. Raises BadLink,
        WeakPassword, InvalidRequest, Throttled."""
        ctx = self._ctx
        if not isinstance(new_password, str):
            raise InvalidRequest("new_password must be a string")
        self._check_wrong(ip)
        found, user = self._find(RESET_PURPOSES, token=token, code=code, login=login, ip=ip)
        if user.disabled:
            raise BadLink()
        ctx.policy.check(new_password, user_inputs=(user.username, user.email))
        new_hash = ctx.hasher.hash(new_password)
        pending = Pending()
        with ctx.store.write() as uow:
            now = ctx.clock()
            if not uow.accounts.use(found.id, now=now):
                raise BadLink()
            uow.users.update(user.id, now=now, password_hash=new_hash)
            if found.email and found.email == user.email:
                uow.accounts.mark_verified(user.id, found.email, now=now)  # the mail reached it
            uow.accounts.revoke(user.id, RESET_PURPOSES, now=now)
            count = ctx.revoke_user_sessions(uow, user.id, "password_reset", pending)
            invited = found.purpose == "invite"
            event = "invitation_accepted" if invited else "password_reset"
            ctx.audit(uow, event, user=user, ip=ip, sessions_revoked=count)
            if not invited and user.email:
                self.outbox.queue(uow, "password_changed", user_id=user.id, recipient=user.email)
        ctx.publish(pending)

    def check_link(self, purposes: Sequence[str], token: str) -> UserRecord:
        """The user a live link token of these purposes belongs to, without using it (the web
        pages show it before the POST). Raises BadLink."""
        return self._find(purposes, token=token)[1]

    # -- address verification -------------------------------------------------------------------

    def request_verification(self, claims: Mapping[str, Any], *, ip: str | None = None) -> None:
        """Mail the caller a verification code and link. Raises NotFound, InvalidRequest,
        Throttled."""
        user = self._user(claims.get("sub"))
        if not user.email:
            raise InvalidRequest("the account has no email address")
        if user.email_verified:
            raise InvalidRequest("the email address is verified already")
        with self._ctx.store.write() as uow:
            self._check_address(uow, ip)
            self.outbox.queue(uow, "verify_email", user_id=user.id, recipient=user.email, ip=ip)

    def request_verification_for(self, login: str, *, ip: str | None = None) -> None:
        """The resend path of a user who may not sign in yet: queue a verification mail for the
        account named by ``login`` if its address is unverified; the same answer otherwise."""
        login = _login(login)
        with self._ctx.store.write() as uow:
            self._check_address(uow, ip)
            self.outbox.queue(uow, "verify_email_request", login=login, ip=ip)

    def verify(
        self,
        *,
        token: str | None = None,
        code: str | None = None,
        claims: Mapping[str, Any] | None = None,
        ip: str | None = None,
    ) -> None:
        """Confirm an address with a link token, or a code and the signed-in user's claims: a
        verification marks the address verified, an email change replaces the address (then
        verified). Raises BadLink, InvalidRequest, Throttled."""
        ctx = self._ctx
        self._check_wrong(ip)
        if token is None and claims is None:
            raise InvalidRequest("send a token, or a code with a bearer token")
        user_id = None if claims is None else claims.get("sub")
        found, user = self._find(VERIFY_PURPOSES, token=token, code=code, user_id=user_id, ip=ip)
        with ctx.store.write() as uow:
            now = ctx.clock()
            if not found.email or not uow.accounts.use(found.id, now=now):
                raise BadLink()
            if found.purpose == "email_change":
                uow.accounts.set_email(user.id, found.email, verified=True, now=now)
                ctx.audit(uow, "email_changed", user=user, ip=ip)
            elif uow.accounts.mark_verified(user.id, found.email, now=now):
                ctx.audit(uow, "email_verified", user=user, ip=ip)
            else:
                raise BadLink("the address changed since this code was sent")

    # -- email change -------------------------------------------------------------------------

    def change_email(
        self,
        claims: Mapping[str, Any],
        new_email: str,
        current_password: str,
        *,
        ip: str | None = None,
    ) -> None:
        """Ask to change the caller's address: a confirmation goes to the new address and a
        notice to the old one; the address changes when the new one is confirmed. Raises
        InvalidGrant (wrong password), Throttled, InvalidRequest, NotFound."""
        user = self._user(claims.get("sub"))
        check_credentials(self._ctx, user.username, current_password, ip=ip, purpose="email_change")
        email = check_email(new_email)
        if email is None:
            raise InvalidRequest("the new email address is required")
        if user.email is not None and email.lower() == user.email.lower():
            raise InvalidRequest("that is the current address already")
        with self._ctx.store.write() as uow:
            self._check_address(uow, ip)
            self.outbox.queue(uow, "email_change", user_id=user.id, recipient=email, ip=ip)
            if user.email:
                self.outbox.queue(
                    uow, "email_changed", user_id=user.id, recipient=user.email, new_email=email
                )
            self._ctx.audit(uow, "email_change_requested", user=user, ip=ip)

    # -- administration -----------------------------------------------------------------------

    def registered(self, user_id: str) -> None:
        """Mail a verification to a newly registered user who gave an address."""
        user = self._user(user_id)
        if user.email and not user.email_verified:
            with self._ctx.store.write() as uow:
                self.outbox.queue(uow, "verify_email", user_id=user.id, recipient=user.email)

    def set_email(
        self,
        user_id: str,
        email: str | None,
        verified: bool,
        *,
        actor: Mapping[str, Any] | None = None,
    ) -> None:
        """An admin sets a user's address, unverified unless ``verified``. Raises NotFound,
        InvalidRequest."""
        if type(verified) is not bool:
            raise InvalidRequest("email_verified must be true or false")
        address = check_email(email)
        user = self._user(user_id)
        with self._ctx.store.write() as uow:
            uow.accounts.set_email(
                user.id, address, verified=verified and address is not None, now=self._ctx.clock()
            )
            uow.accounts.revoke(user.id, VERIFY_PURPOSES, now=self._ctx.clock())
            self._ctx.audit(uow, "email_set", user=user, actor=actor, email_verified=verified)

    def invite(self, user_id: str, *, actor: Mapping[str, Any] | None = None) -> None:
        """Mail (again) an invitation to choose a password, valid 7 days; an earlier one stops
        working. Raises NotFound, InvalidRequest (no address)."""
        user = self._user(user_id)
        if not user.email:
            raise InvalidRequest("an invitation needs the user's email address")
        with self._ctx.store.write() as uow:
            self.outbox.queue(uow, "invite", user_id=user.id, recipient=user.email)
            self._ctx.audit(uow, "invitation_sent", user=user, actor=actor)

    def revoke_invite(self, user_id: str, *, actor: Mapping[str, Any] | None = None) -> int:
        """Make the user's open invitation unusable; returns how many tokens that killed."""
        user = self._user(user_id)
        with self._ctx.store.write() as uow:
            count = uow.accounts.revoke(user.id, ["invite"], now=self._ctx.clock())
            count += uow.outbox.cancel(user.id, "invite")
            self._ctx.audit(uow, "invitation_revoked", user=user, actor=actor, count=count)
        return count

    def invitation_pending(self, user_id: str) -> bool:
        """Whether the user has an invitation that still works, or one on its way."""
        with self._ctx.store.read() as uow:
            if uow.outbox.queued(user_id, "invite"):
                return True
            return uow.accounts.pending(user_id, "invite", now=self._ctx.clock())

    @staticmethod
    def unusable_password() -> str:
        """A password nobody knows, for an invited account until it chooses one."""
        return secrets.token_urlsafe(32)

    # -- helpers ------------------------------------------------------------------------------

    def _user(self, user_id: object) -> UserRecord:
        if not isinstance(user_id, str) or len(user_id) > 64:
            raise NotFound("no such user")
        with self._ctx.store.read() as uow:
            user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    def _find(
        self,
        purposes: Sequence[str],
        *,
        token: str | None = None,
        code: str | None = None,
        login: str | None = None,
        user_id: object = None,
        ip: str | None = None,
    ) -> tuple[AccountToken, UserRecord]:
        """The live token (not yet used) and its user. Counts a failure against ``ip`` and, for a
        wrong code, against the candidates' live tokens. Raises BadLink, InvalidRequest."""
        ctx = self._ctx
        now = ctx.clock()
        # A link is only looked up (a read: GETs of mailed links come from scanners too); a
        # code may count a wrong attempt against the account's token (a write).
        unit = ctx.store.read() if token is not None else ctx.store.write()
        with unit as uow:
            found = self._lookup(uow, purposes, token, code, login, user_id, now)
            if found is not None:
                user = uow.users.get(found.user_id)
                if user is not None:
                    return found, user
        if ip:
            self._wrong.add(ip)
        raise BadLink()

    def _lookup(
        self,
        uow: UnitOfWork,
        purposes: Sequence[str],
        token: str | None,
        code: str | None,
        login: str | None,
        user_id: object,
        now: float,
    ) -> AccountToken | None:
        setup = self._setup
        if token is not None:
            link = parse_link_token(token)
            if link is None:
                return None
            found = uow.accounts.by_hash(setup.secrets.link_hash(link))
            if found is None or found.purpose not in purposes:
                return None
            return found if found.used_at is None and found.expires_at > now else None
        if code is None:
            raise InvalidRequest("send a token, or a code")
        if isinstance(user_id, str):
            candidates = [user_id]
        elif login is not None:
            candidates = [u.id for u in uow.accounts.users_by_login(_login(login))]
        else:
            raise InvalidRequest("a code needs the login it was sent for")
        normalized = normalize_code(code)
        for candidate in candidates:
            live = uow.accounts.active(candidate, purposes, now=now)
            if live is None:
                continue
            if normalized is not None and setup.secrets.code_matches(
                normalized, live.code_hash, user_id=candidate, purpose=live.purpose
            ):
                return live
            uow.accounts.failed_attempt(live.id, now=now, limit=WRONG_CODES_PER_TOKEN)
        return None
