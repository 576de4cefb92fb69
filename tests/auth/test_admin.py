"""User administration, registration, the admin bootstrap, sessions and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jwtgate.auth import (
    AuthService,
    Conflict,
    InvalidRequest,
    NotFound,
    RegistrationDisabled,
    WeakPassword,
)
from jwtgate.config import Settings

from .authkit import PASSWORD, FakeClock, add_user, login


def test_create_get_find_and_the_user_shape(auth: AuthService) -> None:
    user = auth.create_user("Alice", PASSWORD, roles=["admin", "admin", "dev"], email="a@x.org")
    assert user.roles == ("admin", "dev")
    assert auth.get_user(user.id) == user == auth.find_user("ALICE")
    body = user.to_dict()
    assert set(body) == {
        "id",
        "username",
        "email",
        "email_verified",
        "roles",
        "disabled",
        "created_at",
    }
    assert body["created_at"].endswith("Z") and body["roles"] == ["admin", "dev"]
    with pytest.raises(Conflict):
        auth.create_user("alice", PASSWORD)
    for missing in ("nope", "", "x" * 100):
        with pytest.raises(NotFound):
            auth.get_user(missing)
        with pytest.raises(NotFound):
            auth.find_user(missing)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"username": ""}, InvalidRequest),
        ({"username": "-dash"}, InvalidRequest),
        ({"username": "has space"}, InvalidRequest),
        ({"username": "x" * 65}, InvalidRequest),
        ({"username": None}, InvalidRequest),
        ({"email": "not-an-email"}, InvalidRequest),
        ({"email": "a@" + "b" * 300}, InvalidRequest),
        ({"roles": ["bad role"]}, InvalidRequest),
        ({"roles": "admin"}, InvalidRequest),
        ({"roles": [f"r{i}" for i in range(33)]}, InvalidRequest),
        ({"password": "short"}, WeakPassword),
        ({"password": "password123"}, WeakPassword),
        ({"password": None}, InvalidRequest),
    ],
)
def test_create_user_validates(auth: AuthService, kwargs: dict[str, Any], error: type) -> None:
    values: dict[str, Any] = {"username": "bob", "password": PASSWORD, "roles": (), "email": None}
    values.update(kwargs)
    with pytest.raises(error):
        auth.create_user(**values)
    assert auth.list_users().items == ()  # nothing half-written


def test_pagination_and_search(auth: AuthService, clock: FakeClock) -> None:
    names = [f"user{i}" for i in range(7)]
    for name in names:
        auth.create_user(name, PASSWORD, email=f"{name}@corp.example")
        clock.advance(1)
    seen: list[str] = []
    cursor = None
    while True:
        page = auth.list_users(cursor=cursor, limit=3)
        seen += [u.username for u in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == names  # creation order
    assert [u.username for u in auth.list_users(q="USER3").items] == ["user3"]
    assert len(auth.list_users(q="corp.example").items) == 7
    assert auth.list_users(q="%").items == ()
    body = auth.list_users(limit=2).to_dict()
    assert set(body) == {"items", "next_cursor"} and isinstance(body["next_cursor"], str)
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "garbage"}, {"q": "x" * 300}):
        with pytest.raises(InvalidRequest):
            auth.list_users(**bad)  # type: ignore[arg-type]


def test_update_user(auth: AuthService) -> None:
    uid = add_user(auth)
    updated = auth.update_user(uid, roles=["ops"], password="violet tractor umbrella 42")
    assert updated.roles == ("ops",)
    login(auth, password="violet tractor umbrella 42")
    assert auth.update_user(uid, disabled=True).disabled
    assert not auth.update_user(uid, disabled=False).disabled
    login(auth, password="violet tractor umbrella 42")  # enabled again
    with pytest.raises(WeakPassword):
        auth.update_user(uid, password="alice")
    with pytest.raises(InvalidRequest):
        auth.update_user(uid, disabled="yes")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        auth.update_user("00000000-0000-7000-8000-000000000000", roles=[])


def test_registration(
    make_auth: Callable[..., AuthService], make_settings: Callable[..., Settings]
) -> None:
    closed = make_auth(make_settings())
    with pytest.raises(RegistrationDisabled) as info:
        closed.register("dave", PASSWORD)
    assert info.value.code == "not_found"
    open_ = make_auth(make_settings(allow_registration=True))
    user = open_.register("dave", PASSWORD, email="d@x.org")
    assert user.roles == () and user.email == "d@x.org"
    with pytest.raises(Conflict):
        open_.register("DAVE", PASSWORD)
    with pytest.raises(WeakPassword):
        open_.register("erin", "erin")
    assert open_.list_events(type="user_registered").items


def test_bootstrap_admin(auth: AuthService) -> None:
    created = auth.bootstrap_admin()
    assert created is not None
    user, generated = created
    assert user.username == "admin" and user.roles == ("admin",)
    assert generated is not None and len(generated) >= 20
    login(auth, "admin", generated)
    assert auth.bootstrap_admin() is None  # users exist: nothing happens


def test_bootstrap_admin_with_a_given_password(auth: AuthService) -> None:
    created = auth.bootstrap_admin(PASSWORD)
    assert created is not None and created[1] is None
    login(auth, "admin", PASSWORD)


def test_sessions_list(auth: AuthService, clock: FakeClock) -> None:
    uid = add_user(auth)
    first = login(auth)
    clock.advance(1)
    login(auth)
    auth.logout(auth.authenticate(first.access_token))
    sessions = auth.list_sessions(uid)
    assert [s.active for s in sessions] == [True, False]  # newest first
    body = sessions[1].to_dict()
    assert body["revoked_reason"] == "logout" and body["ip"] == "192.0.2.1"
    assert body["user_agent"] == "pytest" and body["revoked_at"].endswith("Z")
    with pytest.raises(NotFound):
        auth.list_sessions("nope")


def test_audit_log_pages_newest_first_and_filters(auth: AuthService) -> None:
    add_user(auth, "alice")
    add_user(auth, "bob")
    for _ in range(3):
        login(auth, "alice")
    login(auth, "bob")
    page = auth.list_events(limit=2)
    assert [e.type for e in page.items] == ["login_success", "login_success"]
    assert page.items[0].username == "bob" and page.next_cursor is not None
    rest = auth.list_events(cursor=page.next_cursor, limit=50)
    assert rest.next_cursor is None
    ids = [e.id for e in page.items + rest.items]
    assert ids == sorted(ids, reverse=True)
    assert len(auth.list_events(type="login_success", user="ALICE").items) == 3
    bob = auth.find_user("bob")
    assert len(auth.list_events(user=bob.id).items) == 2  # created + login
    assert set(auth.list_events(limit=1).to_dict()["items"][0]) == {
        "id",
        "type",
        "at",
        "user_id",
        "username",
        "actor",
        "ip",
        "detail",
    }
    for bad in ({"cursor": "x"}, {"limit": 0}, {"type": "t" * 65}, {"user": "u" * 65}):
        with pytest.raises(InvalidRequest):
            auth.list_events(**bad)  # type: ignore[arg-type]


def test_keys_list_shape(auth: AuthService) -> None:
    info, *id_keys = auth.list_keys()
    body = info.to_dict()
    assert body["status"] == "active" and body["retired_at"] is None and body["use"] == "access"
    assert {k.to_dict()["use"] for k in id_keys} == {"id_token"}
    assert body["public_jwk"]["kid"] == info.kid and "d" not in body["public_jwk"]
