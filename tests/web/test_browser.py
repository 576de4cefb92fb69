"""The pages in a real browser (Debian's chromium, headless, driven by Playwright) against a
real ``jwtgate serve``. Each scenario is what a person does; screenshots of every page go to
test-output/screenshots/ (``make screenshots`` also copies them to docs/screenshots/).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .browserkit import (
    ADMIN_PASSWORD,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    Server,
    attacker_site,
    chromium_path,
    publish_screenshots,
    serve,
)
from .test_inspector import tamper

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

DESKTOP = {"width": 1100, "height": 760}
PHONE = {"width": 390, "height": 844}
NewContext = Callable[..., BrowserContext]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


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
def server(browser: Browser, workdir: Path) -> Iterator[Server]:
    with serve(workdir) as running:
        yield running


@pytest.fixture(scope="module")
def short_server(browser: Browser, workdir: Path) -> Iterator[Server]:
    """Access tokens live 2 s and no leeway, so expiry happens within a test; sign-up on."""
    with serve(
        workdir, JWTGATE_ACCESS_TTL="2", JWTGATE_LEEWAY="0", JWTGATE_ALLOW_REGISTRATION="true"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def tabs_server(browser: Browser, workdir: Path) -> Iterator[Server]:
    """Access tokens live 34 s: the pages' scripts renew them 30 s before expiry, so every tab
    opened under one token renews at the same instant, 4 s after sign-in."""
    with serve(workdir, JWTGATE_ACCESS_TTL="34", JWTGATE_LEEWAY="0") as running:
        yield running


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """Fresh browser profiles (separate cookie jars); console CSP violations fail the test."""
    contexts: list[BrowserContext] = []
    violations: list[str] = []

    def make(**options: object) -> BrowserContext:
        context = browser.new_context(viewport=options.pop("viewport", DESKTOP), **options)  # type: ignore[arg-type]
        context.on(
            "console",
            lambda msg: (
                violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert violations == []


def shot(page: Page, name: str) -> None:
    """Save a screenshot of the whole page under test-output/screenshots/."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: Server, username: str, password: str) -> None:
    page.goto(server.url + "/web/login")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def access_cookie(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "jwtgate_at")


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def test_sign_in_see_the_session_and_watch_it_die_when_signed_out_elsewhere(
    server: Server, new_context: NewContext
) -> None:
    first = new_context().new_page()
    first.goto(server.url + "/web/login")
    shot(first, "login")
    sign_in(first, server, "admin", ADMIN_PASSWORD)
    expect(first).to_have_url(server.url + "/web/account")
    rows = first.locator("#sessions tr.session")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Chrome (headless) on Linux")
    expect(rows.first).to_contain_text("this device")
    expect(rows.first).to_contain_text("127.0.0.1")

    second = new_context().new_page()
    sign_in(second, server, "admin", ADMIN_PASSWORD)
    expect(second.locator("#sessions tr.session")).to_have_count(2)
    shot(second, "account")
    second.locator("#sessions tr.session:not(.current)").get_by_role("button").click()
    expect(second.get_by_role("status")).to_have_text("That session has been signed out.")
    expect(second.locator("#sessions tr.session")).to_have_count(1)

    first.reload()
    expect(first).to_have_url(re.compile(r"/web/login\?ended=1"))
    expect(first.get_by_text("Your session has ended")).to_be_visible()
    second.reload()
    expect(second).to_have_url(server.url + "/web/account")


