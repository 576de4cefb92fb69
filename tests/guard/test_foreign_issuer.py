"""A Guard for an issuer nobody here wrote: npm oidc-provider as a real process on loopback.
Its discovery document, its JWK Set and a real access token it issued (client_credentials with
a resource indicator, RFC 8707, so the token is an RFC 9068 JWT)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jwtgate import Guard, InvalidAudience, InvalidSignature
from tests.nodekit import node_process, require_node_modules
from tests.server.live import free_port

RESOURCE = "urn:jwtgate:orders"


@pytest.fixture(scope="module")
def provider() -> Iterator[dict[str, Any]]:
    require_node_modules("oidc-provider")
    secret = secrets.token_urlsafe(24)
    with node_process("scripts/foreign_issuer.mjs", str(free_port()), secret) as ready:
        yield {"issuer": ready["issuer"], "secret": secret}


def access_token(provider: dict[str, Any], **form: str) -> dict[str, Any]:
    response = httpx.post(
        provider["issuer"] + "/token",
        data={"grant_type": "client_credentials", "resource": RESOURCE, **form},
        auth=("svc", provider["secret"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_real_oidc_provider_token_verifies_through_discovery(
    provider: dict[str, Any],
) -> None:
    body = access_token(provider, scope="orders:read")
    assert body["token_type"].lower() == "bearer"
    with Guard(issuer=provider["issuer"], audience=RESOURCE) as guard:
        principal = guard.verify(body["access_token"])
        assert principal.sub == "svc"
        assert principal.scopes == {"orders:read"}
        assert principal.claims["client_id"] == "svc"
        assert guard.stats().key_fetches == 1


async def test_async_and_refusals(provider: dict[str, Any]) -> None:
    token = access_token(provider)["access_token"]
    other = Guard(issuer=provider["issuer"], audience="urn:someone-else")
    with pytest.raises(InvalidAudience):
        await other.averify(token)
    guard = Guard(issuer=provider["issuer"], audience=RESOURCE)
    assert (await guard.averify(token)).sub == "svc"
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(InvalidSignature):
        await guard.averify(forged)
