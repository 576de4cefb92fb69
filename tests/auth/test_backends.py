"""The whole flow on SQLite and on PostgreSQL: what the service does is the same on both."""

from __future__ import annotations

import pytest

from jwtgate import RevokedToken
from jwtgate.auth import AuthService, Conflict, InvalidGrant, NotFound

from .authkit import PASSWORD, add_user, login


def test_full_flow(backend_auth: AuthService) -> None:
    auth = backend_auth
    uid = add_user(auth, "alice", roles=("admin",))
    with pytest.raises(Conflict):
        add_user(auth, "ALICE")
    pair = login(auth)
    pair = auth.refresh(pair.refresh_token or "")
    claims = auth.authenticate(pair.access_token)
    old_kid = auth.list_keys()[0].kid
    new_kid = auth.rotate_key().kid
    id_kids = {k.kid for k in auth.list_keys() if k.use == "id_token"}
    assert {k["kid"] for k in auth.jwks()["keys"]} == {old_kid, new_kid} | id_kids
    auth.authenticate(pair.access_token)
    auth.logout(claims)
    with pytest.raises(RevokedToken):
        auth.authenticate(pair.access_token)
    with pytest.raises(InvalidGrant):
        auth.refresh(pair.refresh_token or "")
    client, secret = auth.create_client("svc", ["read"])
    auth.authenticate(auth.client_credentials(client.client_id, secret).access_token)
    auth.update_user(uid, disabled=True)
    with pytest.raises(InvalidGrant):
        login(auth)
    auth.sync()
    auth.prune()
    feed = auth.revocations_since(None)
    assert claims["sid"] in feed["sessions"] and uid in feed["users"]
    assert auth.list_users(q="ali").items[0].id == uid
    assert auth.list_events(user="alice").items
    auth.delete_user(uid)
    assert auth.list_users().items == ()
    assert auth.register("bob", PASSWORD).username == "bob"


def test_a_username_with_a_nul_character_is_an_unknown_user(backend_auth: AuthService) -> None:
    # PostgreSQL text cannot hold NUL: the lookup must not reach the database with it
    # (it raised a DataError there, a 500 at the web sign-in).
    add_user(backend_auth)
    for name in ("alice\x00", "\x00", "al\x00ice"):
        with pytest.raises(InvalidGrant):
            backend_auth.login(name, PASSWORD)
    with pytest.raises(NotFound):
        backend_auth.find_user("alice\x00")
    failures = backend_auth.list_events(type="login_failure").items
    # Recorded as the pseudonym of the name typed, which holds no NUL either.
    pseudonym = backend_auth._ctx.pseudonyms.of("alice\x00")
    assert any(event.username == pseudonym for event in failures)
