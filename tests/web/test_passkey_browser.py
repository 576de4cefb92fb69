"""Passkeys in a real browser: Debian's chromium driven by Playwright, with the virtual
authenticator of the DevTools protocol (``WebAuthn.enable``, ``addVirtualAuthenticator``
with resident keys and user verification), on ``http://localhost`` (an RP id cannot be an
IP). Registration, sign-in as a second factor, passwordless sign-in, removal; the browser
makes every credential, jwtgate's API checks them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .browserkit import ADMIN_PASSWORD, CHROMIUM_FLAGS, chromium_path, free_port, serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

CREATE = """async (options) => {
  const cred = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  return cred.toJSON();
}"""
GET = """async (options) => {
  const cred = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  return cred.toJSON();
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    url = f"http://localhost:{port}"
    with serve(tmp_path_factory.mktemp("passkeys"), port, JWTGATE_PUBLIC_URL=url):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_FLAGS, "--host-resolver-rules=MAP localhost 127.0.0.1"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(site + "/web/login")
    cdp = context.new_cdp_session(tab)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield tab
    context.close()


def _login(api: httpx.Client) -> httpx.Response:
    return api.post("/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})


def test_register_then_second_factor_then_passwordless_then_remove(page: Page, site: str) -> None:
    with httpx.Client(base_url=site.replace("localhost", "127.0.0.1"), timeout=30) as api:
        token = _login(api).json()["access_token"]
        headers = {"authorization": f"Bearer {token}"}
        options = api.post("/auth/mfa/webauthn/register/options", headers=headers).json()
        credential: dict[str, Any] = page.evaluate(CREATE, options)
        added = api.post(
            "/auth/mfa/webauthn/register/verify",
            json={"credential": credential, "name": "Chromium"},
            headers=headers,
        )
        assert added.status_code == 200, added.text

        step = _login(api)
        assert step.status_code == 401 and step.json()["methods"] == ["webauthn"]
        assertion = page.evaluate(GET, step.json()["webauthn"])
        second = api.post(
            "/auth/login/mfa",
            json={
                "mfa_token": step.json()["mfa_token"],
                "method": "webauthn",
                "credential": assertion,
            },
        )
        assert second.status_code == 200, second.text
        strong = {"authorization": f"Bearer {second.json()['access_token']}"}

        request = api.post("/auth/login/webauthn/options").json()
        alone = api.post("/auth/login/webauthn", json={"credential": page.evaluate(GET, request)})
        assert alone.status_code == 200, alone.text

        listed = api.get("/auth/mfa", headers=strong).json()
        assert [p["name"] for p in listed["webauthn"]] == ["Chromium"]
        gone = api.delete(f"/auth/mfa/webauthn/{added.json()['id']}", headers=strong)
        assert gone.status_code == 204
        assert _login(api).status_code == 200  # a password alone again


def test_the_browser_refuses_a_relying_party_of_another_site(page: Page, site: str) -> None:
    with httpx.Client(base_url=site.replace("localhost", "127.0.0.1"), timeout=30) as api:
        token = _login(api).json()["access_token"]
        options = api.post(
            "/auth/mfa/webauthn/register/options", headers={"authorization": f"Bearer {token}"}
        ).json()
        options["rp"]["id"] = "evil.example"
        with pytest.raises(Exception, match=r"SecurityError|not a registrable|invalid"):
            page.evaluate(CREATE, options)


def test_the_web_pages_add_a_passkey_and_sign_in_with_it(page: Page, site: str) -> None:
    page.goto(site + "/web/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(site + "/web/account/mfa")
    page.fill("#passkey-name", "Web passkey")
    with page.expect_navigation():
        page.click("#add-passkey")
    assert "Passkey added." in page.content()
    assert page.locator(".passkey-name").all_inner_texts() == ["Web passkey"]

    # Passwordless, from the sign-in page.
    page.context.clear_cookies()
    page.goto(site + "/web/login")
    with page.expect_navigation(url=site + "/web/account"):
        page.click("#passkey-sign-in")
    assert "admin" in page.inner_text("#me-username")

    # The passkey as the second step after the password.
    page.context.clear_cookies()
    page.goto(site + "/web/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button:has-text('Sign in')")
    with page.expect_navigation(url=site + "/web/account"):
        page.click("#use-passkey")

    # Removal from the factor page.
    page.goto(site + "/web/account/mfa")
    with page.expect_navigation():
        page.click("#passkeys button:has-text('Remove')")
    assert "Passkey removed." in page.content()
