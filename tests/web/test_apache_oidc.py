"""Apache httpd's mod_auth_openidc (Debian's packages) in front of a static page, configured
with jwtgate's discovery URL, a client id and a secret only. A real browser (Debian's
chromium, Playwright) opening the protected page is sent to jwtgate, signs in there and sees
the page with the user's claims; signing out at jwtgate ends the Apache session too, through
back-channel logout (OpenID Connect Back-Channel Logout 1.0)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from ..server.live import ADMIN_PASSWORD, Live, free_port, serve
from .apachekit import apache, apache_urls, require_apache
from .browserkit import CHROMIUM_FLAGS, SCREENSHOTS, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

PASSWORD = "apache oidc user password 42"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_apache()
    executable = chromium_path()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def admin(live: Live) -> dict[str, str]:
    token = httpx.post(
        live.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    return {"authorization": f"Bearer {token}"}


def test_mod_auth_openidc_signs_in_with_jwtgate_and_is_signed_out_by_back_channel(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve(tmp_path, port=port, JWTGATE_ISSUER=url) as live:
        headers = admin(live)
        user = httpx.post(
            live.url + "/admin/users",
            headers=headers,
            json={"username": "dora", "password": PASSWORD, "email": "dora@example.com"},
        )
        assert user.status_code == 201, user.text
        apache_port = free_port()
        redirect_uri, backchannel_uri = apache_urls(apache_port)
        client = httpx.post(
            live.url + "/admin/clients",
            headers=headers,
            json={
                "name": "Team wiki (Apache)",
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "scopes": ["openid", "profile", "email"],
                "backchannel_logout_uri": backchannel_uri,
                "first_party": True,
            },
        ).json()
        with apache(
            tmp_path,
            discovery=live.url + "/.well-known/openid-configuration",
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            port=apache_port,
        ) as httpd:
            context = browser.new_context()
            page = context.new_page()
            page.goto(httpd.url + "/protected/")
            expect(page).to_have_url(re.compile(re.escape(live.url + "/web/login")))
            page.get_by_label("Username").fill("dora")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            expect(page.locator("#user")).to_have_text("dora", timeout=15000)
            expect(page.locator("#email")).to_have_text("dora@example.com")
            assert page.url.startswith(httpd.url + "/protected/")
            page.screenshot(path=str(SCREENSHOTS / "apache_oidc_signed_in.png"))

            # Sign out at jwtgate (the account page's button): the SSO session ends, and with
            # it the Apache session, told by a logout token on the back channel.
            page.goto(live.url + "/web/account")
            page.get_by_role("button", name="Sign out dora").click()
            deadline = time.monotonic() + 30
            while True:
                page.goto(httpd.url + "/protected/")
                if page.url.startswith(live.url):
                    break  # Apache no longer knows the session: sent to sign in again
                assert time.monotonic() < deadline, httpd.log()[-3000:]
                time.sleep(0.5)
            expect(page.get_by_label("Password")).to_be_visible()
            events = httpx.get(
                live.url + "/admin/events",
                headers=admin(live),
                params={"type": "backchannel_logout_sent"},
            ).json()["items"]
            assert [e["detail"]["client_id"] for e in events] == [client["client_id"]]
            context.close()
