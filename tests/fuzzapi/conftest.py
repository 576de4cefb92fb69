"""Fixtures for API fuzzing: one seeded app per module (many examples against one database,
so state accumulates the way it does in production)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from jwtgate.auth import AuthService, build_auth
from jwtgate.server import create_app

from ..server.serverkit import ADMIN, PASSWORD, fast_settings, seed


@dataclass
class FuzzTarget:
    app: FastAPI
    auth: AuthService

    def admin_headers(self) -> dict[str, str]:
        """A fresh admin bearer: examples may log the previous one out."""
        pair = self.auth.login(ADMIN, PASSWORD)
        return {"authorization": f"Bearer {pair.access_token}"}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    db = tmp_path_factory.mktemp("fuzzapi") / "jwtgate.db"
    # Throttling would turn most login examples into 429s; it has its own tests.
    settings = fast_settings(
        f"sqlite:///{db}", throttle_user_failures=10**6, throttle_ip_failures=10**6
    )
    service = build_auth(settings)
    seed(service)
    yield FuzzTarget(create_app(settings, auth=service), service)
    service.close()
