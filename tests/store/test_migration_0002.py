"""Revision 0002 on a database made by revision 0001, on SQLite and PostgreSQL: it gains the
login-throttle table, usernames are re-keyed with PRECIS (RFC 8265) in place, and every
existing user logs in as before; the Kelvin-sign spelling of a name no longer does."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from jwtgate.auth import InvalidGrant, build_auth
from jwtgate.auth.passwords import PasswordHasher
from jwtgate.store import create_db_engine, current_revision, upgrade
from jwtgate.store.migrate import head_revision

from ..auth.authkit import fast_settings

PASSWORD = "correct horse battery staple"
# (username, username_key as revision 0001 stored it): casefold, and one stored unfolded.
OLD_USERS = [("Kate", "kate"), ("bob.smith@example.com", "bob.smith@example.com"),
             ("Mixed.Case", "Mixed.Case")]  # fmt: skip


def test_a_0001_database_upgrades_and_its_users_log_in(database_url: str) -> None:
    upgrade(database_url, "0001")
    # The hash as the service makes it (no service here: the schema is still at 0001).
    hashed = PasswordHasher.from_settings(fast_settings(database_url)).hash(PASSWORD)
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            for i, (name, key) in enumerate(OLD_USERS):
                conn.execute(
                    text(
                        "INSERT INTO users (id, username, username_key, email, password_hash, "
                        "roles, disabled, created_at, updated_at) VALUES (:id, :name, :key, "
                        "NULL, :hash, '[]', false, 0, 0)"
                    ),
                    {"id": f"00000000-0000-7000-8000-00000000000{i}", "name": name, "key": key,
                     "hash": hashed},
                )  # fmt: skip
        upgrade(database_url)
        assert current_revision(engine) == head_revision()  # 0002 and what follows it
        assert "throttle_attempts" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT username, username_key FROM users")).all())
        assert keys["Mixed.Case"] == "mixed.case"  # re-keyed
    finally:
        engine.dispose()
    service = build_auth(fast_settings(database_url))
    try:
        for typed in ("kate", "KATE", "\uff2b\uff21\uff34\uff25", "Bob.Smith@example.com",
                      "mixed.case"):  # fmt: skip
            assert service.login(typed, PASSWORD).access_token
        with pytest.raises(InvalidGrant):
            service.login("\u212aate", PASSWORD)  # the Kelvin sign is not a K
    finally:
        service.close()
