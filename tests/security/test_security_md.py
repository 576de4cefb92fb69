"""SECURITY.md is evidence, not prose: every test it names exists, every RFC 8725 point and
every OWASP cheat-sheet point has a row, and the reporting channel is real."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "SECURITY.md").read_text()
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


@cache
def defined_tests(path: str) -> frozenset[str]:
    """The test functions defined at module level in a test file."""
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )


def test_every_referenced_test_exists() -> None:
    references = REFERENCE.findall(TEXT)
    assert len(references) > 60
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (ROOT / path).is_file() or name not in defined_tests(path)
    ]
    assert not missing, f"SECURITY.md names tests that do not exist: {missing}"


@pytest.mark.parametrize(
    "point",
    [f"2.{i} " for i in range(1, 10)] + [f"3.{i} " for i in range(1, 13)],
)
def test_every_rfc8725_section_has_a_row(point: str) -> None:
    assert re.search(rf"^\| {re.escape(point)}", TEXT, re.MULTILINE), point


@pytest.mark.parametrize(
    "point",
    [
        "none hashing algorithm",
        "token sidejacking",
        "no built-in token revocation by the user",
        "token information disclosure",
        "token storage on client side",
        "weak token secret",
    ],
)
def test_every_owasp_point_has_a_row(point: str) -> None:
    assert f"| {point} |" in TEXT


def test_every_row_names_a_proof_or_says_it_is_pending() -> None:
    """A table row of the RFC, OWASP and attack tables cites a test, says pending, or says
    why none is needed."""
    row = re.compile(r"\| ((2|3)\.\d+|none hashing|token (sid|inf|sto)|no built-in|weak token) ")
    for line in TEXT.splitlines():
        if row.match(line):
            assert REFERENCE.search(line) or "pending (issue 6)" in line or "none needed" in line


def test_reporting_goes_through_a_private_advisory() -> None:
    assert "private GitHub security advisory" in TEXT
    assert "@" not in TEXT.split("## Reporting a vulnerability")[1].split("##")[0]


def test_every_setting_is_in_the_defaults_table() -> None:
    from jwtgate.config import Settings

    exempt = {"host", "port"}  # where to listen, not a security trade-off
    table = TEXT.split("## Safe defaults")[1]
    for name in Settings.model_fields:
        if name not in exempt:
            assert f"`{name.upper()}`" in table, f"JWTGATE_{name.upper()} missing"
