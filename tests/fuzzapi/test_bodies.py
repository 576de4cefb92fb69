"""Property tests over every JSON and form endpoint: whatever the body, the answer is a 2xx or
a 4xx with the documented JSON error shape, never a 5xx, and never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import FuzzTarget

EXAMPLES = int(os.environ.get("JWTGATE_FUZZ_API_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)

JSON_ENDPOINTS = [
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/password"),
    ("POST", "/auth/register"),
    ("POST", "/auth/password/forgot"),
    ("POST", "/auth/password/reset"),
    ("POST", "/auth/email/verify/request"),
    ("POST", "/auth/email/verify"),
    ("POST", "/auth/email"),
    ("POST", "/admin/users"),
    ("PATCH", "/admin/users/{user}"),
    ("POST", "/admin/clients"),
]
FORM_ENDPOINTS = ["/auth/token", "/auth/revoke", "/auth/introspect"]
FIELDS = [
    "username",
    "password",
    "email",
    "refresh_token",
    "current_password",
    "new_password",
    "roles",
    "disabled",
    "name",
    "scopes",
    "grant_type",
    "token",
    "token_type_hint",
    "client_id",
    "client_secret",
    "scope",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=80)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Objects whose keys are mostly the real field names, so validation goes past the first step.
json_objects = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6
)
form_values = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8), st.text(max_size=60), max_size=6
)


def check(response: Any) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["error"], str) and body["error"]
        assert isinstance(body["error_description"], str)


@pytest.fixture(scope="module")
def http(fuzz_target: FuzzTarget) -> Iterator[TestClient]:
    with TestClient(fuzz_target.app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def user_id(fuzz_target: FuzzTarget) -> str:
    user = fuzz_target.auth.find_user("alice")
    assert user is not None
    return str(user.id)


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_json_endpoints_answer_any_json(
    http: TestClient, fuzz_target: FuzzTarget, user_id: str, method: str, path: str
) -> None:
    url = path.format(user=user_id)

    @FUZZ
    @given(body=json_values | json_objects)
    def run(body: Any) -> None:
        headers = {**fuzz_target.admin_headers(), "content-type": "application/json"}
        check(http.request(method, url, content=json.dumps(body), headers=headers))

    run()


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_json_endpoints_answer_any_bytes(
    http: TestClient, fuzz_target: FuzzTarget, user_id: str, method: str, path: str
) -> None:
    url = path.format(user=user_id)

    @FUZZ
    @given(
        body=st.binary(max_size=300),
        content_type=st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]
        ),
    )
    def run(body: bytes, content_type: str) -> None:
        headers = {**fuzz_target.admin_headers(), "content-type": content_type}
        check(http.request(method, url, content=body, headers=headers))

    run()


@pytest.mark.parametrize("path", FORM_ENDPOINTS)
def test_form_endpoints_answer_any_form(http: TestClient, path: str) -> None:
    @FUZZ
    @given(
        form=form_values, basic=st.none() | st.tuples(st.text(max_size=20), st.text(max_size=20))
    )
    def run(form: dict[str, str], basic: tuple[str, str] | None) -> None:
        check(http.post(path, data=form, auth=basic))

    run()


def test_oversized_bodies_are_413_everywhere(http: TestClient, user_id: str) -> None:
    big = b'{"username": "' + b"a" * (70 * 1024) + b'"}'
    for method, path in JSON_ENDPOINTS:
        response = http.request(
            method,
            path.format(user=user_id),
            content=big,
            headers={"content-type": "application/json"},
        )
        check(response)
        assert response.status_code == 413, (path, response.status_code)
