"""Migration 0008 (DPoP): a database at the previous schema (0003) upgrades in place on SQLite
and PostgreSQL; its sessions stay unbound and still refresh, with or without a DPoP proof."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import inspect, text

from jwtgate.auth import build_auth
from jwtgate.config import Settings
from jwtgate.store import create_db_engine, current_revision, upgrade
from jwtgate.store.migrate import alembic_config

REFRESH = "q" * 43


def _seed_previous_release(url: str) -> None:
    upgrade(url, "0003")
    engine = create_db_engine(url)
    now = time.time()
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, email, password_hash, roles,"
                    " disabled, created_at, updated_at) VALUES ('u1', 'alice', 'alice', NULL,"
                    " 'x', '[]', false, :t, :t)"
                ),
                {"t": now - 100},
            )
            conn.execute(
                text(
                    "INSERT INTO sessions (sid, user_id, client_id, scope, created_at,"
                    " last_used_at, expires_at, absolute_expires_at) VALUES ('s1', 'u1', NULL,"
                    " '', :t, :t, :e, :e)"
                ),
                {"t": now - 100, "e": now + 3600},
            )
            conn.execute(
                text(
                    "INSERT INTO refresh_tokens (token_hash, sid, created_at, expires_at)"
                    " VALUES (:h, 's1', :t, :e)"
                ),
                {
                    "h": hashlib.sha256(REFRESH.encode()).hexdigest(),
                    "t": now - 100,
                    "e": now + 3600,
                },
            )
    finally:
        engine.dispose()


def test_a_previous_database_upgrades_in_place(database_url: str) -> None:
    _seed_previous_release(database_url)
    auth = build_auth(Settings(database_url=database_url, issuer="https://auth.test"))
    try:
        engine = create_db_engine(database_url)
        try:
            assert current_revision(engine) == "0008"
            columns = {c["name"] for c in inspect(engine).get_columns("sessions")}
            assert "dpop_jkt" in columns
            codes = {c["name"] for c in inspect(engine).get_columns("authorization_codes")}
            assert "dpop_jkt" in codes
        finally:
            engine.dispose()
        # The old session is unbound: it refreshes without a proof, and its refresh token
        # (and session) survived the upgrade.
        pair = auth.refresh_grant(REFRESH)
        assert pair.token_type == "Bearer" and pair.refresh_token
        # ...and may get a DPoP-bound access token from now on.
        bound = auth.refresh_grant(pair.refresh_token, dpop_jkt="j" * 43)
        assert bound.token_type == "DPoP"
        assert auth.introspect(bound.access_token)["cnf"] == {"jkt": "j" * 43}
    finally:
        auth.close()


def test_downgrade_drops_the_columns(database_url: str) -> None:
    from alembic import command

    upgrade(database_url)
    engine = create_db_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "0003")
        assert current_revision(engine) == "0003"
        assert "dpop_jkt" not in {c["name"] for c in inspect(engine).get_columns("sessions")}
    finally:
        engine.dispose()
