"""Discovery (JWKS, server metadata), /healthz, /metrics and the OpenAPI document."""

from __future__ import annotations

import base64

import httpx
from fastapi import FastAPI

from jwtgate import KeySet, decode
from jwtgate.auth import AuthService

from .serverkit import ISSUER, LOOPBACK_ADDRESS, bearer, login, make_client

CONTRACT_ROUTES = {
    ("post", "/auth/login"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("post", "/auth/logout-all"),
    ("get", "/auth/me"),
    ("post", "/auth/password"),
    ("post", "/auth/register"),
    ("post", "/auth/token"),
    ("post", "/auth/revoke"),
    ("post", "/auth/introspect"),
    ("get", "/auth/revocations"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/.well-known/openid-configuration"),
    ("get", "/admin/users"),
    ("post", "/admin/users"),
    ("get", "/admin/users/{id}"),
    ("patch", "/admin/users/{id}"),
    ("delete", "/admin/users/{id}"),
    ("get", "/admin/users/{id}/sessions"),
    ("delete", "/admin/sessions/{sid}"),
    ("get", "/admin/keys"),
    ("post", "/admin/keys/rotate"),
    ("get", "/admin/events"),
    ("get", "/admin/clients"),
    ("post", "/admin/clients"),
    ("get", "/healthz"),
    ("get", "/metrics"),
}


async def test_jwks_verifies_issued_tokens(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    jwks = response.json()
    assert all("d" not in key for key in jwks["keys"])
    tokens = await login(client)
    claims = decode(
        tokens["access_token"], KeySet.from_jwks(jwks), issuer=ISSUER, audience="api", typ="at+jwt"
    )
    assert claims["preferred_username"] == "alice"
    assert {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "roles", "scope"} <= set(claims)


async def test_discovery_document(client: httpx.AsyncClient) -> None:
    meta = (await client.get("/.well-known/openid-configuration")).json()
    assert meta["issuer"] == ISSUER
    assert meta["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert meta["token_endpoint"] == ISSUER + "/auth/token"
    assert meta["revocation_endpoint"] == ISSUER + "/auth/revoke"
    assert meta["introspection_endpoint"] == ISSUER + "/auth/introspect"
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert meta["authorization_endpoint"] == ISSUER + "/auth/authorize"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]
    assert meta["scopes_supported"] == ["email", "offline_access", "openid", "profile"]
    # Nothing advertised that does not exist: no private_key_jwt or client_secret_jwt, so no
    # token_endpoint_auth_signing_alg_values_supported; ID tokens are signed with the
    # ID-token key ring's algorithms, RS256 among them.
    assert "token_endpoint_auth_signing_alg_values_supported" not in meta
    assert meta["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    # The password grant is off by default (RFC 9700 2.4), so it is not advertised.
    assert "password" not in meta["grant_types_supported"]


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


async def test_metrics_count_logins_refreshes_errors_and_latency(app: FastAPI) -> None:
    async with make_client(app, LOOPBACK_ADDRESS) as client:
        await metrics_flow(client)


async def metrics_flow(client: httpx.AsyncClient) -> None:
    tokens = await login(client)
    await client.post("/auth/login", json={"username": "alice", "password": "wrong!"})
    await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await client.post("/auth/refresh", json={"refresh_token": "A" * 43})  # unknown
    await client.get("/auth/me", headers=bearer("garbage"))
    await client.get("/admin/users/123", headers=bearer("garbage"))
    await client.get("/admin/users/456", headers=bearer("garbage"))
    await client.get("/nowhere/1")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert sample(text, "jwtgate_logins_total", result="success") == 1
    assert sample(text, "jwtgate_logins_total", result="failure") == 1
    assert sample(text, "jwtgate_refreshes_total", result="success") == 1
    assert sample(text, "jwtgate_refreshes_total", result="failure") == 1
    assert sample(text, "jwtgate_token_errors_total", reason="MalformedToken") == 3
    histogram = "jwtgate_http_request_duration_seconds_count"
    assert sample(text, histogram, method="POST", route="/auth/login") == 2
    # By route template, never by raw path.
    assert sample(text, histogram, method="GET", route="/admin/users/{id}") == 2
    assert "/admin/users/123" not in text and "/nowhere" not in text
    assert sample(text, histogram, method="GET", route="unmatched") == 1


async def test_metrics_are_per_app(make_server) -> None:  # type: ignore[no-untyped-def]
    first, second = make_server(), make_server()
    async with make_client(first.app) as a, make_client(second.app, LOOPBACK_ADDRESS) as b:
        await login(a)
        text = (await b.get("/metrics")).text
    assert sample(text, "jwtgate_logins_total", result="success") == 0


async def test_openapi_documents_every_route_and_the_code_flow(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if not path.startswith("/web")
    }
    assert set(operations) >= CONTRACT_ROUTES
    scheme = spec["components"]["securitySchemes"]["OAuth2"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["authorizationCode"]["tokenUrl"] == "/auth/token"
    assert scheme["flows"]["authorizationCode"]["authorizationUrl"] == "/auth/authorize"
    for key in CONTRACT_ROUTES:
        op = operations[key]
        assert op.get("summary") and op.get("description"), key
        assert any(code.startswith("2") for code in op["responses"]), key
    protected = {k for k, op in operations.items() if op.get("security")}
    assert ("get", "/auth/me") in protected and ("get", "/admin/users") in protected
    for key in protected:
        assert "401" in operations[key]["responses"], key
    for path in ("/auth/login", "/auth/token", "/admin/users"):
        responses = operations[("post", path)]["responses"]
        assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "ErrorOut"
        )
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_discovery_names_the_revocation_feed(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    """``revocation_feed_endpoint``: where a Guard finds GET /auth/revocations."""
    meta = (await client.get("/.well-known/openid-configuration")).json()
    assert meta["revocation_feed_endpoint"] == ISSUER + "/auth/revocations"
    created, secret = auth.create_client("orders", [])
    basic = base64.b64encode(f"{created.client_id}:{secret}".encode()).decode()
    path = meta["revocation_feed_endpoint"].removeprefix(ISSUER)
    feed = await client.get(path, headers={"authorization": f"Basic {basic}"})
    assert feed.status_code == 200 and set(feed.json()) >= {"cursor", "sessions", "tokens"}
    assert (await client.get(path)).status_code == 401
    openapi = (await client.get("/openapi.json")).json()
    assert "revocation_feed_endpoint" in openapi["components"]["schemas"]["Discovery"]["required"]


METRICS_TOKEN = "m3tr1cs-scraper-token-0123456789"


async def test_metrics_are_for_direct_loopback_peers_only_by_default(app: FastAPI) -> None:
    async with make_client(app) as remote:
        refused = await remote.get("/metrics")  # from 192.0.2.7
    assert refused.status_code == 403 and refused.json()["error"] == "access_denied"
    assert "JWTGATE_METRICS_TOKEN" in refused.json()["error_description"]
    assert "jwtgate_" not in refused.text
    async with make_client(app, LOOPBACK_ADDRESS) as local:
        assert (await local.get("/metrics")).status_code == 200
        # Through a proxy on this machine every request comes from loopback: whatever
        # address the proxy vouches for, a forwarded request is not a direct peer.
        for header, value in (
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=127.0.0.1"),
            ("x-real-ip", "127.0.0.1"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "auth.example.com"),
        ):
            forwarded = await local.get("/metrics", headers={header: value})
            assert forwarded.status_code == 403, header


async def test_metrics_need_the_token_from_everyone_when_one_is_set(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(metrics_token=METRICS_TOKEN)
    for address in (LOOPBACK_ADDRESS, ("203.0.113.5", 4000)):
        async with make_client(server.app, address) as client:
            absent = await client.get("/metrics")
            assert absent.status_code == 401
            assert absent.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
            for wrong in (METRICS_TOKEN[:-1], METRICS_TOKEN + "x", "x", METRICS_TOKEN.upper()):
                refused = await client.get("/metrics", headers=bearer(wrong))
                assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
                assert wrong not in refused.text
            basic = await client.get("/metrics", auth=("scraper", METRICS_TOKEN))
            assert basic.status_code == 401
            good = await client.get("/metrics", headers=bearer(METRICS_TOKEN))
            assert good.status_code == 200 and "jwtgate_logins_total" in good.text
            forwarded = await client.get(
                "/metrics", headers={**bearer(METRICS_TOKEN), "x-forwarded-for": "198.51.100.1"}
            )
            assert forwarded.status_code == 200  # the token is enough, proxy or not
        # A wrong metrics token is no rejected access token.
        assert 'reason="InvalidToken"' not in good.text


def test_the_metrics_token_is_a_secret_of_some_length() -> None:
    import pytest
    from pydantic import ValidationError

    from jwtgate.config import Settings

    with pytest.raises(ValidationError, match="at least 16"):
        Settings(metrics_token="short")
    settings = Settings(metrics_token=METRICS_TOKEN)
    assert METRICS_TOKEN not in repr(settings) and METRICS_TOKEN not in str(settings.safe_dict())
