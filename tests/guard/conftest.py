"""Fixtures for the Guard tests: a fake clock, an issuer on it, a local JWKS server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jwtgate import Guard

from .guardkit import AUD, ISS, FakeClock, Issuer, Served, TestServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer(clock: FakeClock) -> Issuer:
    return Issuer(clock)


@pytest.fixture
def server(issuer: Issuer) -> Iterator[TestServer]:
    """Serves the issuer's JWK Set at /jwks.json and an empty revocation feed."""
    srv = TestServer(Served(jwks=issuer.jwks()))
    yield srv
    srv.stop()


@pytest.fixture
def make_guard(clock: FakeClock) -> Iterator[Callable[..., Guard]]:
    """Guards on the fake clock, closed after the test."""
    made: list[Guard] = []

    def make(**options: Any) -> Guard:
        options.setdefault("issuer", ISS)
        options.setdefault("audience", AUD)
        options.setdefault("clock", clock)
        guard = Guard(**options)
        made.append(guard)
        return guard

    yield make
    for guard in made:
        guard.close()
