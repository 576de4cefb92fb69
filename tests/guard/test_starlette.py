"""Starlette: the authentication backend behind AuthenticationMiddleware, and ``require``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.applications import Starlette
from starlette.authentication import requires as starlette_requires
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from jwtgate import Guard
from jwtgate.guard.starlette import GuardUser, middleware, require

from .dpopkit import Holder, bound_token
from .guardkit import BARE_CHALLENGE, Issuer


def build_app(guard: Guard) -> Starlette:
    async def whoami(request: Request) -> JSONResponse:
        user = request.user
        return JSONResponse(
            {
                "authenticated": user.is_authenticated,
                "name": user.display_name,
                "scopes": sorted(request.auth.scopes),
            }
        )

    @require()
    async def users(request: Request) -> JSONResponse:
        assert isinstance(request.user, GuardUser)
        return JSONResponse({"sub": request.user.identity})

    @require(roles=["admin"])
    def report(request: Request) -> JSONResponse:  # sync endpoints work too
        return JSONResponse({"report": "ok"})

    @starlette_requires("read")
    async def reading(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/whoami", whoami),
            Route("/users", users),
            Route("/admin/report", report),
            Route("/reading", reading),
        ],
        middleware=[middleware(guard)],
    )


@pytest.fixture
def client(make_guard: Callable[..., Guard], issuer: Issuer) -> TestClient:
    return TestClient(build_app(make_guard(keys=issuer.keys)))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"bearer {token}"}


def test_anonymous_requests_pass_the_middleware(client: TestClient) -> None:
    body = client.get("/whoami").json()
    assert body == {"authenticated": False, "name": "", "scopes": []}


def test_a_valid_token_sets_user_and_scopes(client: TestClient, issuer: Issuer) -> None:
    body = client.get("/whoami", headers=auth(issuer.token(scope="read"))).json()
    assert body == {"authenticated": True, "name": "alice", "scopes": ["authenticated", "read"]}
    assert client.get("/reading", headers=auth(issuer.token(scope="read"))).status_code == 200


def test_a_bad_token_is_401_at_the_middleware(client: TestClient, issuer: Issuer) -> None:
    response = client.get("/whoami", headers=auth(issuer.token(iss="https://evil.example")))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json()["error"] == "invalid_token"


def test_require_answers_401_and_403(client: TestClient, issuer: Issuer) -> None:
    missing = client.get("/users")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == BARE_CHALLENGE
    assert client.get("/users", headers=auth(issuer.token())).json() == {"sub": "user-1"}
    forbidden = client.get("/admin/report", headers=auth(issuer.token(roles=["user"])))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "insufficient_scope"
    allowed = client.get("/admin/report", headers=auth(issuer.token(roles=["admin"])))
    assert allowed.json() == {"report": "ok"}


def test_dpop_bound_tokens_need_their_proof(client: TestClient, issuer: Issuer) -> None:
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    url = "http://testserver/users"
    proof = holder.proof("GET", url, token)
    ok = client.get("/users", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert ok.status_code == 200
    replayed = client.get("/users", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_dpop_proof"
    assert replayed.headers["www-authenticate"].startswith('DPoP realm="jwtgate", error=')
    as_bearer = client.get("/users", headers=auth(token))
    assert as_bearer.status_code == 401
    assert "DPoP-bound" in as_bearer.json()["error_description"]
    missing = client.get("/admin/report")  # require()'s own challenge names DPoP too
    assert missing.headers["www-authenticate"] == BARE_CHALLENGE
