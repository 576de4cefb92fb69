"""DPoP proofs made by clients nobody here wrote, against a Guard-protected service served by
uvicorn: PyPI requests-oauth2client (``DPoPKey``, ``DPoPToken``) and npm openid-client (its
DPoP handle) with a real DPoP-bound token from npm oidc-provider."""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

import json
import secrets
import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
import requests
from fastapi import Depends, FastAPI, Request
from requests_oauth2client import DPoPKey, DPoPToken

from jwtgate import Guard, Principal
from jwtgate.guard.middleware import GuardMiddleware, principal_of, requires
from tests.nodekit import node_process, require_node_modules, run_node
from tests.server.live import free_port

from .dpopkit import serve_asgi
from .guardkit import AUD, ISS, Issuer

RESOURCE = "urn:jwtgate:orders"


def protected_app(guard: Guard) -> FastAPI:
    app = FastAPI()
    app.add_middleware(GuardMiddleware, guard=guard)

    @app.get("/orders")
    @requires()
    async def orders(request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        return {"sub": principal.sub, "jkt": principal.jkt}

    @app.get("/me")
    async def me(user: Annotated[Principal, Depends(guard.require())]) -> dict[str, Any]:
        return {"sub": user.sub}

    return app


@pytest.mark.parametrize("nonce", [False, True], ids=["no nonce", "nonce demanded"])
def test_requests_oauth2client_dpop_token(nonce: bool) -> None:
    issuer = Issuer(time.time)  # type: ignore[arg-type]
    key = DPoPKey.generate(alg="ES256")
    token = issuer.token(cnf={"jkt": key.dpop_jkt})
    guard = Guard(issuer=ISS, audience=AUD, keys=issuer.keys, dpop_nonce=nonce)
    with serve_asgi(protected_app(guard)) as base:
        auth = DPoPToken(access_token=token, _dpop_key=key)
        for path in ("/orders", "/me", "/orders?page=2"):
            response = requests.get(base + path, auth=auth, timeout=10)
            assert response.status_code == 200, response.text
        assert response.json()["jkt"] == key.dpop_jkt
        stolen = requests.get(
            base + "/orders", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert stolen.status_code == 401
        assert stolen.json()["error"] == "invalid_token"
        # A thief with its own key: the library's proof is good, but for another key. (Sent
        # without the library's response hook, which takes every DPoP 401 for a nonce.)
        thief = DPoPToken(access_token=token, _dpop_key=DPoPKey.generate(alg="ES256"))
        prepared = requests.Request("GET", base + "/orders", auth=thief).prepare()
        prepared.hooks = {"response": []}
        with requests.Session() as session:
            refused = session.send(prepared, timeout=10)
        assert refused.status_code == 401
        expected = "use_dpop_nonce" if nonce else "invalid_dpop_proof"
        assert refused.json()["error"] == expected


@pytest.fixture(scope="module")
def provider() -> Iterator[dict[str, Any]]:
    require_node_modules("oidc-provider", "openid-client")
    secret = secrets.token_urlsafe(24)
    with node_process("scripts/foreign_issuer.mjs", str(free_port()), secret) as ready:
        yield {"issuer": ready["issuer"], "secret": secret}


@pytest.mark.parametrize("nonce", [False, True], ids=["no nonce", "nonce demanded"])
def test_openid_client_dpop_against_a_guard_for_oidc_provider(
    provider: dict[str, Any], nonce: bool
) -> None:
    guard = Guard(issuer=provider["issuer"], audience=RESOURCE, dpop_nonce=nonce)
    with serve_asgi(protected_app(guard)) as base:
        out = run_node(
            "scripts/dpop_client.mjs",
            provider["issuer"],
            "svc",
            provider["secret"],
            RESOURCE,
            base + "/orders",
            "3",
        )
    result = json.loads(out)
    assert result["token_type"].lower() == "dpop"
    assert result["statuses"] == [200, 200, 200], result
    body = json.loads(result["bodies"][0])
    assert body["sub"] == "svc" and body["jkt"]
