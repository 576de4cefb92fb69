"""Password reset through a real SMTP server: the mail, the link and the code, single use,
expiry, the newest code only, another account's code, and the throttles."""

from __future__ import annotations

import pytest

from jwtgate.auth import AuthService, InvalidGrant, Throttled, WeakPassword

from ..auth.authkit import FakeClock
from .mailkit import SmtpServer

PASSWORD = "Old-password-81"
NEW = "Brand-new-pass-27"


def _user(auth: AuthService, name: str = "ann", email: str = "ann@example.com") -> str:
    return auth.create_user(name, PASSWORD, email=email).id


def test_the_reset_mail_has_a_text_and_an_html_part_with_the_link_and_the_code(
    auth: AuthService, smtp: SmtpServer
) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    mail = smtp.last("ann@example.com")
    assert mail.subject == "Acme Login: reset your password"
    assert "noreply@auth.test" in str(mail.message["From"])
    assert mail.link.startswith("https://auth.test/web/password/reset?token=")
    assert mail.code in mail.text and mail.code in mail.html
    assert mail.link.replace("&", "&amp;") in mail.html
    assert "15 minutes" in mail.text


def test_a_code_resets_the_password_ignoring_dashes_spaces_and_case_and_revokes_sessions(
    auth: AuthService, smtp: SmtpServer
) -> None:
    _user(auth)
    pair = auth.login("ann", PASSWORD)
    auth.account_email.forgot("ann@example.com")  # by address works too
    auth.deliver_mail()
    code = smtp.last("ann@example.com").code
    typed = " " + code.replace("-", " ").lower() + " "
    auth.account_email.reset(NEW, code=typed, login="ann")
    assert auth.login("ann", NEW).access_token
    with pytest.raises(InvalidGrant):
        auth.login("ann", PASSWORD)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")
    auth.deliver_mail()
    notice = smtp.last("ann@example.com", count=2)
    assert notice.subject == "Acme Login: your password was changed"
    # The mail proved the address: it is verified now.
    assert auth.find_user("ann").email_verified is True


def test_a_link_token_works_once(auth: AuthService, smtp: SmtpServer) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    token = smtp.last("ann@example.com").token
    auth.account_email.reset(NEW, token=token)
    with pytest.raises(InvalidGrant):
        auth.account_email.reset("Another-pass-93", token=token)
    assert auth.login("ann", NEW).access_token


def test_an_expired_code_and_link_are_refused(
    auth: AuthService, smtp: SmtpServer, clock: FakeClock
) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    mail = smtp.last("ann@example.com")
    clock.advance(15 * 60 + 1)
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, token=mail.token)
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, code=mail.code, login="ann")
    assert auth.login("ann", PASSWORD).access_token


def test_only_the_newest_code_works(auth: AuthService, smtp: SmtpServer, clock: FakeClock) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    first = smtp.last("ann@example.com")
    clock.advance(1)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    second = smtp.last("ann@example.com", count=2)
    assert first.code != second.code
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, token=first.token)
    auth.account_email.reset(NEW, code=second.code, login="ann")


def test_a_code_of_another_account_is_refused(auth: AuthService, smtp: SmtpServer) -> None:
    _user(auth)
    _user(auth, "bob", "bob@example.com")
    auth.account_email.forgot("ann")
    auth.account_email.forgot("bob")
    auth.deliver_mail()
    ann = smtp.last("ann@example.com")
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, code=ann.code, login="bob")
    assert auth.login("bob", PASSWORD).access_token
    auth.account_email.reset(NEW, code=ann.code, login="ann")


def test_five_wrong_codes_use_the_code_up(auth: AuthService, smtp: SmtpServer) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    code = smtp.last("ann@example.com").code
    wrong = "2222-2222" if code != "2222-2222" else "3333-3333"
    for _ in range(5):
        with pytest.raises(InvalidGrant):
            auth.account_email.reset(NEW, code=wrong, login="ann")
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, code=code, login="ann")


def test_a_weak_password_leaves_the_token_usable(auth: AuthService, smtp: SmtpServer) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    token = smtp.last("ann@example.com").token
    with pytest.raises(WeakPassword):
        auth.account_email.reset("password", token=token)
    auth.account_email.reset(NEW, token=token)


