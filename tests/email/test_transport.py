"""The SMTP adapter against real servers: STARTTLS on a self-signed certificate, AUTH, an
outage with retries and back-off, and credentials kept out of reprs, errors and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from jwtgate.auth import build_auth
from jwtgate.auth.accounts import LogMailer, MailError
from jwtgate.store.smtp import SmtpMailer, SmtpTarget

from ..auth.authkit import FakeClock, fast_settings
from .mailkit import SmtpServer, free_port, self_signed, smtp_server


def _message(to: str = "ann@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@auth.test"
    message["To"] = to
    message["Subject"] = "hello"
    message.set_content("text part")
    message.add_alternative("<p>html part</p>", subtype="html")
    return message


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[SmtpServer, Path]]:
    cert, key = self_signed(tmp_path)
    with smtp_server(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key)) as server:
        yield server, cert


def test_starttls_with_a_self_signed_certificate_when_it_is_trusted(
    tls_smtp: tuple[SmtpServer, Path],
) -> None:
    server, cert = tls_smtp
    url = f"smtp+starttls://127.0.0.1:{server.port}"
    SmtpMailer(url, timeout=5, ca_file=str(cert)).send(_message())
    mail = server.wait(1)[0]
    assert mail.message["X-Test-TLS"] == "yes"
    assert mail.text.strip() == "text part"
    # Without trusting the certificate, no mail goes out (no silent downgrade either).
    with pytest.raises(MailError) as caught:
        SmtpMailer(url, timeout=5).send(_message())
    assert not caught.value.permanent
    # Plain smtp:// to a server that requires STARTTLS is refused by the server.
    with pytest.raises(MailError):
        SmtpMailer(f"smtp://127.0.0.1:{server.port}", timeout=5).send(_message())
    assert len(server.messages()) == 1


def test_auth_with_the_credentials_of_the_url_and_never_showing_them(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "--auth", "mailer:s3cr%t pass") as server:
        good = SmtpMailer(f"smtp://mailer:s3cr%25t%20pass@127.0.0.1:{server.port}", timeout=5)
        good.send(_message())
        assert server.wait(1)[0].message["X-Test-Auth"] == "mailer"
        bad = SmtpMailer(f"smtp://mailer:wrong-secret@127.0.0.1:{server.port}", timeout=5)
        with pytest.raises(MailError) as caught:
            bad.send(_message())
        assert caught.value.permanent
        for text in (str(caught.value), repr(bad), repr(bad.target), repr(good)):
            assert "wrong-secret" not in text and "s3cr" not in text
        assert len(server.messages()) == 1


def test_unusable_smtp_urls_are_refused_without_echoing_them() -> None:
    for url in ("http://user:hunter2@x", "smtp://user:hunter2@", "smtp://u:hunter2@h/path"):
        with pytest.raises(ValueError) as caught:
            SmtpTarget.parse(url)
        assert "hunter2" not in str(caught.value)
    assert SmtpTarget.parse("smtps://h").port == 465
    assert SmtpTarget.parse("smtp+starttls://h").port == 587
    assert SmtpTarget.parse("smtp://h").port == 25


def test_an_outage_is_retried_with_back_off_audited_and_delivered_when_the_server_is_back(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    port = free_port()
    server = SmtpServer(port, tmp_path / "mail", ["--auth", "user:pw-not-logged"])
    server.maildir.mkdir()
    settings = fast_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        smtp_url=f"smtp://user:pw-not-logged@127.0.0.1:{port}",
        smtp_timeout=2,
        mail_max_attempts=3,
    )
    auth = build_auth(settings, clock=clock)
    try:
        auth.create_user("ann", "Old-password-81", email="ann@example.com")
        auth.account_email.forgot("ann")
        auth.deliver_mail()  # resolves the request, then fails to connect
        auth.deliver_mail()  # not due yet: back-off
        failures = auth.list_events(type="mail_delivery_failed").items
        assert len(failures) == 1
        assert failures[0].detail["attempt"] == 1
        assert "pw-not-logged" not in str(failures[0].to_dict())
        clock.advance(2.5)
        auth.deliver_mail()
        assert len(auth.list_events(type="mail_delivery_failed").items) == 2
        server.start()
        try:
            clock.advance(3)
            auth.deliver_mail()  # not due until 4 s after the second failure
            assert server.messages() == []
            clock.advance(1.5)
            auth.deliver_mail()
            assert server.wait(1)[0].to == "ann@example.com"
            assert auth.list_events(type="mail_sent").items
        finally:
            server.stop()
        # Bounded: after mail_max_attempts failures the mail is given up, audited.
        auth.account_email.forgot("ann")
        for _ in range(4):
            clock.advance(60)
            auth.deliver_mail()
        assert auth.list_events(type="mail_failed").items
    finally:
        auth.close()


def test_without_smtp_mail_goes_to_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    auth = build_auth(fast_settings(f"sqlite:///{tmp_path / 'db.sqlite'}"), clock=FakeClock())
    try:
        assert isinstance(auth._ctx.mail.mailer, LogMailer)  # type: ignore[union-attr]
        auth.create_user("ann", "Old-password-81", email="ann@example.com")
        auth.account_email.forgot("ann")
        with caplog.at_level("WARNING", logger="jwtgate.mail"):
            auth.deliver_mail()
        assert "web/password/reset?token=" in caplog.text
    finally:
        auth.close()


def test_a_deployment_overrides_a_template_and_a_broken_one_fails_audited(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "password_reset.subject.txt").write_text(
        "Reset at {{ product }} for {{ username }}"
    )
    (templates / "verify_email.txt").write_text("{{ no_such_variable }}")
    settings = fast_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        smtp_url=smtp.url,
        mail_template_dir=str(templates),
        product_name="Acme",
    )
    auth = build_auth(settings, clock=FakeClock())
    try:
        user = auth.create_user("ann", "Old-password-81", email="ann@example.com")
        auth.account_email.forgot("ann")
        claims = auth.authenticate(auth.login("ann", "Old-password-81").access_token)
        auth.account_email.request_verification(claims)
        auth.deliver_mail()
        mail = smtp.wait(1)[0]
        assert mail.subject == "Reset at Acme for ann"
        assert mail.code in mail.text  # the other parts are still the built-in ones
        failed = auth.list_events(type="mail_failed").items
        assert [e.detail["kind"] for e in failed] == ["verify_email"]
        assert len(smtp.messages()) == 1
        assert user.id == failed[0].user_id
    finally:
        auth.close()
    with pytest.raises(ValueError, match="MAIL_TEMPLATE_DIR"):
        build_auth(fast_settings(settings.database_url, mail_template_dir=str(tmp_path / "none")))


def test_the_smtp_url_is_a_secret_setting() -> None:
    settings = fast_settings("sqlite://", smtp_url="smtps://u:hunter2@mail.example")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.safe_dict())
    assert settings.safe_dict()["smtp_url"] == "**********"
