"""The files that hold the data are the owner's alone (issue 11 item 11), on real files
under a permissive umask: the SQLite database, its -wal and -shm, the master key file."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from jwtgate.auth import build_auth
from jwtgate.cli import app
from jwtgate.store import load_master_key
from jwtgate.store.engine import create_db_engine

from ..auth.authkit import fast_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The common default (022): every file anyone creates is world-readable unless its
    creator takes care."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_database_its_wal_and_shm_and_the_key_file_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "data" / "jwtgate.db"
    db.parent.mkdir()  # a SQLite database's directory must exist (tests/store/test_engine.py)
    auth = build_auth(fast_settings(f"sqlite:///{db}"))
    try:
        auth.create_user("alice", "correct horse battery staple")  # writes go to the WAL
        files = {p.name: mode(p) for p in db.parent.iterdir()}
        assert {"jwtgate.db", "jwtgate.db-wal", "jwtgate.db-shm", "jwtgate.db.key"} <= set(files)
        assert files == dict.fromkeys(files, 0o600), files
    finally:
        auth.close()


def test_files_left_readable_by_an_older_release_are_made_private(tmp_path: Path) -> None:
    db = tmp_path / "jwtgate.db"
    old = sqlite3.connect(db)  # as before: 0644 under umask 022, WAL files alike
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE t (x)")
    old.execute("INSERT INTO t VALUES (1)")
    old.commit()
    assert mode(db) == 0o644 and mode(db.with_name("jwtgate.db-wal")) == 0o644
    engine = create_db_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar() == 1
            for name in ("jwtgate.db", "jwtgate.db-wal", "jwtgate.db-shm"):
                assert mode(tmp_path / name) == 0o600, name
    finally:
        engine.dispose()
        old.close()


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o660, 0o602, 0o644], ids=oct)
def test_a_key_file_open_to_group_or_others_is_refused(tmp_path: Path, loose: int) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    key = load_master_key(url)
    path = tmp_path / "j.db.key"
    path.chmod(loose)
    with pytest.raises(ValueError, match=r"chmod 600 .*j\.db\.key") as caught:
        load_master_key(url)
    assert f"mode {loose:o}" in str(caught.value)
    assert path.read_text().strip() not in str(caught.value)  # never the key itself
    path.chmod(0o600)
    assert load_master_key(url) == key


def test_the_cli_stops_on_a_readable_key_file_and_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    for name in list(os.environ):
        if name.startswith("JWTGATE_"):
            monkeypatch.delenv(name)
    key_file = tmp_path / "master.key"
    monkeypatch.setenv("JWTGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'jwtgate.db'}")
    monkeypatch.setenv("JWTGATE_KEY_FILE", str(key_file))
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0  # the database, and its key
    assert runner.invoke(app, ["users", "list"]).exit_code == 0
    assert mode(key_file) == 0o600
    key_file.chmod(0o644)
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 2
    output = result.stdout + (result.stderr or "")
    assert f"chmod 600 {key_file}" in output
