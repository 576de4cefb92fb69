"""Secrets never rest in clear: not in the database (tables, file, write-ahead log), not in
log records at any level, not in error messages.

An insider with read access to the database (or to its backups, or to the logs) learns no
password, refresh token, access token or client secret: passwords are argon2id hashes, refresh
tokens and client secrets SHA-256 hashes, private signing keys sealed with AES-GCM.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from jwtgate.auth import AuthService, build_auth
from jwtgate.auth.errors import InvalidClient, InvalidGrant
from jwtgate.config import Settings

PASSWORD = "correct horse battery staple 42"
WRONG_PASSWORD = "a wrong password that must not leak 7"
NEW_PASSWORD = "another strong passphrase for alice 9"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "jwtgate.db"


@pytest.fixture
def service(db_path: Path) -> Iterator[AuthService]:
    settings = Settings(
        database_url=f"sqlite:///{db_path}",
        issuer="https://auth.test",
        argon2_time_cost=1,
        argon2_memory_cost=64,
        argon2_parallelism=1,
    )
    auth = build_auth(settings)
    try:
        yield auth
    finally:
        auth.close()


def every_secret(service: AuthService) -> dict[str, str]:
    """Exercise every path that handles a secret; return the secrets by name."""
    service.create_user("alice", PASSWORD)
    first = service.login("alice", PASSWORD, client_ip="198.51.100.7", user_agent="test")
    with pytest.raises(InvalidGrant):
        service.login("alice", WRONG_PASSWORD, client_ip="198.51.100.7", user_agent="test")
    second = service.refresh(first.refresh_token or "", client_ip="198.51.100.7")
    claims = service.authenticate(second.access_token)
    service.change_password(claims, PASSWORD, NEW_PASSWORD)
    client, client_secret = service.create_client("reporting", scopes=("read",))
    grant = service.client_credentials(client.client_id, client_secret, "read")
    with pytest.raises(InvalidClient):
        service.client_credentials(client.client_id, client_secret[::-1], "read")
    service.revoke(first.refresh_token or "")
    service.introspect(second.access_token)
    return {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "new password": NEW_PASSWORD,
        "rotated refresh token": first.refresh_token or "",
        "live refresh token": second.refresh_token or "",
        "access token": second.access_token,
        "client secret": client_secret,
        "client access token": grant.access_token,
    }


def test_no_table_row_holds_a_secret_in_clear(service: AuthService, db_path: Path) -> None:
    secrets = every_secret(service)
    with sqlite3.connect(db_path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        dump = "\n".join(
            repr(row) for table in tables for row in db.execute(f'SELECT * FROM "{table}"')
        )
    assert "alice" in dump  # the dump really holds the data
    for name, secret in secrets.items():
        assert secret not in dump, f"the {name} is stored in clear"


def test_the_database_files_hold_no_secret_in_clear(service: AuthService, db_path: Path) -> None:
    """Also the free pages and the write-ahead log, where a deleted row can linger."""
    secrets = every_secret(service)
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert any(b"alice" in p.read_bytes() for p in files)  # the data is really in these files
    for path in files:
        raw = path.read_bytes()
        for name, secret in secrets.items():
            assert secret.encode() not in raw, f"the {name} is in {path.name}"


def test_no_log_record_holds_a_secret(
    service: AuthService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = every_secret(service)
    text = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} was logged"


def test_errors_never_repeat_the_secret_presented(service: AuthService) -> None:
    service.create_user("bob", PASSWORD)
    with pytest.raises(InvalidGrant) as wrong:
        service.login("bob", WRONG_PASSWORD)
    refresh = "R" * 43
    with pytest.raises(InvalidGrant) as unknown:
        service.refresh(refresh)
    for caught, secret in ((wrong, WRONG_PASSWORD), (unknown, refresh)):
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value)
