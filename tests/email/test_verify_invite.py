"""Address verification, required verification at sign-in, email change and invitations,
through a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jwtgate.auth import AuthService, InvalidGrant, InvalidRequest
from jwtgate.auth.errors import EmailNotVerified

from ..auth.authkit import FakeClock
from .mailkit import SmtpServer

PASSWORD = "Old-password-81"
NEW = "Brand-new-pass-27"


def test_registration_mails_a_verification_and_the_code_verifies_with_the_bearer(
    make_auth: Callable[..., AuthService], smtp: SmtpServer
) -> None:
    auth = make_auth(allow_registration=True)
    user = auth.register("ann", PASSWORD, "ann@example.com")
    assert user.email_verified is False
    auth.deliver_mail()
    mail = smtp.last("ann@example.com")
    assert mail.subject == "Acme Login: confirm your email address"
    assert mail.link.startswith("https://auth.test/web/email/verify?token=")
    claims = auth.authenticate(auth.login("ann", PASSWORD).access_token)
    auth.account_email.verify(code=mail.code.lower(), claims=claims)
    assert auth.find_user("ann").email_verified is True
    assert auth.get_user(user.id).to_dict()["email_verified"] is True
    with pytest.raises(InvalidGrant):  # single use
        auth.account_email.verify(token=mail.token)


def test_a_verification_code_of_another_account_is_refused(
    auth: AuthService, smtp: SmtpServer
) -> None:
    ann = auth.create_user("ann", PASSWORD, email="ann@example.com")
    auth.create_user("bob", PASSWORD, email="bob@example.com")
    ann_claims = auth.authenticate(auth.login("ann", PASSWORD).access_token)
    bob_claims = auth.authenticate(auth.login("bob", PASSWORD).access_token)
    auth.account_email.request_verification(ann_claims)
    auth.deliver_mail()
    code = smtp.last("ann@example.com").code
    with pytest.raises(InvalidGrant):
        auth.account_email.verify(code=code, claims=bob_claims)
    auth.account_email.verify(code=code, claims=ann_claims)
    assert auth.get_user(ann.id).email_verified is True


def test_required_verification_refuses_sign_in_until_verified_with_a_resend_path(
    make_auth: Callable[..., AuthService], smtp: SmtpServer, clock: FakeClock
) -> None:
    auth = make_auth(allow_registration=True, require_verified_email=True)
    with pytest.raises(InvalidRequest):
        auth.register("nomail", PASSWORD)  # an address is needed to verify
    auth.register("ann", PASSWORD, "ann@example.com")
    with pytest.raises(EmailNotVerified) as caught:
        auth.login("ann", PASSWORD)
    assert "verify/request" in str(caught.value)
    with pytest.raises(InvalidGrant):  # a wrong password still says only that
        auth.login("ann", "wrong-password-1")
    clock.advance(1)
    auth.account_email.request_verification_for("ann")  # the resend path, no bearer
    auth.account_email.request_verification_for("nobody")  # same answer, no mail
    auth.deliver_mail()
    mails = smtp.wait(2, to="ann@example.com")
    assert len(smtp.messages()) == 2
    auth.account_email.verify(token=mails[-1].token)
    assert auth.login("ann", PASSWORD).access_token


def test_an_admin_set_address_is_unverified_unless_the_admin_says_so(auth: AuthService) -> None:
    user = auth.create_user("ann", PASSWORD, email="ann@example.com")
    assert user.email_verified is False
    trusted = auth.create_user("bob", PASSWORD, email="bob@example.com", email_verified=True)
    assert trusted.email_verified is True
    changed = auth.update_user(trusted.id, email="bob@new.example")
    assert (changed.email, changed.email_verified) == ("bob@new.example", False)
    again = auth.update_user(trusted.id, email_verified=True)
    assert again.email_verified is True
    assert auth.update_user(trusted.id, roles=["x"]).email_verified is True


def test_email_change_confirms_the_new_address_and_notifies_the_old(
    auth: AuthService, smtp: SmtpServer
) -> None:
    user = auth.create_user("ann", PASSWORD, email="ann@example.com")
    claims = auth.authenticate(auth.login("ann", PASSWORD).access_token)
    with pytest.raises(InvalidGrant):
        auth.account_email.change_email(claims, "ann@new.example", "wrong-password-1")
    auth.account_email.change_email(claims, "ann@new.example", PASSWORD)
    auth.deliver_mail()
    confirm = smtp.last("ann@new.example")
    notice = smtp.last("ann@example.com")
    assert confirm.subject == "Acme Login: confirm your new email address"
    assert "ann@new.example" in notice.text and "token=" not in notice.text
    assert auth.get_user(user.id).email == "ann@example.com"  # not until confirmed
    auth.account_email.verify(token=confirm.token)
    changed = auth.get_user(user.id)
    assert (changed.email, changed.email_verified) == ("ann@new.example", True)


def test_an_invitation_sets_the_first_password_and_can_be_resent_and_revoked(
    auth: AuthService, smtp: SmtpServer, clock: FakeClock
) -> None:
    with pytest.raises(InvalidRequest):
        auth.create_user("cat", "", email=None, invite=True)
    with pytest.raises(InvalidRequest):
        auth.create_user("cat", PASSWORD, email="cat@example.com", invite=True)
    user = auth.create_user("cat", "", email="cat@example.com", invite=True)
    auth.deliver_mail()
    first = smtp.last("cat@example.com")
    assert first.subject == "You are invited to Acme Login"
    assert first.link.startswith("https://auth.test/web/invite?token=")
    assert "7 days" in first.text
    assert auth.account_email.invitation_pending(user.id)
    auth.account_email.invite(user.id)  # resend: the first one stops working
    auth.deliver_mail()
    second = smtp.last("cat@example.com", count=2)
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, token=first.token)
    auth.account_email.revoke_invite(user.id)
    assert not auth.account_email.invitation_pending(user.id)
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, token=second.token)
    auth.account_email.invite(user.id)
    auth.deliver_mail()
    third = smtp.last("cat@example.com", count=3)
    clock.advance(6 * 86400)  # still valid after 6 days
    auth.account_email.reset(NEW, token=third.token)
    assert auth.login("cat", NEW).access_token
    assert auth.get_user(user.id).email_verified is True
    assert auth.list_events(type="invitation_accepted").items


def test_an_invitation_expires_after_seven_days(
    auth: AuthService, smtp: SmtpServer, clock: FakeClock
) -> None:
    auth.create_user("cat", "", email="cat@example.com", invite=True)
    auth.deliver_mail()
    mail = smtp.last("cat@example.com")
    clock.advance(7 * 86400 + 1)
    with pytest.raises(InvalidGrant):
        auth.account_email.reset(NEW, token=mail.token)


def test_an_invitation_revoked_before_it_went_out_is_never_sent(
    auth: AuthService, smtp: SmtpServer
) -> None:
    user = auth.create_user("cat", "", email="cat@example.com", invite=True)
    assert auth.account_email.invitation_pending(user.id)  # queued counts as open
    auth.account_email.revoke_invite(user.id)
    assert not auth.account_email.invitation_pending(user.id)
    auth.deliver_mail()
    assert smtp.messages() == []
