"""Pruning expired rows in small batches, on SQLite and PostgreSQL: everything dead goes, every
live row stays, no transaction deletes more than a batch, two instances pruning at once split
the work, and ``jwtgate db prune`` does it from a shell."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from typer.testing import CliRunner

from jwtgate.auth import AuthService, build_auth
from jwtgate.auth.oauth import ClientMetadata
from jwtgate.cli import app
from jwtgate.store import EventRecord, SessionRecord
from jwtgate.store.models import RefreshTokenRow
from jwtgate.store.records import CodeRecord
from jwtgate.store.uow import SqlStore

from ..auth.authkit import FakeClock, add_user, engine_of, fast_settings, login
from ..store.dbkit import BACKENDS, fresh_database

DAY = 86400.0
SEEDED = {
    "revocations": 17,
    "refresh_tokens": 23 * 2 + 12,
    "sessions": 23,
    "events": 29,
    "account_tokens": 0,  # pruned as tests/email/test_reset.py shows
    "mail_outbox": 0,
    "throttle_attempts": 7,
    "authorization_codes": 7,
}


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(database_url: str, clock: FakeClock) -> Iterator[AuthService]:
    service = build_auth(fast_settings(database_url, audit_retention_days=30), clock=clock)
    yield service
    service.close()


def seed(auth: AuthService, now: float) -> tuple[str, int]:
    """Dead rows (counted in SEEDED) beside live ones; returns a live refresh token and the
    number of audit events that must stay."""
    uid = add_user(auth)
    live = login(auth)
    sid = auth.authenticate(live.access_token)["sid"]
    old = now - 2 * DAY
    app, _ = auth.create_client(
        "app", public=True, meta=ClientMetadata(redirect_uris=["http://127.0.0.1/cb"])
    )
    with auth.store.write() as uow:
        for k in range(7):  # expired a day ago: past replay detection too
            uow.codes.add(
                CodeRecord(
                    f"{k:064d}",
                    app.client_id,
                    uid,
                    None,
                    "c" * 43,
                    "",
                    (),
                    None,
                    old,
                    None,
                    old - 60,
                    old,
                )
            )
        for i in range(23):
            uow.sessions.add(
                SessionRecord(f"dead-{i}", uid, None, "", old - DAY, old, old, old + DAY)
            )
            for j in range(2):
                uow.sessions.add_refresh(f"{i:030d}{j:034d}", f"dead-{i}", now=old, expires_at=old)
        for k in range(12):  # rotated tokens of the live session, long expired
            uow.sessions.add_refresh(f"rot-{k:060d}", sid, now=old - DAY, expires_at=old)
        for k in range(17):
            uow.revocations.add("jti", f"gone-{k}", now=old, expires_at=now - 1, not_before=None)
        for k in range(3):
            uow.revocations.add("jti", f"live-{k}", now=now, expires_at=now + 60, not_before=None)
        for k in range(29):
            uow.events.add(EventRecord("login_failure", now - 40 * DAY, detail={"k": k}))
        kept = len(uow.events.page(None, 1000, None, None)) - 29
        for k in range(7):  # login attempts long past the throttle's window
            uow.throttle.add([f"u:gone{k}"], at=old, token=f"t{k}")
        uow.throttle.add(["u:recent"], at=now, token="live")
    return live.refresh_token, kept


def test_prune_deletes_everything_dead_in_batches_and_keeps_the_living(
    auth: AuthService, clock: FakeClock
) -> None:
    refresh, kept_events = seed(auth, clock())
    engine = engine_of(auth)
    deletes: list[int] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)

    event.listen(engine, "after_cursor_execute", record)
    try:
        counts = auth._upkeep.prune(batch=5)
    finally:
        event.remove(engine, "after_cursor_execute", record)
    assert counts == {**SEEDED, "keys": 0}
    assert max(deletes) <= 5 and len(deletes) >= sum(-(-n // 5) for n in SEEDED.values())
    assert auth.prune() == {name: 0 for name in (*SEEDED, "keys")}  # nothing left to do
    with auth.store.read() as uow:
        assert len(uow.events.page(None, 1000, None, None)) == kept_events
        assert uow.revocations.since(0, now=clock(), limit=100)[0].value == "live-0"
    assert auth.refresh(refresh).access_token  # the live session's token still works


def test_two_instances_pruning_at_once_split_the_work(
    auth: AuthService, database_url: str, clock: FakeClock
) -> None:
    seed(auth, clock())
    other = build_auth(fast_settings(database_url, audit_retention_days=30), clock=clock)
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(2)

    def prune(service: AuthService) -> None:
        barrier.wait()
        results.append(service._upkeep.prune(batch=3))

    try:
        threads = [threading.Thread(target=prune, args=(s,)) for s in (auth, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert len(results) == 2
    for name, seeded in SEEDED.items():
        assert results[0][name] + results[1][name] == seeded, name
    store = auth.store
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        tokens = conn.execute(select(func.count()).select_from(RefreshTokenRow)).scalar_one()
    assert tokens == 1  # the live session's current token


def test_db_prune_command(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JWTGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("JWTGATE_REVOCATION_POLL_INTERVAL", "1")
    runner = CliRunner()
    service = build_auth(fast_settings(database_url))
    try:
        with service.store.write() as uow:
            uow.revocations.add("jti", "old", now=1.0, expires_at=2.0, not_before=None)
    finally:
        service.close()
    result = runner.invoke(app, ["db", "prune"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "Deleted 1 revocations, 0 refresh tokens, 0 sessions, 0 events, 0 account tokens, "
        "0 mail outbox, 0 throttle attempts, 0 authorization codes, 0 keys."
    )
    assert result.stderr.startswith("jwtgate: database ")  # which database it pruned


def test_db_prune_on_an_unreachable_database_is_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "JWTGATE_DATABASE_URL", "postgresql+psycopg://postgres:pw-here@127.0.0.1:1/test"
    )
    monkeypatch.setenv("JWTGATE_DB_POOL_TIMEOUT", "2")
    result = CliRunner().invoke(app, ["db", "prune"])
    assert result.exit_code == 1
    assert "cannot use the database postgresql+psycopg://postgres:***@127.0.0.1:1/test" in (
        result.output
    )
    assert "Connection refused" in result.output  # the driver's reason
    assert "pw-here" not in result.output and "Traceback" not in result.output
