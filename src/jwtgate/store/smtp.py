"""The SMTP adapter of :class:`jwtgate.auth.accounts.Mailer`, on the standard library's smtplib.

``JWTGATE_SMTP_URL`` picks the transport: ``smtp://`` (plain, port 25), ``smtps://`` (TLS from
the first byte, port 465) or ``smtp+starttls://`` (STARTTLS required, port 587), with optional
``user:password@`` (percent-encoded) for AUTH. TLS verifies the server's certificate and host
name (the system CAs, or ``ca_file``). Every network step has a timeout. The password is kept
out of the repr and of every error and log line.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from .protocols import StoreError

__all__ = ["MailError", "SmtpMailer", "SmtpTarget"]

_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}


class MailError(StoreError):
    """A mail could not be handed over; ``permanent`` when retrying cannot help (the server
    refused the recipient or the credentials), else it is retried later. Its message never
    holds a credential."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """A parsed SMTP URL; the password is hidden from the repr."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """Parse ``url``. Raises ValueError (without echoing the URL: it may hold a password)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _PORTS:
            raise ValueError(
                "JWTGATE_SMTP_URL must start with smtp://, smtps:// or smtp+starttls://"
            )
        if not parts.hostname:
            raise ValueError("JWTGATE_SMTP_URL has no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("JWTGATE_SMTP_URL takes no path, query or fragment")
        try:
            port = parts.port or _PORTS[scheme]
        except ValueError:
            raise ValueError("JWTGATE_SMTP_URL has an invalid port") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(scheme, parts.hostname, port, username, password)


class SmtpMailer:
    """Sends each message over a new SMTP connection (mail is rare; no pool to go stale)."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, ca_file: str | None = None, local_name: str = ""
    ) -> None:
        """Raises ValueError for an unusable URL or CA file."""
        self.target = SmtpTarget.parse(url)
        self._timeout = timeout
        self._local_name = local_name or None
        self._tls: ssl.SSLContext | None = None
        if self.target.scheme != "smtp":
            self._tls = ssl.create_default_context(cafile=ca_file)

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        if t.scheme == "smtps":
            return smtplib.SMTP_SSL(
                t.host,
                t.port,
                local_hostname=self._local_name,
                timeout=self._timeout,
                context=self._tls,
            )
        client = smtplib.SMTP(
            t.host, t.port, local_hostname=self._local_name, timeout=self._timeout
        )
        if t.scheme == "smtp+starttls":
            client.ehlo()
            if not client.has_extn("starttls"):
                client.close()
                raise MailError("the SMTP server does not offer STARTTLS")
            client.starttls(context=self._tls)
            client.ehlo()
        return client

    def send(self, message: EmailMessage) -> None:
        """Deliver one message. Raises MailError (permanent for a refused recipient or sender,
        or failed authentication)."""
        t = self.target
        try:
            client = self._connect()
            try:
                if t.username is not None:
                    client.login(t.username, t.password or "")
                client.send_message(message)
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
        except MailError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"SMTP authentication failed ({exc.smtp_code})", permanent=True
            ) from None
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            raise MailError(
                f"the SMTP server refused the mail ({type(exc).__name__})", permanent=True
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"the SMTP server answered {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600
            ) from None
        except ssl.SSLError as exc:
            raise MailError(
                f"TLS with the SMTP server failed ({exc.reason or type(exc).__name__})"
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise MailError(f"the SMTP server is unreachable ({type(exc).__name__})") from None

    def __repr__(self) -> str:
        t = self.target
        auth = ", auth" if t.username is not None else ""
        return f"SmtpMailer({t.scheme}://{t.host}:{t.port}{auth})"
