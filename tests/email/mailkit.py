"""Mail-test plumbing: a real SMTP server (aiosmtpd) in its own process, a self-signed
certificate made with ``cryptography``, and reading what was delivered."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b")
LINK = re.compile(r"(https?://\S+\?token=([A-Za-z0-9_-]{43}))")


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwtgate test smtp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mail:
    """One delivered message."""

    message: EmailMessage
    path: Path

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None, "no text/plain part"
        return str(part.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None, "no text/html part"
        return str(part.get_content())  # type: ignore[attr-defined]

    @property
    def code(self) -> str:
        found = CODE.search(self.text)
        assert found, self.text
        return found.group(1)

    @property
    def link(self) -> str:
        found = LINK.search(self.text)
        assert found, self.text
        return found.group(1)

    @property
    def token(self) -> str:
        found = LINK.search(self.text)
        assert found, self.text
        return found.group(2)


@dataclass
class SmtpServer:
    """A running aiosmtpd process and its mail directory."""

    port: int
    maildir: Path
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (or restart on the same port) and wait until it accepts connections."""
        log = (self.maildir.parent / f"smtpd-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.email.smtpd_main",
                "--port",
                str(self.port),
                "--maildir",
                str(self.maildir),
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the SMTP server exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the SMTP server did not start")

    def stop(self) -> None:
        """Stop the server (the port then refuses connections)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def messages(self) -> list[Mail]:
        """Every message delivered so far, oldest first."""
        paths = sorted(self.maildir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [
            Mail(email.message_from_bytes(p.read_bytes(), policy=email.policy.default), p)  # type: ignore[arg-type]
            for p in paths
        ]

    def wait(self, count: int = 1, *, to: str | None = None, timeout: float = 20) -> list[Mail]:
        """Wait until ``count`` messages (to ``to``, if given) have arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages() if to is None or to in m.to]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"{len(found)} of {count} mails arrived"
                return found
            time.sleep(0.05)

    def last(self, to: str, count: int = 1, timeout: float = 20) -> Mail:
        """The newest message to ``to`` once at least ``count`` have arrived for it."""
        return self.wait(count, to=to, timeout=timeout)[-1]


@contextmanager
def smtp_server(directory: Path, *args: str) -> Iterator[SmtpServer]:
    """A started SMTP server, stopped afterwards."""
    server = SmtpServer(free_port(), directory / "mail", list(args))
    server.maildir.mkdir(parents=True, exist_ok=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()
