"""Fixtures for the token-core tests: key material is made once per session (RSA is slow)."""

from __future__ import annotations

import pytest

from .tokenkit import ALGS, ASYMMETRIC, Material, make_materials


@pytest.fixture(scope="session")
def materials() -> dict[str, Material]:
    return make_materials()


@pytest.fixture(params=ALGS)
def material(request: pytest.FixtureRequest, materials: dict[str, Material]) -> Material:
    """Each algorithm in turn."""
    return materials[request.param]


@pytest.fixture(params=ASYMMETRIC)
def asymmetric(request: pytest.FixtureRequest, materials: dict[str, Material]) -> Material:
    """Each public-key algorithm in turn."""
    return materials[request.param]
