"""One meaning per request: repeated JSON members, repeated form or query parameters (RFC 6749
3.1, 3.2) and JSON in another encoding than UTF-8 (RFC 8259 8.1) are 400 invalid_request on
every route, before any route runs (one mechanism at the edge: StrictBodies)."""

from __future__ import annotations

import httpx
import pytest

from .serverkit import PASSWORD

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def assert_invalid_request(response: httpx.Response, mentions: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert mentions in body["error_description"]


async def test_a_repeated_username_member_does_not_log_in_as_the_last_one(
    client: httpx.AsyncClient,
) -> None:
    body = f'{{"username":"nobody","username":"alice","password":"{PASSWORD}"}}'
    response = await client.post("/auth/login", content=body, headers=JSON)
    assert_invalid_request(response, "'username' appears more than once")
    nested = '{"refresh_token":"x","x":{"a":1,"a":2}}'
    response = await client.post("/auth/refresh", content=nested, headers=JSON)
    assert_invalid_request(response, "'a' appears more than once")


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-32"),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: text.encode("latin-1") + b"\xff",
    ],
    ids=["utf-16", "utf-16-le", "utf-32", "utf-8 bom", "not utf-8"],
)
async def test_json_in_another_encoding_is_refused(client: httpx.AsyncClient, encode) -> None:  # type: ignore[no-untyped-def]
    body = encode(f'{{"username":"alice","password":"{PASSWORD}"}}')
    response = await client.post("/auth/login", content=body, headers=JSON)
    assert_invalid_request(response, "UTF-8")


@pytest.mark.parametrize("name", ["username", "client_id", "grant_type", "password"])
async def test_a_repeated_token_endpoint_parameter_is_refused(
    client: httpx.AsyncClient, name: str
) -> None:
    params = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    params.setdefault(name, "x")
    body = httpx.QueryParams(params).add(name, params[name] + "y")
    response = await client.post("/auth/token", content=str(body), headers=FORM)
    assert_invalid_request(response, f"'{name}' appears more than once")


async def test_repeated_parameters_are_refused_on_every_form_route_and_query(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/auth/revoke", "/auth/introspect", "/web/login"):
        response = await client.post(path, content="token=a&token=b", headers=FORM)
        assert_invalid_request(response, "'token' appears more than once")
    response = await client.get("/admin/events?type=a&type=b")
    assert_invalid_request(response, "'type' appears more than once")


async def test_resource_may_repeat_and_plain_bodies_still_work(client: httpx.AsyncClient) -> None:
    form = f"grant_type=password&username=alice&password={PASSWORD}"
    response = await client.post(
        "/auth/token", content=form + "&resource=a&resource=b", headers=FORM
    )
    assert response.status_code != 400 or "more than once" not in response.text
    ok = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    assert ok.status_code == 200


async def test_multipart_is_refused_everywhere(client: httpx.AsyncClient) -> None:
    for path in ("/auth/login", "/auth/token", "/web/login"):
        response = await client.post(path, files={"username": (None, "alice")})
        assert response.status_code == 415, (path, response.text)
