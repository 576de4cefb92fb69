"""A real SMTP server for the tests, run as its own process: ``python -m tests.email.smtpd_main``.

aiosmtpd on 127.0.0.1; every message received is written to ``--maildir`` as one ``.eml`` file
(written to a temporary name, then renamed, so a reader never sees half a message). Options:
``--tls-cert``/``--tls-key`` offer STARTTLS and require it before MAIL; ``--auth USER:PASSWORD``
requires AUTH (PLAIN or LOGIN) and refuses other credentials.
"""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import threading
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword


class SaveToDir:
    """aiosmtpd handler: each message becomes a file in the mail directory."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        name = uuid.uuid4().hex
        tmp = self.maildir / f".{name}.tmp"
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode()
        header = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tls = "yes" if session.ssl is not None else "no"
        user = session.auth_data if session.authenticated else None
        header += f"X-Test-TLS: {tls}\r\nX-Test-Auth: {user.decode() if user else '-'}\r\n".encode()
        tmp.write_bytes(header + data)
        os.replace(tmp, self.maildir / f"{name}.eml")
        return "250 OK"


class Authenticator:
    """Accepts exactly one username and password."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username.encode()
        self.password = password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.username
            and data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth")
    args = parser.parse_args()
    args.maildir.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, _, password = args.auth.partition(":")
        kwargs.update(
            authenticator=Authenticator(user, password),
            auth_required=True,
            auth_require_tls=bool(args.tls_cert),
        )
    controller = Controller(
        SaveToDir(args.maildir), hostname="127.0.0.1", port=args.port, ready_timeout=10, **kwargs
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
