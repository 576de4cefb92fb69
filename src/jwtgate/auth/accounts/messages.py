"""Mail messages from templates: a subject, a plain-text part and an HTML part per kind.

The built-in templates live in ``templates/`` beside this module; a deployment overrides any
of them by putting a file of the same name in ``JWTGATE_MAIL_TEMPLATE_DIR``
(``password_reset.subject.txt``, ``password_reset.txt``, ``password_reset.html``, ...). Text
parts are rendered without escaping, HTML parts with autoescaping.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["KINDS", "LINK_PATHS", "MessageBuilder"]

TEMPLATES = Path(__file__).with_name("templates")
KINDS = (
    "password_reset",
    "verify_email",
    "email_change",
    "invite",
    "password_changed",
    "email_changed",
)
LINK_PATHS = {
    "password_reset": "/web/password/reset",
    "verify_email": "/web/email/verify",
    "email_change": "/web/email/verify",
    "invite": "/web/invite",
}
"""Where each token mail's link leads (a page with a button; only its POST uses the token)."""


class MessageBuilder:
    """Renders the mail of one kind into an EmailMessage from ``sender`` to a recipient."""

    def __init__(
        self, *, product: str, public_url: str, sender: str, template_dir: str | None = None
    ) -> None:
        """Raises ValueError when ``template_dir`` is not a directory."""
        loaders = [FileSystemLoader(TEMPLATES)]
        if template_dir:
            if not Path(template_dir).is_dir():
                raise ValueError(f"JWTGATE_MAIL_TEMPLATE_DIR is not a directory: {template_dir}")
            loaders.insert(0, FileSystemLoader(template_dir))
        loader = ChoiceLoader(loaders)
        # Plain text is not HTML: escaping would show "&amp;" in the mail.
        self._text = Environment(
            loader=loader,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            autoescape=select_autoescape(enabled_extensions=(), default=False),
        )
        self._html = Environment(
            loader=loader,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            autoescape=select_autoescape(default=True),
        )
        self.product = product
        self.public_url = public_url.rstrip("/")
        self.sender = sender

    def link(self, kind: str, token: str) -> str:
        """The absolute link of a token mail."""
        return f"{self.public_url}{LINK_PATHS[kind]}?token={token}"

    def build(self, kind: str, recipient: str, values: Mapping[str, Any]) -> EmailMessage:
        """The message of ``kind`` for ``recipient``; ``values`` fill the template (``when``,
        ``username``, ``link``, ``code``, ``valid_for``, ...). Raises jinja2 errors for a broken
        override template (the outbox records them as a failure)."""
        context = {
            "product": self.product,
            "public_url": self.public_url,
            "recipient": recipient,
            "forgot_link": f"{self.public_url}/web/password/forgot",
            **values,
        }
        subject = self._text.get_template(f"{kind}.subject.txt").render(context)
        context["subject"] = " ".join(subject.split())
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = context["subject"]
        message["Date"] = email.utils.formatdate(usegmt=True)
        domain = email.utils.parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = email.utils.make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        message.set_content(self._text.get_template(f"{kind}.txt").render(context))
        message.add_alternative(
            self._html.get_template(f"{kind}.html").render(context), subtype="html"
        )
        return message
