"""Migration 0003 (OAuth clients for every app): a database made by the previous schema
(0001) upgrades in place on SQLite and PostgreSQL. Its clients become confidential clients
with their scopes, the client_credentials grant and their old secret; its sessions still
refresh."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import text

from jwtgate.auth import build_auth
from jwtgate.config import Settings
from jwtgate.store import create_db_engine, current_revision, head_revision, upgrade

SECRET = "s3cr3t-of-an-old-client-0123456789abcdefghij"
REFRESH = "r" * 43


def _seed_previous_release(url: str) -> None:
    """Rows as the previous release wrote them, at revision 0001."""
    upgrade(url, "0001")
    engine = create_db_engine(url)
    now = time.time()
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clients (client_id, name, secret_hash, scopes, created_at) "
                    "VALUES ('legacy', 'reports', :h, :s, :t)"
                ),
                {
                    "h": hashlib.sha256(SECRET.encode()).hexdigest(),
                    "s": '["reports:read"]',
                    "t": now - 100,
                },
            )
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
    settings = Settings(database_url=database_url, issuer="https://auth.test")
    auth = build_auth(settings)  # upgrades to head, as `jwtgate serve` does
    try:
        engine = create_db_engine(database_url)
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
        (client,) = auth.list_clients()
        assert client.client_id == "legacy" and client.type == "confidential"
        assert client.scopes == ("reports:read",)
        assert client.grant_types == ("client_credentials",)
        assert client.token_endpoint_auth_method == "client_secret_basic"
        assert client.redirect_uris == () and client.audiences == ()
        assert not client.disabled and not client.first_party
        assert client.created_at.timestamp() > 0
        # The old secret still works, for the grant it had.
        pair = auth.client_credentials("legacy", SECRET, "reports:read")
        assert auth.introspect(pair.access_token)["client_id"] == "legacy"
        # A session of the first-party login still refreshes where it did.
        assert auth.refresh(REFRESH).refresh_token
    finally:
        auth.close()
