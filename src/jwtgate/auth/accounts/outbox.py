"""The mail outbox: mail is queued in the transaction of the request that causes it, and
delivered by a worker (the server runs one per process, see ``jwtgate.server.app``).

Sending never blocks a request and never loses mail silently: a failed attempt is audited
("mail_delivery_failed") and retried with exponential back-off (2 s, 4 s, ... capped at 5
minutes), up to ``mail_max_attempts``; then the mail is marked failed and audited
("mail_failed"). A job is leased to one worker at a time (see :mod:`jwtgate.store.outbox`), so
two instances never send the same mail; a worker killed mid-delivery leaves its lease to expire
and the mail is sent by the next one.

Token mails (reset, verification, invitation, email change) hold no secret at rest: the job
names the user and the address; the link token and the code are made, and stored hashed, when
the mail is sent, replacing any earlier one (only the newest works). So a mail delivered late
is still valid for its full lifetime, and a job that never went out left nothing usable behind.
A password-reset request stores only what was typed; the worker resolves it to accounts, which
keeps the request's work the same for known and unknown accounts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from ...store.protocols import Store, UnitOfWork
from ...store.records import AccountToken, MailJob, UserRecord
from ..context import AuthContext
from .codes import Secrets, format_code
from .mail import Mailer, MailError
from .messages import MessageBuilder

__all__ = [
    "LIMITED_KINDS",
    "TOKEN_KINDS",
    "MailSetup",
    "Outbox",
]

log = logging.getLogger("jwtgate.mail")

TOKEN_KINDS: dict[str, tuple[str, int]] = {
    "password_reset": ("reset", 15 * 60),
    "verify_email": ("verify", 15 * 60),
    "email_change": ("email_change", 15 * 60),
    "invite": ("invite", 7 * 86400),
}
"""Kind of mail -> (purpose of its token, lifetime in seconds)."""
LIMITED_KINDS = ("password_reset", "verify_email", "email_change")
"""Mails a user can cause: at most ``MAILS_PER_ACCOUNT`` per account per ``MAIL_WINDOW``."""
MAILS_PER_ACCOUNT = 3
MAIL_WINDOW = 15 * 60
REQUEST_KINDS = {"password_reset_request": "password_reset", "verify_email_request": "verify_email"}
"""Jobs that name a login, not an account: resolved by the worker into the mails they cause."""
LEASE = 120.0
MAX_BACKOFF = 300.0


@dataclass(frozen=True)
class MailSetup:
    """What the outbox needs beyond the auth context: where mail goes, how it looks, and the
    key of account codes."""

    mailer: Mailer
    builder: MessageBuilder
    secrets: Secrets


def _valid_for(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days != 1 else "")
    minutes = seconds // 60
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


class Outbox:
    """Queues mail jobs and delivers due ones."""

    def __init__(self, ctx: AuthContext, setup: MailSetup) -> None:
        self._ctx = ctx
        self._setup = setup

    @property
    def _store(self) -> Store:
        return self._ctx.store

    @property
    def _clock(self) -> Callable[[], float]:
        return self._ctx.clock

    def queue(
        self,
        uow: UnitOfWork,
        kind: str,
        *,
        user_id: str | None = None,
        recipient: str | None = None,
        login: str | None = None,
        ip: str | None = None,
        **detail: Any,
    ) -> int:
        """Queue a mail in the caller's transaction; it goes out after the commit."""
        now = self._clock()
        return uow.outbox.add(
            MailJob(
                kind=kind,
                status="pending",
                created_at=now,
                next_attempt_at=now,
                user_id=user_id,
                recipient=recipient,
                login=login,
                ip=ip[:64] if ip else None,
                detail=detail,
            )
        )

    # -- the worker ---------------------------------------------------------------------------

    def deliver_due(self, limit: int = 20) -> int:
        """Deliver up to ``limit`` due jobs, one lease at a time; returns how many were
        handled (sent, resolved, dropped or rescheduled)."""
        with self._store.read() as uow:
            if not uow.outbox.has_due(now=self._clock()):
                return 0  # the usual case, every second: no write lock taken
        done = 0
        while done < limit:
            with self._store.write() as uow:
                jobs = uow.outbox.claim(now=self._clock(), lease=self._lease(), limit=1)
            if not jobs:
                break
            self._handle(jobs[0])
            done += 1
        return done

    def _lease(self) -> float:
        # Longer than one delivery can take (connect, TLS, AUTH, DATA each time out).
        return max(LEASE, 6 * self._ctx.settings.smtp_timeout)

    def _handle(self, job: MailJob) -> None:
        if job.kind in REQUEST_KINDS:
            self._resolve(job)
            return
        try:
            message = self._prepare(job)
        except MailError as exc:
            self._failed(job, exc)
            return
        except Exception as exc:  # a broken override template must not stop the worker
            self._failed(
                job,
                MailError(f"the mail could not be built ({type(exc).__name__})", permanent=True),
            )
            return
        if message is None:
            return
        try:
            self._setup.mailer.send(message)
        except MailError as exc:
            self._failed(job, exc)
            return
        with self._store.write() as uow:
            now = self._clock()
            uow.outbox.update(
                job.id,
                status="sent",
                sent_at=now,
                attempts=job.attempts + 1,
                claimed_until=None,
                last_error=None,
            )
            self._ctx.audit(uow, "mail_sent", user_id=job.user_id, kind=job.kind, job=job.id)
        log.info("mail sent", extra={"event": "mail_sent", "kind": job.kind, "job": job.id})

    def _resolve(self, job: MailJob) -> None:
        """Turn a request naming a login into the mails it causes (none for no account)."""
        kind = REQUEST_KINDS[job.kind]
        with self._store.write() as uow:
            users = uow.accounts.users_by_login(job.login or "")
            queued = 0
            for user in users:
                if user.disabled or not user.email:
                    continue
                if kind == "verify_email" and user.email_verified:
                    continue
                self.queue(uow, kind, user_id=user.id, recipient=user.email)
                queued += 1
            uow.outbox.update(
                job.id,
                status="resolved" if queued else "dropped",
                login=None,
                claimed_until=None,
                last_error=None if queued else "no matching account with an address",
            )

    def _drop(self, uow: UnitOfWork, job: MailJob, reason: str) -> None:
        uow.outbox.update(job.id, status="dropped", claimed_until=None, last_error=reason)

    def _prepare(self, job: MailJob) -> EmailMessage | None:
        """The message of a job, with a fresh token for token mails; None when the job no
        longer applies (user gone, address changed, limit reached), which drops it."""
        ctx, setup = self._ctx, self._setup
        with self._store.write() as uow:
            user = uow.users.get(job.user_id) if job.user_id else None
            recipient = job.recipient
            if user is None or not recipient:
                self._drop(uow, job, "no such user or address")
                return None
            now = self._clock()
            values: dict[str, Any] = {
                "username": user.username,
                "when": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC"),
                **job.detail,
            }
            if job.kind in TOKEN_KINDS:
                reason = self._stale(uow, job, user, now)
                if reason is not None:
                    self._drop(uow, job, reason)
                    if reason == "mail limit reached":
                        ctx.audit(uow, "mail_throttled", user=user, kind=job.kind)
                    return None
                purpose, ttl = TOKEN_KINDS[job.kind]
                link_token, code = setup.secrets.new_pair()
                uow.accounts.drop_unused(user.id, [purpose])
                uow.accounts.add_token(
                    AccountToken(
                        id=0,
                        user_id=user.id,
                        purpose=purpose,
                        token_hash=setup.secrets.link_hash(link_token),
                        code_hash=setup.secrets.code_hash(code, user_id=user.id, purpose=purpose),
                        email=recipient,
                        created_at=now,
                        expires_at=now + ttl,
                    )
                )
                values.update(
                    link=setup.builder.link(job.kind, link_token),
                    code=format_code(code),
                    valid_for=_valid_for(ttl),
                )
        return setup.builder.build(job.kind, recipient, values)

    def _stale(self, uow: UnitOfWork, job: MailJob, user: UserRecord, now: float) -> str | None:
        if user.disabled:
            return "the account is disabled"
        if job.kind == "verify_email" and (user.email != job.recipient or user.email_verified):
            return "the address changed or is verified already"
        if job.kind in LIMITED_KINDS:
            sent = uow.outbox.sent_to_user(user.id, LIMITED_KINDS, since=now - MAIL_WINDOW)
            if sent >= MAILS_PER_ACCOUNT:
                return "mail limit reached"
        return None

    def _failed(self, job: MailJob, exc: MailError) -> None:
        attempts = job.attempts + 1
        final = exc.permanent or attempts >= self._ctx.settings.mail_max_attempts
        now = self._clock()
        error = str(exc)[:256]
        with self._store.write() as uow:
            if final:
                uow.outbox.update(
                    job.id, status="failed", attempts=attempts, claimed_until=None, last_error=error
                )
            else:
                delay = min(2.0**attempts, MAX_BACKOFF)
                uow.outbox.update(
                    job.id,
                    attempts=attempts,
                    next_attempt_at=now + delay,
                    claimed_until=None,
                    last_error=error,
                )
            self._ctx.audit(
                uow,
                "mail_failed" if final else "mail_delivery_failed",
                user_id=job.user_id,
                kind=job.kind,
                job=job.id,
                attempt=attempts,
                error=error,
            )
        log.warning(
            "mail delivery failed",
            extra={
                "event": "mail_failed" if final else "mail_retry",
                "kind": job.kind,
                "job": job.id,
                "attempt": attempts,
                "error": error,
            },
        )
