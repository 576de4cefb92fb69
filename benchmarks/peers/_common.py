"""What every peer app shares: the user, lifetimes, and SQLite in WAL mode."""

from __future__ import annotations

import os
import sqlite3

USER = "bench"
PASSWORD = "bench user password for wrk 1"
EMAIL = "bench@example.com"
ACCESS_TTL = 900
REFRESH_TTL = 604800
SECRET = "benchmark secret key that is long enough for HS256 xx"
ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


def database() -> str:
    return os.environ["BENCH_DB"]


def hasher() -> str:
    value = os.environ.get("BENCH_HASHER", "default")
    if value not in ("default", "argon2"):
        raise SystemExit(f"BENCH_HASHER must be default or argon2, not {value!r}")
    return value


def wal(path: str) -> None:
    """Put the database in WAL mode (a property of the file, kept across connections)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
