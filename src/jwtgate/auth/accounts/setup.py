"""Building the mail side of the auth service from the settings."""

from __future__ import annotations

from ...config import Settings
from ...store.smtp import SmtpMailer
from .codes import Secrets, derive_code_key
from .mail import LogMailer, Mailer
from .messages import MessageBuilder
from .outbox import MailSetup

__all__ = ["default_mail_setup", "mail_setup"]


def mail_setup(
    settings: Settings,
    *,
    master_key: bytes,
    public_url: str,
    mailer: Mailer | None = None,
) -> MailSetup:
    """SMTP when ``smtp_url`` is set, else the log; links under ``public_url``; codes keyed
    by the master key. Raises ValueError for an unusable SMTP URL or template directory."""
    if mailer is None:
        if settings.smtp_url is not None:
            mailer = SmtpMailer(
                settings.smtp_url.get_secret_value(),
                timeout=settings.smtp_timeout,
                ca_file=settings.smtp_ca_file,
            )
        else:
            mailer = LogMailer()
    builder = MessageBuilder(
        product=settings.product_name,
        public_url=settings.public_url or public_url,
        sender=settings.mail_from,
        template_dir=settings.mail_template_dir,
    )
    return MailSetup(mailer=mailer, builder=builder, secrets=Secrets(derive_code_key(master_key)))


def default_mail_setup(settings: Settings) -> MailSetup:
    """For an AuthContext built by hand (tests): a random code key, links to the issuer."""
    import secrets

    base = settings.public_url or settings.issuer or f"http://{settings.host}:{settings.port}"
    return mail_setup(settings, master_key=secrets.token_bytes(32), public_url=base)
