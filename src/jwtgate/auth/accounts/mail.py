"""Outbound mail: the :class:`Mailer` seam, and the development adapter that writes to the log.

The auth layer builds standard-library :class:`email.message.EmailMessage` objects and hands
them to a Mailer; it never opens a socket itself. The SMTP adapter is
:class:`jwtgate.store.smtp.SmtpMailer`; tests may pass any object with ``send``.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Protocol

from ...store.smtp import MailError

__all__ = ["LogMailer", "MailError", "Mailer"]

log = logging.getLogger("jwtgate.mail")


class Mailer(Protocol):
    """Hands one message to a mail server (or wherever mail goes)."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` (its From and To are set). Raises MailError."""
        ...


class LogMailer:
    """Development delivery: each mail is written to the log (``jwtgate.mail``, WARNING), text
    part included, so the links can be followed. Never use it in production: the log then
    holds live reset links, which is why ``jwtgate serve`` says mail goes to the log."""

    def send(self, message: EmailMessage) -> None:
        """Log the message's recipient, subject and plain-text part."""
        part = message.get_body(("plain",))
        text = part.get_content() if part is not None else ""
        log.warning(
            "mail not sent (no JWTGATE_SMTP_URL): to %s, subject %r\n%s",
            message["To"],
            message["Subject"],
            text,
            extra={"event": "mail_logged", "to": str(message["To"])},
        )

    def __repr__(self) -> str:
        return "LogMailer()"