def test_admin_creates_a_user_who_then_signs_in(server: Server, new_context: NewContext) -> None:
    admin = new_context().new_page()
    sign_in(admin, server, "admin", ADMIN_PASSWORD)
    admin.get_by_role("link", name="Users").click()
    admin.get_by_label("Username", exact=True).fill("grace")
    admin.get_by_label("Initial password").fill("Grace-hopper-1906")
    admin.get_by_label("Roles").fill("editor")
    admin.get_by_role("button", name="Create user").click()
    expect(admin.get_by_role("status")).to_have_text("User grace created.")
    expect(admin.get_by_role("heading", level=1)).to_have_text("grace")
    shot(admin, "admin_user")
    admin.get_by_role("link", name="← All users").click()
    expect(admin.locator("#users")).to_contain_text("grace")
    shot(admin, "admin_users")

    admin.get_by_role("link", name="Keys").click()
    admin.get_by_role("button", name="Rotate signing key").click()
    expect(admin.get_by_role("status")).to_contain_text("now signs.")
    expect(admin.locator("#keys tr.key.access")).to_have_count(2)
    expect(admin.locator("#keys tr.key.access.retired")).to_have_count(1)
    expect(admin.locator("#keys tr.key.id_token.active")).to_have_count(2)  # RS256, ES256
    shot(admin, "admin_keys")
    admin.get_by_role("link", name="Clients").click()
    admin.get_by_label("Name", exact=True).fill("reports-service")
    admin.get_by_label("Scopes").fill("reports:read")
    admin.get_by_role("button", name="Create client").click()
    expect(admin.locator("#client-secret")).not_to_be_empty()
    shot(admin, "admin_clients")
    admin.get_by_role("link", name="Audit log").click()
    admin.get_by_label("Event type").fill("user_created")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.locator("#events tbody tr")).to_have_count(1)
    expect(admin.locator("#events")).to_contain_text("grace")
    admin.get_by_role("link", name="Clear filters").click()
    shot(admin, "admin_events")

    grace = new_context(viewport=PHONE).new_page()
    sign_in(grace, server, "grace", "Grace-hopper-1906")
    expect(grace).to_have_url(server.url + "/web/account")
    expect(grace.locator("#me-username")).to_have_text("grace")
    expect(grace.locator("#me-roles")).to_contain_text("editor")
    expect(grace.get_by_role("link", name="Users")).to_have_count(0)  # not an admin
    shot(grace, "account_phone")
    grace.goto(server.url + "/web/admin/users")
    expect(grace.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_every_page_fits_a_phone_screen(server: Server, new_context: NewContext) -> None:
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, server, "admin", ADMIN_PASSWORD)
    for path in (
        "/web/account",
        "/web/admin/users",
        "/web/admin/keys",
        "/web/admin/clients",
        "/web/admin/events",
        "/web/inspect",
        "/web/login",
    ):
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    page.goto(server.url + "/web/admin/keys")
    shot(page, "admin_keys_phone")


def test_wrong_password_shows_the_error_then_the_throttle(
    server: Server, new_context: NewContext
) -> None:
    page = new_context().new_page()
    sign_in(page, server, "admin", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("admin")
    shot(page, "login_error")
    # A name of its own, so the throttle does not lock the admin out of other scenarios.
    for _ in range(5):
        sign_in(page, server, "mallory", "guess")
    sign_in(page, server, "mallory", "guess")
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-in attempts")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"wait \d+ seconds"))
    shot(page, "login_throttled")


def test_keyboard_skip_link_and_visible_focus(server: Server, new_context: NewContext) -> None:
    page = new_context().new_page()
    page.goto(server.url + "/web/inspect")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    expect(page.get_by_label("JWT")).to_be_focused()  # the first control after the skip
    page.goto(server.url + "/web/login")
    expect(page.get_by_label("Username", exact=True)).to_be_focused()  # autofocus
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url + "/web/account")


def test_a_cross_site_form_post_is_rejected_by_csrf(
    server: Server, new_context: NewContext
) -> None:
    context = new_context()
    victim = context.new_page()
    sign_in(victim, server, "admin", ADMIN_PASSWORD)
    expect(victim).to_have_url(server.url + "/web/account")
    sessions_before = victim.locator("#sessions tr.session").count()
    with attacker_site(server.url + "/web/session/logout-all") as prize:
        evil = context.new_page()
        evil.goto(prize)
        evil.get_by_role("button", name="Claim").click()
        expect(evil.get_by_role("heading", name="Request rejected")).to_be_visible()
        expect(evil.locator("main")).to_contain_text("CSRF protection")
        shot(evil, "csrf_rejected")
    victim.reload()
    expect(victim).to_have_url(server.url + "/web/account")
    expect(victim.locator("#sessions tr.session")).to_have_count(sessions_before)


