"""Alembic migrations: an empty database upgrades to head on both backends, from any working
directory, idempotently, concurrently, and the result matches the models exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from jwtgate.store import create_db_engine, current_revision, head_revision, upgrade
from jwtgate.store.migrate import HEAD_REVISION
from jwtgate.store.models import Base

TABLES = {
    "users",
    "sessions",
    "refresh_tokens",
    "revocations",
    "signing_keys",
    "clients",
    "authorization_codes",
    "consents",
    "audit_events",
    "account_tokens",
    "mail_outbox",
    "mfa_factors",
    "recovery_codes",
    "mfa_challenges",
    "throttle_attempts",
    "logout_deliveries",
    "alembic_version",
}


def test_upgrade_on_an_empty_database_creates_every_table(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(database_url)
        assert set(inspect(engine).get_table_names()) == TABLES
        assert current_revision(engine) == head_revision() == HEAD_REVISION
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = create_db_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_works_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'jwtgate.db'}"
    upgrade(url)  # no alembic.ini anywhere
    engine = create_db_engine(url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_concurrent_upgrades_of_one_empty_database_all_succeed(database_url: str) -> None:
    # Separate processes, as with several workers starting at once (Alembic's context is
    # process-global, so threads would not model this).
    code = "import sys; from jwtgate.store import upgrade; upgrade(sys.argv[1])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    engine = create_db_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_shipped_head_constant_is_alembics_head() -> None:
    from jwtgate.store.migrate import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_a_database_of_revision_0001_upgrades_in_place_keeping_its_users(
    database_url: str,
) -> None:
    from sqlalchemy import text

    upgrade(database_url, "0001")
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, email, password_hash, roles,"
                    " disabled, created_at, updated_at) VALUES ('u1', 'Ann', 'ann',"
                    " 'ann@example.com', 'x', '[]', false, 1, 1)"
                )
            )
        upgrade(database_url)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            row = conn.execute(text("SELECT username, email, email_verified FROM users")).one()
        # An address from before verification existed is not claimed to be verified.
        assert tuple(row) == ("Ann", "ann@example.com", False)
        assert {"account_tokens", "mail_outbox"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_database_of_revision_0005_upgrades_in_place_keeping_its_sessions(
    database_url: str,
) -> None:
    from sqlalchemy import text

    upgrade(database_url, "0005")
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, email, password_hash, roles,"
                    " disabled, created_at, updated_at, email_verified) VALUES ('u1', 'Ann',"
                    " 'ann', NULL, 'x', '[]', false, 1, 1, false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO sessions (sid, user_id, scope, created_at, last_used_at,"
                    " expires_at, absolute_expires_at) VALUES ('s1', 'u1', '', 1, 1, 9, 9)"
                )
            )
        upgrade(database_url)
        assert current_revision(engine) == head_revision() == HEAD_REVISION
        with engine.connect() as conn:
            row = conn.execute(text("SELECT sid, auth FROM sessions")).one()
        # A session from before MFA existed has no record of its factors: a password sign-in.
        assert tuple(row) == ("s1", None)
        assert {"mfa_factors", "recovery_codes", "mfa_challenges"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_a_database_of_revision_0008_upgrades_in_place_and_prunes_sessions_by_index(
    database_url: str,
) -> None:
    """0009 adds ix_sessions_expires_at: the sessions are kept, and the pruning query (the
    inner SELECT of a batch) reads the index instead of scanning the table."""
    from sqlalchemy import text

    upgrade(database_url, "0008")
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, password_hash, roles,"
                    " disabled, created_at, updated_at) VALUES ('u1', 'ann', 'ann', 'x', '[]',"
                    " false, 1, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO sessions (sid, user_id, scope, created_at, last_used_at,"
                    " expires_at, absolute_expires_at) VALUES ('s1', 'u1', '', 1, 1, 5, 9)"
                )
            )
        upgrade(database_url)
        assert current_revision(engine) == head_revision() == HEAD_REVISION
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("sessions")}
        assert "ix_sessions_expires_at" in indexes
        chosen = "SELECT sid FROM sessions WHERE expires_at < 10 LIMIT 500"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT sid FROM sessions")).scalars().all() == ["s1"]
            if engine.dialect.name == "sqlite":
                plan = " ".join(
                    str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {chosen}"))
                )
                assert "ix_sessions_expires_at" in plan, plan
            else:
                conn.execute(text("SET enable_seqscan = off"))  # a one-row table
                plan = " ".join(str(row[0]) for row in conn.execute(text(f"EXPLAIN {chosen}")))
                assert "ix_sessions_expires_at" in plan, plan
    finally:
        engine.dispose()


def test_a_database_at_0001_upgrades_in_place_to_oidc_keys(database_url: str) -> None:
    # A 0001 database with a signing key: after the upgrade the key is an access-token key,
    # and starting the service adds the ID-token keys beside it (nothing is re-generated).
    import orjson
    from sqlalchemy import text

    from jwtgate import Key
    from jwtgate.auth import build_auth
    from jwtgate.config import Settings
    from jwtgate.store.crypto import KeyCipher, load_master_key

    master = "A" * 43
    upgrade(database_url, "0001")
    key = Key.generate("ES256")
    sealed = KeyCipher(load_master_key(database_url, master_key=master, key_file=None)).seal(
        orjson.dumps(key.to_jwk(private=True)), aad=key.kid.encode()
    )
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:  # the row as release 0001 wrote it
            conn.execute(
                text(
                    "INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_enc, "
                    "created_at, activated_at) VALUES (:kid, 'ES256', :pub, :enc, 1, 1)"
                ),
                {"kid": key.kid, "pub": orjson.dumps(key.to_jwk()).decode(), "enc": sealed},
            )
        upgrade(database_url)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kid, purpose FROM signing_keys")).all()
        assert [tuple(r) for r in rows] == [(key.kid, "access")]
    finally:
        engine.dispose()
    auth = build_auth(Settings(database_url=database_url, master_key=master))
    try:
        keys = {(k.use, k.alg): k.kid for k in auth.list_keys() if k.status == "active"}
        assert keys[("access", "ES256")] == key.kid
        assert ("id_token", "RS256") in keys
    finally:
        auth.close()
