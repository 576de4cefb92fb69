"""schemathesis against the served OpenAPI document: no 5xx, and every response matches the
schema (status code, content type, body). Bounded to a few examples per operation in
``make test``; set JWTGATE_FUZZ_API_EXAMPLES (``make fuzz-api``) for longer runs."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from .conftest import FuzzTarget

# Schema-valid is not the same as acceptable: a wrong current password or a weak new one is
# well-formed JSON that must still be refused (400), and a well-formed unknown id is a 404.
SEMANTIC_CHECKS = [schemathesis.checks.positive_data_acceptance]
MAX_EXAMPLES = int(os.environ.get("JWTGATE_FUZZ_API_EXAMPLES", "12"))


def _operations(target: FuzzTarget) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_is_documented(fuzz_target: FuzzTarget) -> None:
    paths = {op.path for op in _operations(fuzz_target)}
    for path in (
        "/auth/login",
        "/auth/refresh",
        "/auth/token",
        "/auth/revoke",
        "/auth/introspect",
        "/admin/users",
        "/admin/keys/rotate",
    ):
        assert path in paths


def test_api_conforms_to_its_schema(fuzz_target: FuzzTarget) -> None:
    failures: list[str] = []
    for operation in _operations(fuzz_target):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers=fuzz_target.admin_headers(), excluded_checks=SEMANTIC_CHECKS
            )

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
