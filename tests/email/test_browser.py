"""The account-email pages in a real browser (Debian's chromium via Playwright) against a real
``jwtgate serve`` that mails through a real SMTP server: forgot and reset by link and by code,
an invitation, confirming an address and changing it, and sign-in that waits for a confirmed
address. Every field is found by its label and every page by its heading, as a screen reader
would. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ..web.browserkit import (
    ADMIN_PASSWORD,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    Server,
    chromium_path,
    publish_screenshots,
    serve,
)
from .mailkit import SmtpServer, smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NEW = "Brand-new-pass-27"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("email-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
    publish_screenshots()


@pytest.fixture(scope="module")
def smtp(workdir: Path) -> Iterator[SmtpServer]:
    with smtp_server(workdir) as server:
        yield server


@pytest.fixture(scope="module")
def server(browser: Browser, workdir: Path, smtp: SmtpServer) -> Iterator[Server]:
    with serve(workdir, JWTGATE_SMTP_URL=smtp.url) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 760})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: Server, username: str, password: str) -> None:
    page.goto(server.url + "/web/login")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def create_user(page: Page, server: Server, name: str, email: str, *, invite: bool) -> None:
    sign_in(page, server, "admin", ADMIN_PASSWORD)
    page.goto(server.url + "/web/admin/users")
    page.get_by_label("Username", exact=True).fill(name)
    page.get_by_label("Email (optional)").fill(email)
    if invite:
        page.get_by_label("Invite by email").check()
    else:
        page.get_by_label("Initial password").fill("Old-password-81")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def local_link(server: Server, link: str) -> str:
    """The mailed link on this test server (links use its issuer, which is this server)."""
    return server.url + link[link.index("/web/") :]


def test_forgot_then_reset_by_the_mailed_link(
    server: Server, smtp: SmtpServer, page: Page, browser: Browser
) -> None:
    admin = browser.new_page()
    create_user(admin, server, "ann", "ann@example.com", invite=False)
    admin.close()
    page.goto(server.url + "/web/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password")
    page.get_by_label("Username or email").fill("ann@example.com")
    shot(page, "password_forgot")
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account matches")
    mail = smtp.last("ann@example.com")
    page.goto(local_link(server, mail.link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    expect(page.get_by_text("For the account ann")).to_be_visible()
    page.get_by_label("New password").fill(NEW)
    page.get_by_label("Password again").fill(NEW)
    shot(page, "password_reset")
    page.get_by_role("button", name="Set the new password").click()
    expect(page).to_have_url(server.url + "/web/login")
    expect(page.get_by_role("status")).to_have_text(
        "Your password is set. You can sign in with it now."
    )
    sign_in(page, server, "ann", NEW)
    expect(page).to_have_url(server.url + "/web/account")
    # The link is used up: opening it again says so, with a way to ask for a new one.
    page.goto(local_link(server, mail.link))
    expect(page.get_by_role("alert")).to_contain_text("not valid any more")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


def test_reset_by_the_mailed_code(server: Server, smtp: SmtpServer, page: Page) -> None:
    page.goto(server.url + "/web/password/forgot")
    page.get_by_label("Username or email").fill("ann")
    page.get_by_role("button", name="Send me a reset link").click()
    page.get_by_role("link", name="Enter the code").click()
    mail = smtp.last("ann@example.com", count=3)  # after the reset and its notice
    page.get_by_label("Username or email").fill("ann")
    page.get_by_label("Code from the mail").fill(mail.code.lower().replace("-", " "))
    page.get_by_label("New password").fill("Third-password-55")
    page.get_by_label("Password again").fill("Third-password-55")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    sign_in(page, server, "ann", "Third-password-55")
    expect(page).to_have_url(server.url + "/web/account")


def test_an_invitation_from_the_console_is_accepted_in_the_browser(
    server: Server, smtp: SmtpServer, page: Page, browser: Browser
) -> None:
    admin = browser.new_page()
    create_user(admin, server, "cat", "cat@example.com", invite=True)
    expect(admin.locator("#user-invitation")).to_contain_text("open")
    expect(admin.get_by_role("button", name="Revoke the invitation")).to_be_visible()
    shot(admin, "admin_user_invited")
    mail = smtp.last("cat@example.com")
    assert mail.subject == "You are invited to jwtgate"
    page.goto(local_link(server, mail.link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Accept the invitation")
    page.get_by_label("Password", exact=True).fill(NEW)
    page.get_by_label("Password again").fill(NEW)
    shot(page, "invite")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    sign_in(page, server, "cat", NEW)
    expect(page).to_have_url(server.url + "/web/account")
    admin.reload()
    expect(admin.locator("#user-invitation")).to_contain_text("none open")
    expect(admin.locator("#user-email")).to_contain_text("confirmed")
    admin.close()


def test_confirm_the_address_then_change_it(server: Server, smtp: SmtpServer, page: Page) -> None:
    sign_in(page, server, "ann", "Third-password-55")
    page.get_by_role("link", name="Email address and confirmation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email address")
    page.get_by_label("New address").fill("ann@new.example")
    page.get_by_label("Current password").fill("Third-password-55")
    shot(page, "account_email")
    page.get_by_role("button", name="Change my address").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a confirmation to ann@new.example")
    notice = smtp.last("ann@example.com", count=5)
    assert "ann@new.example" in notice.text
    confirm = smtp.last("ann@new.example")
    page.goto(local_link(server, confirm.link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    shot(page, "email_verify")
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("status")).to_have_text("Your email address is confirmed.")
    page.goto(server.url + "/web/account/email")
    expect(page.locator("#current-email")).to_have_text("ann@new.example")
    expect(page.locator("#email-state")).to_have_text("confirmed")


def test_the_account_email_pages_fit_a_phone_screen(server: Server, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, server, "ann", "Third-password-55")
    for path in (
        "/web/password/forgot",
        "/web/password/reset",
        "/web/email/verify",
        "/web/account/email",
        "/web/invite?token=x",
    ):
        page.goto(server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    shot(page, "account_email_phone")
    context.close()


def test_sign_in_waits_for_a_confirmed_address_and_offers_a_new_mail(
    browser: Browser, workdir: Path, smtp: SmtpServer
) -> None:
    with serve(
        workdir,
        JWTGATE_SMTP_URL=smtp.url,
        JWTGATE_REQUIRE_VERIFIED_EMAIL="true",
        JWTGATE_ALLOW_REGISTRATION="true",
    ) as strict:
        page = browser.new_page()
        page.goto(strict.url + "/web/register")
        page.get_by_label("Username").fill("dan")
        page.get_by_label("Email").fill("dan@example.com")
        page.get_by_label("Password", exact=True).fill(NEW)
        page.get_by_label("Password again").fill(NEW)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("status")).to_have_text(
            "Account dan created. We sent a confirmation to dan@example.com. "
            "Open its link to be able to sign in."
        )
        sign_in(page, strict, "dan", NEW)
        expect(page.get_by_role("alert")).to_contain_text("Confirm your email address first")
        shot(page, "login_unverified")
        page.get_by_role("button", name="Send a new confirmation mail").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
        mail = smtp.last("dan@example.com", count=2)  # the one from sign-up, then this one
        page.goto(local_link(strict, mail.link))
        page.get_by_role("button", name="Confirm my address").click()
        expect(page).to_have_url(re.compile(r"/web/login$"))
        sign_in(page, strict, "dan", NEW)
        expect(page).to_have_url(strict.url + "/web/account")
        page.close()
