"""Fixtures of the web tests: a fake auth with an admin and a user, and the app on it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from .fakeauth import FakeAuth
from .webkit import ADMIN, ALICE, make_app


@pytest.fixture
def auth() -> FakeAuth:
    fake = FakeAuth()
    fake.create_user(*ADMIN, roles=["admin"])
    fake.create_user(*ALICE)
    return fake


@pytest.fixture
def app(auth: FakeAuth) -> FastAPI:
    return make_app(auth)
