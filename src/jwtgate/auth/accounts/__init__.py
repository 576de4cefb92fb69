"""Account concepts beyond sign-in: mailed one-time codes and links, the mail outbox, and the
password-reset, address-verification, invitation and email-change flows.

Outbound mail sits behind :class:`Mailer` (:mod:`.mail`); the SMTP adapter lives beside the
store (:mod:`jwtgate.store.smtp`). See docs/email.md.
"""

from __future__ import annotations

from .codes import normalize_code
from .flows import AccountEmail
from .mail import LogMailer, Mailer, MailError
from .outbox import MailSetup, Outbox

__all__ = [
    "AccountEmail",
    "LogMailer",
    "MailError",
    "MailSetup",
    "Mailer",
    "Outbox",
    "normalize_code",
]