def test_no_token_is_ever_visible_to_page_javascript(
    server: Server, new_context: NewContext
) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, server, "admin", ADMIN_PASSWORD)
    token = access_cookie(context)
    for path in ("/web/account", "/web/admin/users", "/web/inspect", "/web/login"):
        page.goto(server.url + path)
        assert page.evaluate("document.cookie") == "", path
        storage = page.evaluate("JSON.stringify([localStorage, sessionStorage])")
        assert token not in storage and token not in page.content(), path
    by_name = {c["name"]: c for c in context.cookies()}
    for name in ("jwtgate_at", "jwtgate_rt", "jwtgate_csrf"):
        assert by_name[name]["httpOnly"] and by_name[name]["sameSite"] == "Strict", name
    assert by_name["jwtgate_rt"]["path"] == "/web/session"
    # Page scripts can call the API with the cookie (same origin) but still never see a token.
    me = page.evaluate("fetch('/auth/me').then(r => r.text())")
    assert token not in me


def test_sign_up_then_the_inspector_explains_valid_tampered_and_expired(
    short_server: Server, new_context: NewContext
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto(short_server.url + "/web/login")
    page.get_by_role("link", name="Create one").click()
    page.get_by_label("Username").fill("heidi")
    page.get_by_label("Password", exact=True).fill("Heidi-sign-up-77")
    page.get_by_label("Password again").fill("Heidi-sign-up-77")
    shot(page, "register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Account heidi created")
    sign_in(page, short_server, "heidi", "Heidi-sign-up-77")
    expect(page).to_have_url(short_server.url + "/web/account")
    token = access_cookie(context)

    def inspect(value: str) -> None:
        page.goto(short_server.url + "/web/inspect")
        page.get_by_label("JWT").fill(value)
        page.get_by_role("button", name="Inspect").click()

    inspect(token)
    expect(page.locator("#verdict-h")).to_have_text("✔ Valid")
    expect(page.locator("#token-claims")).to_contain_text('"preferred_username": "heidi"')
    shot(page, "inspect_valid")
    inspect(tamper(token))
    expect(page.locator("#verdict-h")).to_have_text("✘ Signature does not verify")
    expect(page.locator("#checks tr.check.fail")).to_contain_text("Signature")
    expect(page.locator("#token-claims")).to_contain_text('"admin"')
    shot(page, "inspect_tampered")
    wait_until = float(claims_of(token)["exp"]) + 0.3  # type: ignore[arg-type]
    time.sleep(max(0.0, wait_until - time.time()))  # a real server: no clock to inject
    inspect(token)
    expect(page.locator("#verdict-h")).to_have_text("✘ Expired")
    expect(page.locator("#verdict-reason")).to_contain_text("The token expired")
    expect(page.locator("#times")).to_contain_text("UTC")
    shot(page, "inspect_expired")
    assert token not in short_server.output()  # never logged


def test_silent_refresh_keeps_the_person_signed_in(
    short_server: Server, new_context: NewContext
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto(short_server.url + "/web/register")
    page.get_by_label("Username").fill("ivan")
    page.get_by_label("Password", exact=True).fill("Ivan-refresh-1234")
    page.get_by_label("Password again").fill("Ivan-refresh-1234")
    page.get_by_role("button", name="Create account").click()
    sign_in(page, short_server, "ivan", "Ivan-refresh-1234")
    expect(page).to_have_url(short_server.url + "/web/account")
    first = access_cookie(context)
    # The page's script renews the cookie before it expires (here: within about a second).
    with page.expect_response(
        lambda r: r.url.endswith("/web/session/refresh") and r.request.method == "POST"
    ) as renewal:
        pass
    assert renewal.value.status == 200
    assert access_cookie(context) != first
    page.close()  # its timer would race the redirect below
    # Without the script (a fresh tab after expiry), navigation renews it by redirect.
    context.clear_cookies(name="jwtgate_at")
    page2 = context.new_page()
    page2.goto(short_server.url + "/web/account")
    expect(page2).to_have_url(short_server.url + "/web/account")
    expect(page2.locator("#me-username")).to_have_text("ivan")


def test_tabs_renewing_at_the_same_instant_keep_the_session(
    tabs_server: Server, new_context: NewContext
) -> None:
    """Tabs share one refresh cookie; if each presented it, the second use would look like a
    stolen token and end the session. A Web Lock and the server's "just renewed" answer
    keep it to one rotation."""
    context = new_context()
    page = context.new_page()
    sign_in(page, tabs_server, "admin", ADMIN_PASSWORD)
    expect(page).to_have_url(tabs_server.url + "/web/account")
    first = access_cookie(context)
    tabs = [page]
    for _ in range(3):
        tab = context.new_page()
        tab.goto(tabs_server.url + "/web/account")
        tabs.append(tab)
    deadline = float(claims_of(first)["exp"]) - 30 + 2  # type: ignore[arg-type]
    page.wait_for_timeout(max(0.0, deadline - time.time()) * 1000)  # the tabs' own timers
    assert access_cookie(context) != first
    for tab in tabs:
        tab.reload()
        expect(tab).to_have_url(tabs_server.url + "/web/account")


TABS = 6


def reuse_events(server: Server) -> int:
    """How many refresh-token reuses the server has audited (through the admin API)."""
    admin = httpx.post(
        server.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    events = httpx.get(
        server.url + "/admin/events",
        params={"type": "refresh_reuse", "limit": 100},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert events.status_code == 200, events.text
    return len(events.json()["items"])


def test_tabs_reopened_at_once_after_the_access_cookie_lapsed_stay_signed_in(
    server: Server, new_context: NewContext
) -> None:
    """A browser reopened with its tabs: the access cookie has lapsed (Max-Age), the CSRF
    cookie (a session cookie) is gone, the refresh cookie is left. Six tabs load at once and
    each renews with the one refresh cookie; none may end the session."""
    context = new_context()
    page = context.new_page()
    sign_in(page, server, "admin", ADMIN_PASSWORD)
    expect(page).to_have_url(server.url + "/web/account")
    page.close()
    context.clear_cookies(name="jwtgate_at")
    before = reuse_events(server)
    opener = context.new_page()
    opener.goto(server.url + "/web/inspect")  # a page of the site that needs no sign-in
    context.clear_cookies(name="jwtgate_csrf")
    # One script opens every tab in the same instant (a same-site navigation: the
    # SameSite=Strict cookies go along, as on a restored tab).
    opener.evaluate("n => { for (let i = 0; i < n; i++) window.open('/web/account'); }", TABS)
    deadline = time.monotonic() + 20
    while len(context.pages) < TABS + 1 and time.monotonic() < deadline:
        opener.wait_for_timeout(50)
    tabs = [tab for tab in context.pages if tab is not opener]
    assert len(tabs) == TABS
    for tab in tabs:
        expect(tab).to_have_url(server.url + "/web/account", timeout=20_000)
        expect(tab.locator("#me-username")).to_have_text("admin")
    # Still signed in afterwards: the session was not taken for a stolen one.
    for tab in tabs:
        tab.reload()
        expect(tab).to_have_url(server.url + "/web/account")
    assert reuse_events(server) == before


def test_img_tags_pointing_at_the_renewal_url_end_no_session(
    server: Server, new_context: NewContext
) -> None:
    """Any page of the site can hold ``<img src="/web/session/refresh">``: the browser sends
    six such GETs at once, each with the refresh cookie. A GET renews nothing, so none of them
    can make the refresh token look stolen."""
    context = new_context()
    page = context.new_page()
    sign_in(page, server, "admin", ADMIN_PASSWORD)
    expect(page).to_have_url(server.url + "/web/account")
    context.clear_cookies(name="jwtgate_at")
    before = reuse_events(server)
    page.goto(server.url + "/web/inspect")
    page.evaluate(
        """n => Promise.all(Array.from({length: n}, (_, i) => new Promise(done => {
            const img = new Image();
            img.onload = img.onerror = done;
            img.src = '/web/session/refresh?next=/web/account%3Fi%3D' + i;  // no dedup
        })))""",
        6,
    )
    page.goto(server.url + "/web/account")
    expect(page).to_have_url(server.url + "/web/account")
    expect(page.locator("#me-username")).to_have_text("admin")
    assert reuse_events(server) == before
