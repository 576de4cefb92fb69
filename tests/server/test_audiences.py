"""Per-client audiences and RFC 8707 resource indicators (issue 11 item 5, issue 13): a token
names one API, a Guard for another API refuses it, and the server's own routes accept only
the deployment's audience."""

from __future__ import annotations

import httpx
import pytest

from jwtgate import Guard, InvalidAudience, KeySet
from jwtgate.auth import AuthService
from jwtgate.auth.oauth import ClientMetadata

from .serverkit import ISSUER, bearer, error_of

API_A, API_B = "https://a.api.example", "https://b.api.example"


@pytest.fixture
def service(auth: AuthService) -> tuple[str, str]:
    client, secret = auth.create_client("svc", meta=ClientMetadata(audiences=[API_A, API_B]))
    assert secret is not None
    return client.client_id, secret


async def _token(client: httpx.AsyncClient, creds: tuple[str, str], **form: str) -> httpx.Response:
    return await client.post(
        "/auth/token", data={"grant_type": "client_credentials", **form}, auth=creds
    )


async def test_item5_a_guard_for_api_a_refuses_a_token_minted_for_api_b(
    client: httpx.AsyncClient, auth: AuthService, service: tuple[str, str]
) -> None:
    keys = KeySet.from_jwks((await client.get("/.well-known/jwks.json")).json())
    guard_a = Guard(issuer=ISSUER, audience=API_A, keys=keys)
    guard_b = Guard(issuer=ISSUER, audience=API_B, keys=keys)
    for_b = (await _token(client, service, resource=API_B)).json()["access_token"]
    with pytest.raises(InvalidAudience):
        guard_a.verify(for_b)
    assert guard_b.verify(for_b).claims["aud"] == API_B  # one audience: a string
    default = (await _token(client, service)).json()["access_token"]
    assert guard_a.verify(default).claims["aud"] == API_A  # the client's first audience
    # The server's own API takes only JWTGATE_AUDIENCE; introspection sees every audience.
    me = await client.get("/auth/me", headers=bearer(default))
    assert me.status_code == 401 and error_of(me) == "invalid_token"
    assert auth.introspect(for_b)["aud"] == API_B


async def test_item5_resource_outside_the_clients_audiences_is_invalid_target(
    client: httpx.AsyncClient, service: tuple[str, str]
) -> None:
    for resource in ("https://c.api.example", API_A + "/", "api"):
        response = await _token(client, service, resource=resource)
        assert response.status_code == 400 and error_of(response) == "invalid_target", resource
