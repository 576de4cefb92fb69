"""The SQL repositories on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from jwtgate.store import (
    ClientRecord,
    DuplicateError,
    EventRecord,
    KeyRecord,
    SessionRecord,
    SqlStore,
    UserRecord,
)


def user(uid: str = "00000000-0000-7000-8000-000000000001", name: str = "Alice") -> UserRecord:
    return UserRecord(
        id=uid,
        username=name,
        email=f"{name.lower()}@example.com",
        password_hash="$argon2id$fake",
        roles=("admin", "dev"),
        disabled=False,
        created_at=1000.0,
        updated_at=1000.0,
    )


def session(sid: str = "s1", uid: str = "00000000-0000-7000-8000-000000000001") -> SessionRecord:
    return SessionRecord(
        sid=sid,
        user_id=uid,
        client_id=None,
        scope="",
        created_at=1000.0,
        last_used_at=1000.0,
        expires_at=2000.0,
        absolute_expires_at=5000.0,
    )


def test_usernames_are_unique_case_insensitively(store: SqlStore) -> None:
    with store.write() as uow:
        uow.users.add(user())
        with pytest.raises(DuplicateError):
            uow.users.add(user("00000000-0000-7000-8000-000000000002", "ALICE"))
        # The failed insert did not poison the transaction (it ran in a savepoint).
        uow.users.add(user("00000000-0000-7000-8000-000000000003", "bob"))
    with store.read() as uow:
        found = uow.users.by_username("aLiCe")
        assert found is not None and found.username == "Alice"
        assert found.roles == ("admin", "dev")
        assert uow.users.count() == 2


def test_password_hash_is_not_in_the_record_repr(store: SqlStore) -> None:
    assert "argon2" not in repr(user())


def test_user_update_delete_and_pages(store: SqlStore) -> None:
    ids = [f"00000000-0000-7000-8000-00000000000{i}" for i in range(1, 6)]
    with store.write() as uow:
        for i, uid in enumerate(ids):
            uow.users.add(user(uid, f"user_{i}%"))
    with store.write() as uow:
        assert uow.users.update(ids[0], now=2000.0, roles=["x"], disabled=True, not_before=5.0)
        assert not uow.users.update("nope", now=2000.0, disabled=True)
        assert uow.users.delete(ids[4])
        assert not uow.users.delete(ids[4])
    with store.read() as uow:
        changed = uow.users.get(ids[0])
        assert changed is not None
        assert (changed.roles, changed.disabled, changed.not_before) == (("x",), True, 5.0)
        first = uow.users.page(None, 2, None)
        assert [u.id for u in first] == ids[:2]
        assert [u.id for u in uow.users.page(first[-1].id, 10, None)] == ids[2:4]
        # LIKE wildcards in the search text are literal.
        assert [u.username for u in uow.users.page(None, 10, "_1%")] == ["user_1%"]
        assert uow.users.page(None, 10, "zzz") == []
        assert [u.username for u in uow.users.page(None, 10, "USER_2%@EXAMPLE")] == ["user_2%"]


def test_an_exception_rolls_the_unit_of_work_back(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.write() as uow:
        uow.users.add(user())
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.users.count() == 0


def test_sessions_refresh_tokens_and_cascade(store: SqlStore) -> None:
    with store.write() as uow:
        uow.users.add(user())
        uow.sessions.add(session("s1"))
        uow.sessions.add(session("s2"))
        uow.sessions.add_refresh("a" * 64, "s1", now=1000.0, expires_at=2000.0)
    with store.write() as uow:
        found = uow.sessions.find_refresh("a" * 64)
        assert found is not None
        assert (found.session.sid, found.user.username) == ("s1", "Alice")
        assert found.token.used_at is None
        assert uow.sessions.find_refresh("b" * 64) is None
        assert uow.sessions.touch("s1", now=1500.0, expires_at=2500.0, ip="::1", user_agent="x")
        assert uow.sessions.revoke("s2", now=1500.0, reason="logout")
        assert not uow.sessions.revoke("s2", now=1600.0, reason="again")
        assert not uow.sessions.touch("s2", now=1600.0, expires_at=9.0, ip=None, user_agent=None)
    with store.read() as uow:
        s1, s2 = uow.sessions.get("s1"), uow.sessions.get("s2")
        assert s1 is not None and (s1.expires_at, s1.ip, s1.user_agent) == (2500.0, "::1", "x")
        assert s2 is not None and (s2.revoked_at, s2.revoked_reason) == (1500.0, "logout")
    with store.write() as uow:
        revoked = uow.sessions.revoke_for_user(user().id, now=1700.0, reason="all")
        assert [s.sid for s in revoked] == ["s1"]
        assert uow.users.delete(user().id)
    with store.read() as uow:
        assert uow.sessions.get("s1") is None  # ON DELETE CASCADE
        assert uow.sessions.find_refresh("a" * 64) is None


def test_mark_used_lets_exactly_one_caller_through(store: SqlStore) -> None:
    with store.write() as uow:
        uow.users.add(user())
        uow.sessions.add(session())
        uow.sessions.add_refresh("c" * 64, "s1", now=1000.0, expires_at=2000.0)
        found = uow.sessions.find_refresh("c" * 64)
    assert found is not None
    results: list[bool] = []
    barrier = threading.Barrier(20)

    def rotate() -> None:
        barrier.wait()
        with store.write() as uow:
            results.append(uow.sessions.mark_used(found.token.id, now=1100.0))

    threads = [threading.Thread(target=rotate) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 19 + [True]


def test_session_prune_removes_long_expired_sessions(store: SqlStore) -> None:
    with store.write() as uow:
        uow.users.add(user())
        uow.sessions.add(session("old"))
        uow.sessions.add_refresh("d" * 64, "old", now=1000.0, expires_at=2000.0)
        assert uow.sessions.prune(before=1999.0) == 0
        assert uow.sessions.prune(before=2001.0) == 1
        assert uow.sessions.find_refresh("d" * 64) is None


def test_revocation_ids_grow_and_are_never_reused_after_pruning(store: SqlStore) -> None:
    with store.write() as uow:
        a = uow.revocations.add("sid", "s1", now=10.0, expires_at=100.0, not_before=None)
        b = uow.revocations.add("user", "u1", now=20.0, expires_at=200.0, not_before=19.0)
        with pytest.raises(ValueError):
            uow.revocations.add("bogus", "x", now=1.0, expires_at=2.0, not_before=None)
    assert b.id > a.id
    with store.read() as uow:
        assert [r.id for r in uow.revocations.since(0, now=50.0, limit=10)] == [a.id, b.id]
        assert [r.id for r in uow.revocations.since(a.id, now=50.0, limit=10)] == [b.id]
        assert [r.id for r in uow.revocations.since(0, now=150.0, limit=10)] == [b.id]
        assert [r.id for r in uow.revocations.recent(b.id, now=50.0, created_from=15.0)] == [b.id]
        assert uow.revocations.last_id() == b.id
    with store.write() as uow:
        assert uow.revocations.prune(now=1000.0) == 2
    with store.write() as uow:
        c = uow.revocations.add("jti", "j", now=30.0, expires_at=300.0, not_before=None)
    assert c.id > b.id  # a reader at cursor b.id still sees it


def test_keys_clients_and_audit(store: SqlStore) -> None:
    key = KeyRecord(
        kid="k1",
        alg="ES256",
        public_jwk={"kty": "EC"},
        private_jwk_enc="v1.sealed",
        created_at=1.0,
        activated_at=1.0,
    )
    with store.write() as uow:
        uow.keys.lock()
        uow.keys.add(key)
        uow.keys.retire("k1", now=5.0, expires_at=10.0)
        uow.clients.add(ClientRecord("c1", "svc", "f" * 64, ("read",), 1.0))
        for i in range(5):
            uow.events.add(EventRecord(type=f"t{i % 2}", at=float(i), user_id="u", username="Bob"))
    with store.read() as uow:
        (stored,) = uow.keys.all()
        assert (stored.retired_at, stored.expires_at) == (5.0, 10.0)
        assert stored.public_jwk == {"kty": "EC"}
        assert "sealed" not in repr(stored)
        client = uow.clients.get("c1")
        assert client is not None and client.scopes == ("read",) and "f" * 64 not in repr(client)
        assert [c.client_id for c in uow.clients.all()] == ["c1"]
        newest = uow.events.page(None, 2, None, None)
        assert [e.type for e in newest] == ["t0", "t1"]
        older = uow.events.page(newest[-1].id, 10, "t0", "bob")
        assert [e.at for e in older] == [2.0, 0.0]
    with store.write() as uow:
        assert uow.keys.prune(now=9.0) == 0
        assert uow.keys.prune(now=10.0) == 1
        assert uow.events.prune(before=3.0) == 3
