"""CLI fixtures: a clean JWTGATE_* environment pointing at a temp SQLite database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jwtgate.store import upgrade


@pytest.fixture
def bare_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of the commands (also set in os.environ for the test's own reads);
    its database does not exist yet."""
    for name in list(os.environ):
        if name.startswith("JWTGATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    values = {
        "JWTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'jwtgate.db'}",
        "JWTGATE_ARGON2_TIME_COST": "1",
        "JWTGATE_ARGON2_MEMORY_COST": "8",
        "JWTGATE_ISSUER": "https://auth.test",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def env(bare_env: dict[str, str]) -> dict[str, str]:
    """``bare_env`` with its database created (as `jwtgate db upgrade` or a first `serve`
    would), since only those two commands create one."""
    upgrade(bare_env["JWTGATE_DATABASE_URL"])
    return bare_env
