"""Bad input on every route: always a 4xx with the JSON error body, never a 5xx, and no partial
write. The client fixture itself fails any 5xx and any error without the JSON body."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jwtgate.auth import AuthService

from .serverkit import PASSWORD, bearer, error_of, login

JSON_ROUTES = [
    "/auth/login",
    "/auth/refresh",
    "/auth/logout",
    "/auth/password",
    "/auth/register",
    "/admin/users",
    "/admin/clients",
    "/admin/keys/rotate",
]
OPTIONAL_BODY = {"/auth/logout", "/admin/keys/rotate"}
FORM_ROUTES = ["/auth/token", "/auth/revoke", "/auth/introspect"]
JSON = {"content-type": "application/json"}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await login(client, "root"))["access_token"])


BAD_JSON_BODIES = [
    b"{",
    b'{"username": "alice", "password": }',
    b"[1, 2, 3]",
    b'"a string"',
    b"null",
    b"12",
    b'{"username": null, "password": null}',
    b'{"username": 5, "password": true}',
    b'{"username": ["a"], "password": {"b": 1}}',
    b'{"refresh_token": 1, "current_password": [], "name": {}}',
    b'{"username": "alice", "password": "x", "extra": 1}',
    b"\xff\xfe\x00garbage",
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    '{"username": "\u0000", "password": "\ud800"}'.encode("utf-8", "surrogatepass"),
]


@pytest.mark.parametrize("path", JSON_ROUTES)
async def test_malformed_json_is_400_invalid_request(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    for body in BAD_JSON_BODIES:
        if body == b"null" and path in OPTIONAL_BODY:
            continue  # JSON null is "no body" where the body is optional
        response = await client.post(path, content=body, headers={**JSON, **admin})
        assert response.status_code == 400, (path, body[:40])
        assert error_of(response) == "invalid_request"


@pytest.mark.parametrize("path", JSON_ROUTES)
async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = await client.post(
            path, content=b"username=a", headers={"content-type": content_type, **admin}
        )
        assert response.status_code == 415, (path, content_type)
        assert "application/json" in response.json()["error_description"]


async def test_a_missing_body_names_the_missing_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login")
    assert response.status_code == 400
    empty = await client.post("/auth/login", json={})
    description = empty.json()["error_description"]
    assert "username: required" in description and "password: required" in description


async def test_validation_errors_never_echo_the_input(client: httpx.AsyncClient) -> None:
    secret = "my-secret-password-" + "x" * 5000
    response = await client.post("/auth/login", json={"username": "alice", "password": secret})
    assert response.status_code == 400
    assert "my-secret-password" not in response.text
    typed = await client.post("/auth/login", json={"username": "alice", "password": 123456789})
    assert "123456789" not in typed.text


@pytest.mark.parametrize("path", FORM_ROUTES)
async def test_form_routes_refuse_other_content_types(client: httpx.AsyncClient, path: str) -> None:
    for headers in (JSON, {"content-type": "text/plain"}, {}):
        response = await client.post(path, content=b'{"token": "x"}', headers=headers)
        assert response.status_code == 415, (path, headers)


async def test_form_fields_too_long_are_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/token", data={"grant_type": "password", "username": "a" * 300, "password": "b"}
    )
    assert response.status_code == 400 and error_of(response) == "invalid_request"


NUL_JSON = [
    ("/auth/login", {"username": "ali\x00ce", "password": PASSWORD}),
    ("/auth/register", {"username": "bob\x00", "password": PASSWORD}),
    ("/admin/users", {"username": "bob", "password": PASSWORD, "email": "b\x00@example.com"}),
    ("/admin/users", {"username": "bob", "password": PASSWORD, "roles": ["r\x00"]}),
    ("/admin/clients", {"name": "svc\x00"}),
    ("/admin/clients", {"name": "svc", "scopes": ["read\x00"]}),
    ("/admin/keys/rotate", {"alg": "ES256\x00"}),
]
NUL_QUERIES = [
    "/admin/users?q=%00",
    "/admin/users?cursor=%00",
    "/admin/users/%00",
    "/admin/users/%00/sessions",
    "/admin/events?type=%00",
    "/admin/events?user=a%00",
]


async def test_nul_characters_are_400_on_every_backend(
    client: httpx.AsyncClient, admin: dict[str, str], auth: AuthService
) -> None:
    # PostgreSQL text cannot hold NUL: refused at the edge, so both backends answer alike.
    users, clients = len(auth.list_users(limit=200).items), len(auth.list_clients())
    for path, body in NUL_JSON:
        response = await client.post(path, json=body, headers=admin)
        assert response.status_code == 400, (path, body)
        assert "NUL" in response.json()["error_description"]
    for path in NUL_QUERIES:
        response = await client.get(path, headers=admin)
        assert response.status_code == 400 and error_of(response) == "invalid_request", path
    revoke = await client.delete("/admin/sessions/%00", headers=admin)
    assert revoke.status_code == 400
    form = await client.post(
        "/auth/token", data={"grant_type": "password", "username": "a\x00", "password": "x"}
    )
    assert form.status_code == 400 and error_of(form) == "invalid_request"
    assert len(auth.list_users(limit=200).items) == users and len(auth.list_clients()) == clients
    # Passwords and tokens are only hashed or parsed: a NUL there is just a wrong credential.
    wrong = await client.post("/auth/login", json={"username": "alice", "password": "x\x00"})
    assert wrong.status_code == 401 and error_of(wrong) == "invalid_grant"


async def test_a_client_id_with_nul_is_an_unknown_client(client: httpx.AsyncClient) -> None:
    basic = {"authorization": "Basic " + base64.b64encode(b"c\x00:secret").decode()}
    requests = [
        ("POST", "/auth/token", {"grant_type": "client_credentials"}, basic),
        (
            "POST",
            "/auth/token",
            {"grant_type": "client_credentials", "client_id": "c\x00", "client_secret": "s"},
            {},
        ),
        (
            "POST",
            "/auth/introspect",
            {"token": "x", "client_id": "c\x00", "client_secret": "s"},
            {},
        ),
        ("POST", "/auth/revoke", {"token": "x"}, basic),
        ("GET", "/auth/revocations", None, basic),
    ]
    for method, path, form, headers in requests:
        response = await client.request(method, path, data=form, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert error_of(response) == "invalid_client"
        assert response.headers["www-authenticate"] == 'Basic realm="jwtgate"'


@pytest.mark.parametrize("path", JSON_ROUTES + FORM_ROUTES)
async def test_an_oversized_body_is_413(client: httpx.AsyncClient, path: str) -> None:
    big = b'{"username": "' + b"a" * 70_000 + b'"}'
    declared = await client.post(path, content=big, headers=JSON)
    assert declared.status_code == 413 and error_of(declared) == "request_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        # Streamed without Content-Length (chunked): the limit holds while reading.
        for _ in range(80):
            yield b"a" * 1024

    content_type = (
        "application/x-www-form-urlencoded" if path in FORM_ROUTES else "application/json"
    )
    streamed = await client.post(path, content=chunks(), headers={"content-type": content_type})
    assert streamed.status_code == 413
    assert "content-length" not in streamed.request.headers


async def test_a_lying_content_length_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login", content=b"{}", headers={**JSON, "content-length": "abc"}
    )
    assert response.status_code == 400


async def test_body_limit_follows_the_settings(make_server) -> None:  # type: ignore[no-untyped-def]
    from .serverkit import make_client

    server = make_server(max_body_size=2048)
    async with make_client(server.app) as c:
        ok = await c.post("/auth/login", json={"username": "alice", "password": PASSWORD})
        assert ok.status_code == 200
        big = await c.post("/auth/login", json={"username": "alice", "password": "p" * 3000})
        assert big.status_code == 413


async def test_unknown_routes_and_methods(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/thing")
    assert missing.status_code == 404 and error_of(missing) == "not_found"
    wrong = await client.put("/auth/login", json={})
    assert wrong.status_code == 405 and error_of(wrong) == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]
    assert (await client.get("/auth/token")).status_code == 405


async def test_no_partial_write_on_a_refused_request(
    client: httpx.AsyncClient, admin: dict[str, str], auth: AuthService
) -> None:
    before = auth.list_users(limit=200).items
    for body in (
        {"username": "new1", "password": "weak"},
        {"username": "new2", "password": PASSWORD, "roles": ["bad role"]},
        {"username": "new3", "password": PASSWORD, "email": "not-an-email"},
        {"username": "ALICE", "password": PASSWORD},
    ):
        response = await client.post("/admin/users", headers=admin, json=body)
        assert response.status_code in (400, 409)
    assert auth.list_users(limit=200).items == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
field_names = st.sampled_from(
    [
        "username",
        "password",
        "refresh_token",
        "current_password",
        "new_password",
        "email",
        "roles",
        "disabled",
        "name",
        "scopes",
        "alg",
    ]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(JSON_ROUTES),
    body=st.dictionaries(field_names, json_values, max_size=4) | json_values,
)
async def test_any_json_gets_an_answer_that_is_not_a_5xx(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, body: object
) -> None:
    response = await client.post(path, content=json.dumps(body), headers={**JSON, **admin})
    assert response.status_code < 500


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    form=st.dictionaries(
        st.sampled_from(
            [
                "grant_type",
                "username",
                "password",
                "refresh_token",
                "scope",
                "client_id",
                "client_secret",
                "token",
                "token_type_hint",
            ]
        ),
        st.text(max_size=30) | st.sampled_from(["password", "refresh_token", "client_credentials"]),
        max_size=5,
    ),
    path=st.sampled_from(FORM_ROUTES),
)
async def test_any_form_gets_an_answer_that_is_not_a_5xx(
    client: httpx.AsyncClient, path: str, form: dict[str, str]
) -> None:
    response = await client.post(path, data=form)
    assert response.status_code < 500
