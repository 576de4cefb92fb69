"""The pages, through the HTTP layer: what a person sees and what each form does."""

from __future__ import annotations

from fastapi import FastAPI

from .fakeauth import FakeAuth
from .webkit import ADMIN, ALICE, client, make_app, post_form, sign_in, visit


def test_wrong_password_shows_the_error_and_keeps_the_username(app: FastAPI) -> None:
    c = client(app)
    response = post_form(
        c, "/web/login", {"username": "alice", "password": "wrong"}, page="/web/login"
    )
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert 'value="alice"' in response.text and 'aria-invalid="true"' in response.text
    unknown = post_form(c, "/web/login", {"username": "nobody", "password": "x"}, page="/web/login")
    assert unknown.status_code == 401 and "Wrong username or password." in unknown.text
    empty = post_form(c, "/web/login", {"username": "", "password": ""}, page="/web/login")
    assert empty.status_code == 400 and "Enter your username and password." in empty.text


def test_throttled_sign_in_says_how_long_to_wait(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    auth.failures["alice"] = 99
    response = post_form(
        c, "/web/login", {"username": "alice", "password": ALICE[1]}, page="/web/login"
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert "Please wait 7 seconds" in response.text


def test_registration_page_exists_only_when_enabled(auth: FakeAuth) -> None:
    closed = client(make_app(auth))
    assert closed.get("/web/register").status_code == 404
    assert "Create one" not in closed.get("/web/login").text
    auth.allow_registration = True
    c = client(make_app(auth, allow_registration=True))
    assert "/web/register" in c.get("/web/login").text
    data = {"username": "bob", "email": "", "password": "bob-password-1", "password_repeat": "x"}
    differ = post_form(c, "/web/register", data, page="/web/register")
    assert differ.status_code == 400 and "The two passwords differ." in differ.text
    data["password_repeat"] = data["password"]
    done = post_form(c, "/web/register", data, page="/web/register")
    assert done.status_code == 303 and done.headers["location"] == "/web/login"
    assert "Account bob created" in c.get("/web/login").text  # the one-time message
    assert "Account bob created" not in c.get("/web/login").text
    taken = post_form(c, "/web/register", data, page="/web/register")
    assert taken.status_code == 400 and "That username is taken." in taken.text
    weak = post_form(
        c,
        "/web/register",
        {**data, "username": "carol", "password": "short", "password_repeat": "short"},
        page="/web/register",
    )
    assert weak.status_code == 400 and "at least 8 characters" in weak.text
    sign_in(c, ("bob", "bob-password-1"))


def test_registration_post_when_disabled_is_404(auth: FakeAuth) -> None:
    c = client(make_app(auth, allow_registration=True))  # the page shows, the service says no
    data = {"username": "bob", "password": "bob-password-1", "password_repeat": "bob-password-1"}
    assert post_form(c, "/web/register", data, page="/web/register").status_code == 404


def test_account_shows_who_roles_and_sessions_with_devices(app: FastAPI, auth: FakeAuth) -> None:
    phone = client(app)
    phone.headers["user-agent"] = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
    )
    sign_in(phone)
    laptop = client(app)
    laptop.headers["user-agent"] = (
        "Mozilla/5.0 (Windows NT 10.0; rv:121.0) Gecko/20100101 Firefox/121.0"
    )
    sign_in(laptop)
    html = laptop.get("/web/account").text
    assert 'id="me-username">alice<' in html
    assert "Chrome on Android" in html and "Firefox on Windows" in html
    assert html.count('class="session') == 2 and "this device" in html
    assert "testclient" in html  # the address
    assert "just now" in html


def test_sign_out_another_session_kills_it(app: FastAPI, auth: FakeAuth) -> None:
    first, second = client(app), client(app)
    sign_in(first)
    sign_in(second)
    sid_first = next(iter(auth.sessions))
    response = post_form(
        second, f"/web/account/sessions/{sid_first}/revoke", {}, page="/web/account"
    )
    assert response.status_code == 303 and response.headers["location"] == "/web/account"
    assert "That session has been signed out." in second.get("/web/account").text
    assert visit(first, "/web/account").url.path == "/web/login"


def test_sign_out_this_session_from_the_list_signs_me_out(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    sid = next(iter(auth.sessions))
    response = post_form(c, f"/web/account/sessions/{sid}/revoke", {}, page="/web/account")
    assert response.headers["location"] == "/web/login"
    assert "jwtgate_at" not in c.cookies


def test_nobody_can_revoke_another_users_session(app: FastAPI, auth: FakeAuth) -> None:
    admin = client(app)
    sign_in(admin, ADMIN)
    admin_sid = next(iter(auth.sessions))
    c = client(app)
    sign_in(c)
    response = post_form(c, f"/web/account/sessions/{admin_sid}/revoke", {}, page="/web/account")
    assert response.status_code == 404
    assert auth.sessions[admin_sid].revoked_at is None


def test_sign_out_everywhere(app: FastAPI, auth: FakeAuth) -> None:
    a, b = client(app), client(app)
    sign_in(a)
    sign_in(b)
    response = post_form(a, "/web/session/logout-all", {}, page="/web/account")
    assert response.headers["location"] == "/web/login"
    assert all(s.revoked_at for s in auth.sessions.values())
    assert visit(b, "/web/account").url.path == "/web/login"


def test_change_password(app: FastAPI, auth: FakeAuth) -> None:
    c, other = client(app), client(app)
    sign_in(other)
    sign_in(c)
    form = {
        "current_password": "wrong",
        "new_password": "new-password-1",
        "new_password_repeat": "new-password-1",
    }
    wrong = post_form(c, "/web/account/password", form, page="/web/account")
    assert wrong.status_code == 400 and "The current password is wrong." in wrong.text
    differ = post_form(
        c,
        "/web/account/password",
        {**form, "current_password": ALICE[1], "new_password_repeat": "x"},
        page="/web/account",
    )
    assert differ.status_code == 400 and "The two new passwords differ." in differ.text
    weak = post_form(
        c,
        "/web/account/password",
        {"current_password": ALICE[1], "new_password": "short", "new_password_repeat": "short"},
        page="/web/account",
    )
    assert weak.status_code == 400 and "at least 8 characters" in weak.text
    auth.failures["alice"] = 0
    ok = post_form(
        c, "/web/account/password", {**form, "current_password": ALICE[1]}, page="/web/account"
    )
    assert ok.status_code == 303
    assert "Password changed" in c.get("/web/account").text
    assert visit(other, "/web/account").url.path == "/web/login"


def test_admin_pages_need_the_admin_role(app: FastAPI) -> None:
    c = client(app)
    sign_in(c)
    for path in ("/web/admin/users", "/web/admin/keys", "/web/admin/clients", "/web/admin/events"):
        response = c.get(path)
        assert response.status_code == 403 and "needs the role admin" in response.text
    assert "/web/admin/users" not in c.get("/web/account").text  # no admin links either
    assert post_form(c, "/web/admin/keys/rotate", {}, page="/web/account").status_code == 403


def test_admin_creates_a_user_who_then_signs_in(app: FastAPI, auth: FakeAuth) -> None:
    admin = client(app)
    sign_in(admin, ADMIN)
    form = {
        "username": "dave",
        "email": "dave@example.com",
        "password": "dave-password-1",
        "roles": "editor, viewer editor",
    }
    created = post_form(admin, "/web/admin/users", form, page="/web/admin/users")
    assert created.status_code == 303
    page = admin.get(created.headers["location"])
    assert "User dave created." in page.text and 'value="editor viewer"' in page.text
    again = post_form(admin, "/web/admin/users", form, page="/web/admin/users")
    assert again.status_code == 400 and "That username is taken." in again.text
    assert 'value="dave@example.com"' in again.text  # the form keeps what was typed
    dave = client(app)
    sign_in(dave, ("dave", "dave-password-1"))
    assert "editor" in dave.get("/web/account").text


def test_admin_searches_edits_disables_and_deletes(app: FastAPI, auth: FakeAuth) -> None:
    admin = client(app)
    sign_in(admin, ADMIN)
    alice = client(app)
    sign_in(alice)
    found = admin.get("/web/admin/users", params={"q": "ali"}).text
    assert "/web/admin/users/2" in found and '/web/admin/users/1"' not in found
    assert "No users match" in admin.get("/web/admin/users", params={"q": "zzz"}).text
    assert admin.get("/web/admin/users", params={"cursor": "bad"}).status_code == 400
    page = admin.get("/web/admin/users/2").text
    assert "Chrome" not in page and "testclient" in page  # alice's session is listed
    roles = post_form(
        admin,
        "/web/admin/users/2",
        {"action": "roles", "roles": "auditor"},
        page="/web/admin/users/2",
    )
    assert roles.status_code == 303 and auth.users["2"].roles == ("auditor",)
    disable = post_form(
        admin, "/web/admin/users/2", {"action": "disable"}, page="/web/admin/users/2"
    )
    assert disable.status_code == 303 and auth.users["2"].disabled
    assert "disabled" in admin.get("/web/admin/users/2").text
    enable = post_form(admin, "/web/admin/users/2", {"action": "enable"}, page="/web/admin/users/2")
    assert enable.status_code == 303 and not auth.users["2"].disabled
    weak = post_form(
        admin,
        "/web/admin/users/2",
        {"action": "password", "password": "x"},
        page="/web/admin/users/2",
    )
    assert weak.status_code == 400 and "at least 8 characters" in weak.text
    unknown = post_form(
        admin, "/web/admin/users/2", {"action": "explode"}, page="/web/admin/users/2"
    )
    assert unknown.status_code == 400 and "Unknown action." in unknown.text
    unconfirmed = post_form(admin, "/web/admin/users/2/delete", {}, page="/web/admin/users/2")
    assert unconfirmed.status_code == 400 and "2" in auth.users
    deleted = post_form(
        admin, "/web/admin/users/2/delete", {"confirm": "yes"}, page="/web/admin/users/2"
    )
    assert deleted.status_code == 303 and "2" not in auth.users
    assert admin.get("/web/admin/users/2").status_code == 404
    gone = post_form(admin, "/web/admin/users/2", {"action": "disable"}, page="/web/admin/users")
    assert gone.status_code == 404


def test_admin_revokes_a_users_session(app: FastAPI, auth: FakeAuth) -> None:
    admin, alice = client(app), client(app)
    sign_in(admin, ADMIN)
    sign_in(alice)
    sid = next(s.sid for s in auth.sessions.values() if s.user_id == "2")
    response = post_form(
        admin, f"/web/admin/sessions/{sid}/revoke", {"user_id": "2"}, page="/web/admin/users/2"
    )
    assert response.headers["location"] == "/web/admin/users/2"
    assert "signed out" in admin.get("/web/admin/users/2").text
    assert visit(alice, "/web/account").url.path == "/web/login"
    missing = post_form(
        admin, "/web/admin/sessions/nope/revoke", {"user_id": "../x"}, page="/web/admin/users"
    )
    assert missing.headers["location"] == "/web/admin/users"


def test_admin_rotates_keys(app: FastAPI, auth: FakeAuth) -> None:
    admin = client(app)
    sign_in(admin, ADMIN)
    old = auth.keys[0][1].kid
    page = admin.get("/web/admin/keys").text
    assert old in page and "active: signs now" in page
    rotated = post_form(admin, "/web/admin/keys/rotate", {"alg": "EdDSA"}, page="/web/admin/keys")
    assert rotated.status_code == 303
    page = admin.get("/web/admin/keys").text
    new = auth.keys[0][1].kid
    assert f"Key {new} (EdDSA) now signs." in page and "retired" in page
    bad = post_form(admin, "/web/admin/keys/rotate", {"alg": "HS1"}, page="/web/admin/keys")
    assert bad.status_code == 400 and "unsupported algorithm" in bad.text


def test_admin_creates_a_client_and_sees_the_secret_once(app: FastAPI, auth: FakeAuth) -> None:
    admin = client(app)
    sign_in(admin, ADMIN)
    assert "No clients yet." in admin.get("/web/admin/clients").text
    created = post_form(
        admin,
        "/web/admin/clients",
        {"name": "billing", "scopes": "read write"},
        page="/web/admin/clients",
    )
    assert created.status_code == 201
    assert 'id="client-secret"' in created.text and created.headers["cache-control"] == "no-store"
    later = admin.get("/web/admin/clients").text
    assert "billing" in later and 'id="client-secret"' not in later
    nameless = post_form(admin, "/web/admin/clients", {"name": " "}, page="/web/admin/clients")
    assert nameless.status_code == 400


def test_admin_reads_the_audit_log_with_filters(app: FastAPI, auth: FakeAuth) -> None:
    admin = client(app)
    sign_in(admin, ADMIN)
    sign_in(client(app))
    page = admin.get("/web/admin/events").text
    assert "login_success" in page and "user_created" in page
    # The empty filter showed a placeholder "login_failure" that looked like a filter set.
    assert 'placeholder="' not in page and "Empty: every type." in page
    only = admin.get("/web/admin/events", params={"type": "user_created", "user": "alice"}).text
    assert "user_created" in only and "login_success</span>" not in only
    assert "Clear filters" in only
    none = admin.get("/web/admin/events", params={"type": "nothing"}).text
    assert "No events match these filters." in none
    assert admin.get("/web/admin/events", params={"cursor": "x"}).status_code == 400


def test_flash_cookie_garbage_is_ignored(app: FastAPI) -> None:
    c = client(app)
    c.cookies.set("jwtgate_flash", "%%%not-base64")
    assert c.get("/web/login").status_code == 200


def test_home_redirects_by_state(app: FastAPI) -> None:
    c = client(app)
    assert c.get("/web/").headers["location"] == "/web/login"
    sign_in(c)
    assert c.get("/web/").headers["location"] == "/web/account"
    assert c.get("/web/login").headers["location"] == "/web/account"
