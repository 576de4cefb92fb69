"""The client model of the Clients contract through the admin API: public and confidential
clients, every field, redirect URI validation with a clear 400 per kind of bad URI, and
disable / enable / delete / secret rotation (issue 11 item 6), on both backends."""

from __future__ import annotations

import httpx
import pytest

from .serverkit import bearer, error_of, login

SPA = {
    "name": "shop spa",
    "type": "public",
    "redirect_uris": ["https://shop.example/callback", "http://127.0.0.1/cb"],
    "post_logout_redirect_uris": ["https://shop.example/"],
    "scopes": ["openid", "orders:read"],
    "audiences": ["https://api.shop.example", "orders"],
    "first_party": True,
}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await login(client, "root"))["access_token"])


async def test_a_public_client_has_every_contract_field_and_no_secret(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post("/admin/clients", headers=admin, json=SPA)
    assert created.status_code == 201, created.text
    body = created.json()
    assert "client_secret" not in body
    assert set(body) == {
        "client_id",
        "name",
        "type",
        "redirect_uris",
        "post_logout_redirect_uris",
        "grant_types",
        "scopes",
        "audiences",
        "first_party",
        "token_endpoint_auth_method",
        "backchannel_logout_uri",
        "id_token_signed_response_alg",
        "dpop_bound_access_tokens",
        "disabled",
        "created_at",
    }
    assert body["type"] == "public" and body["token_endpoint_auth_method"] == "none"
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["audiences"] == ["https://api.shop.example", "orders"]
    read = await client.get(f"/admin/clients/{body['client_id']}", headers=admin)
    assert read.status_code == 200 and read.json() == body
    missing = await client.get("/admin/clients/nope", headers=admin)
    assert missing.status_code == 404 and error_of(missing) == "not_found"


async def test_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = (await client.post("/admin/clients", headers=admin, json=SPA)).json()
    url = f"/admin/clients/{body['client_id']}"
    patched = await client.patch(
        url,
        headers=admin,
        json={
            "name": "shop",
            "audiences": ["orders"],
            "backchannel_logout_uri": "https://shop.example/bc",
            "id_token_signed_response_alg": "ES256",
        },
    )
    assert patched.status_code == 200, patched.text
    out = patched.json()
    assert out["name"] == "shop" and out["audiences"] == ["orders"]
    assert out["redirect_uris"] == SPA["redirect_uris"] and out["scopes"] == SPA["scopes"]
    assert out["backchannel_logout_uri"] == "https://shop.example/bc"
    assert out["id_token_signed_response_alg"] == "ES256"
    for bad in (
        {"id_token_signed_response_alg": "HS256"},
        {"grant_types": ["client_credentials"]},  # a public client has no secret
        {"token_endpoint_auth_method": "client_secret_basic"},
        {"audiences": ["has space"]},
        {"unknown": 1},
    ):
        response = await client.patch(url, headers=admin, json=bad)
        assert response.status_code == 400 and error_of(response) == "invalid_request", bad


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("https://shop.example/cb#frag", "fragment"),
        ("https://*.shop.example/cb", "wildcard"),
        ("http://shop.example/cb", "loopback"),
        ("https://user@shop.example/cb", "user information"),
        ("javascript:alert(1)", "javascript"),
        ("/relative/cb", "absolute"),
        ("myapp:/cb", "private-use"),
        ("HTTPS://shop.example/cb", "lower-case"),
        ("https:///cb", "host"),
        ("https://shop.example/c b", "spaces"),
    ],
)
async def test_each_kind_of_bad_redirect_uri_gets_a_clear_400(
    client: httpx.AsyncClient, admin: dict[str, str], uri: str, says: str
) -> None:
    response = await client.post(
        "/admin/clients", headers=admin, json={**SPA, "redirect_uris": [uri]}
    )
    assert response.status_code == 400 and error_of(response) == "invalid_request"
    assert says in response.json()["error_description"]