def test_an_unknown_account_gets_no_mail_and_the_same_answer(
    auth: AuthService, smtp: SmtpServer
) -> None:
    _user(auth)
    assert auth.account_email.forgot("nobody") is None
    assert auth.account_email.forgot("nobody@example.com") is None
    assert auth.account_email.forgot("ann") is None
    auth.deliver_mail()
    assert [m.to for m in smtp.wait(1)] == ["ann@example.com"]


def test_at_most_three_mails_per_account_in_fifteen_minutes(
    auth: AuthService, smtp: SmtpServer, clock: FakeClock
) -> None:
    _user(auth)
    for _ in range(5):
        auth.account_email.forgot("ann")  # still accepted: the answer must not tell
        auth.deliver_mail()
    assert len(smtp.wait(3)) == 3
    assert auth.list_events(type="mail_throttled").items
    clock.advance(15 * 60 + 1)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    assert len(smtp.wait(4)) == 4


def test_twenty_requests_from_one_address_then_429(auth: AuthService, clock: FakeClock) -> None:
    for i in range(20):
        auth.account_email.forgot(f"someone{i}", ip="192.0.2.7")
    with pytest.raises(Throttled) as caught:
        auth.account_email.forgot("ann", ip="192.0.2.7")
    assert 0 < caught.value.retry_after <= 15 * 60 + 1
    auth.account_email.forgot("ann", ip="192.0.2.8")  # another address is not affected
    clock.advance(15 * 60 + 1)
    auth.account_email.forgot("ann", ip="192.0.2.7")


def test_wrong_codes_from_one_address_are_throttled(auth: AuthService) -> None:
    for _ in range(20):
        with pytest.raises(InvalidGrant):
            auth.account_email.reset(NEW, code="2222-2222", login="ann", ip="192.0.2.9")
    with pytest.raises(Throttled):
        auth.account_email.reset(NEW, code="2222-2222", login="ann", ip="192.0.2.9")


def test_a_disabled_account_gets_no_reset_mail(auth: AuthService, smtp: SmtpServer) -> None:
    user_id = _user(auth)
    _user(auth, "bob", "bob@example.com")
    auth.update_user(user_id, disabled=True)
    auth.account_email.forgot("ann")
    auth.account_email.forgot("bob")
    auth.deliver_mail()
    assert [m.to for m in smtp.wait(1)] == ["bob@example.com"]


def test_no_table_holds_a_mailed_token_or_code_in_clear(
    auth: AuthService, smtp: SmtpServer
) -> None:
    from sqlalchemy import inspect, text

    _user(auth)
    auth.account_email.forgot("ann")
    auth.create_user("cat", "", email="cat@example.com", invite=True)
    auth.deliver_mail()
    secrets: list[str] = []
    for mail in smtp.wait(2):
        secrets += [mail.token, mail.code, mail.code.replace("-", "")]
    engine = auth.store.engine  # type: ignore[attr-defined]
    dump = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            dump += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    everything = "\n".join(dump)
    assert "ann@example.com" in everything  # the dump does see the data
    for secret in secrets:
        assert secret not in everything


def test_used_tokens_and_finished_mail_are_pruned(
    auth: AuthService, smtp: SmtpServer, clock: FakeClock
) -> None:
    _user(auth)
    auth.account_email.forgot("ann")
    auth.deliver_mail()
    auth.account_email.reset(NEW, token=smtp.last("ann@example.com").token)
    auth.deliver_mail()
    assert auth.prune()["account_tokens"] == 0  # kept a day, for the record
    clock.advance(86400 + 1)
    assert auth.prune()["account_tokens"] == 1
    clock.advance(7 * 86400)
    assert auth.prune()["mail_outbox"] == 3  # the request, the reset mail, the notice


def test_an_address_shared_by_two_accounts_mails_each_its_own_code(
    auth: AuthService, smtp: SmtpServer
) -> None:
    _user(auth, "ann", "family@example.com")
    _user(auth, "bob", "family@example.com")
    auth.account_email.forgot("FAMILY@example.com")
    auth.deliver_mail()
    mails = smtp.wait(2, to="family@example.com")
    by_name = {("ann" if "Hello ann" in m.text else "bob"): m for m in mails}
    assert set(by_name) == {"ann", "bob"}
    with pytest.raises(InvalidGrant):  # the code names its account, whatever the login
        auth.account_email.reset(NEW, code=by_name["ann"].code, login="bob")
    auth.account_email.reset(NEW, code=by_name["bob"].code, login="family@example.com")
    assert auth.login("bob", NEW).access_token
    assert auth.login("ann", PASSWORD).access_token