async def test_good_redirect_uris_are_kept_exactly(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    uris = [
        "https://a.example/cb?x=1",
        "http://[::1]:8080/cb",
        "http://localhost/cb",
        "com.example.app:/oauth2redirect",
    ]
    response = await client.post(
        "/admin/clients", headers=admin, json={**SPA, "redirect_uris": uris}
    )
    assert response.status_code == 201 and response.json()["redirect_uris"] == uris


async def test_code_flow_needs_a_redirect_uri(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/admin/clients",
        headers=admin,
        json={"name": "x", "grant_types": ["authorization_code"]},
    )
    assert response.status_code == 400 and "redirect URI" in response.json()["error_description"]


async def _service(client: httpx.AsyncClient, admin: dict[str, str]) -> tuple[str, str]:
    body = (
        await client.post("/admin/clients", headers=admin, json={"name": "svc", "scopes": ["r"]})
    ).json()
    return body["client_id"], body["client_secret"]


async def _cc(client: httpx.AsyncClient, creds: tuple[str, str]) -> httpx.Response:
    return await client.post("/auth/token", data={"grant_type": "client_credentials"}, auth=creds)


async def test_item6_disabling_a_client_refuses_its_credentials_and_revokes_its_tokens(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    creds = await _service(client, admin)
    token = (await _cc(client, creds)).json()["access_token"]
    introspect = {"token": token}
    other = await _service(client, admin)
    assert (await client.post("/auth/introspect", data=introspect, auth=other)).json()["active"]
    off = await client.patch(f"/admin/clients/{creds[0]}", headers=admin, json={"disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    refused = await _cc(client, creds)
    assert refused.status_code == 401 and error_of(refused) == "invalid_client"
    feed = await client.get("/auth/revocations", auth=creds)
    assert feed.status_code == 401 and error_of(feed) == "invalid_client"
    as_introspector = await client.post("/auth/introspect", data=introspect, auth=creds)
    assert as_introspector.status_code == 401
    # The token it had is dead everywhere (and the feed tells remote Guards).
    assert (await client.post("/auth/introspect", data=introspect, auth=other)).json() == {
        "active": False
    }
    on = await client.patch(f"/admin/clients/{creds[0]}", headers=admin, json={"disabled": False})
    assert on.json()["disabled"] is False
    assert (await _cc(client, creds)).status_code == 200


async def test_item6_deleting_a_client_revokes_its_tokens(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    creds = await _service(client, admin)
    other = await _service(client, admin)
    token = (await _cc(client, creds)).json()["access_token"]
    gone = await client.delete(f"/admin/clients/{creds[0]}", headers=admin)
    assert gone.status_code == 204
    assert (await _cc(client, creds)).status_code == 401
    result = await client.post("/auth/introspect", data={"token": token}, auth=other)
    assert result.json() == {"active": False}
    again = await client.delete(f"/admin/clients/{creds[0]}", headers=admin)
    assert again.status_code == 404


async def test_item6_rotating_the_secret_stops_the_old_one(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    client_id, old = await _service(client, admin)
    rotated = await client.post(f"/admin/clients/{client_id}/secret", headers=admin)
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    new = rotated.json()["client_secret"]
    assert new and new != old
    assert (await _cc(client, (client_id, old))).status_code == 401
    assert (await _cc(client, (client_id, new))).status_code == 200
    spa = (await client.post("/admin/clients", headers=admin, json=SPA)).json()
    public = await client.post(f"/admin/clients/{spa['client_id']}/secret", headers=admin)
    assert public.status_code == 400 and "no secret" in public.json()["error_description"]


async def test_the_client_admin_api_needs_role_admin(client: httpx.AsyncClient) -> None:
    user = bearer((await login(client))["access_token"])
    for method, path in (
        ("GET", "/admin/clients/x"),
        ("PATCH", "/admin/clients/x"),
        ("DELETE", "/admin/clients/x"),
        ("POST", "/admin/clients/x/secret"),
    ):
        response = await client.request(method, path, headers=user, json={})
        assert response.status_code == 403, (method, path)


async def test_the_console_manages_clients(app: object, auth: object) -> None:
    """The admin console's Clients page: create a public app, disable and enable it, rotate a
    confidential client's secret, delete."""
    from fastapi import FastAPI

    from jwtgate.auth import AuthService

    from .oauthkit import ORIGIN, browser, csrf_of, sign_in

    assert isinstance(app, FastAPI) and isinstance(auth, AuthService)
    async with browser(app) as b:
        await sign_in(b, "root")
        page = await b.get("/web/admin/clients")
        created = await b.post(
            "/web/admin/clients",
            data={
                "csrf_token": csrf_of(page),
                "name": "Console SPA",
                "type": "public",
                "redirect_uris": "https://spa.example/cb\nhttp://127.0.0.1/cb",
                "scopes": "openid orders:read",
                "audiences": "https://api.example",
                "first_party": "on",
            },
            headers=ORIGIN,
        )
        assert created.status_code == 201, created.text[:300]
        assert "client_secret" not in created.text and "no secret" in created.text
        spa = next(c for c in auth.list_clients() if c.name == "Console SPA")
        assert (
            spa.public
            and spa.first_party
            and spa.redirect_uris == ("https://spa.example/cb", "http://127.0.0.1/cb")
        )
        off = await b.post(
            f"/web/admin/clients/{spa.client_id}/disable",
            data={"csrf_token": csrf_of(page)},
            headers=ORIGIN,
        )
        assert off.status_code == 303 and auth.get_client(spa.client_id).disabled
        await b.post(
            f"/web/admin/clients/{spa.client_id}/enable",
            data={"csrf_token": csrf_of(page)},
            headers=ORIGIN,
        )
        assert not auth.get_client(spa.client_id).disabled
        bad = await b.post(
            "/web/admin/clients",
            data={"csrf_token": csrf_of(page), "name": "x", "redirect_uris": "http://evil/cb"},
            headers=ORIGIN,
        )
        assert bad.status_code == 400 and "loopback" in bad.text
        svc, old = auth.create_client("svc")
        rotated = await b.post(
            f"/web/admin/clients/{svc.client_id}/secret",
            data={"csrf_token": csrf_of(page)},
            headers=ORIGIN,
        )
        assert rotated.status_code == 200 and "New secret for svc" in rotated.text
        assert old is not None and old not in rotated.text
        gone = await b.post(
            f"/web/admin/clients/{svc.client_id}/delete",
            data={"csrf_token": csrf_of(page)},
            headers=ORIGIN,
        )
        assert gone.status_code == 303
        assert all(c.client_id != svc.client_id for c in auth.list_clients())
        listed = await b.get("/web/admin/clients")
        assert "Console SPA" in listed.text and "jwtgate-docs" in listed.text
