"""FastAPI: ``Depends(guard.require(...))`` and ``guard.annotated(...)`` answer like jwtgate's
server: 401 with a bare challenge without a token, 401 ``invalid_token`` with a bad one, 403
``insufficient_scope`` without the role or scope, each with a JSON error body."""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

from collections.abc import Callable
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from jwtgate import Guard, Principal
from jwtgate.guard.fastapi import BearerError, install

from .guardkit import BARE_CHALLENGE, FakeClock, Issuer


def build_app(guard: Guard) -> FastAPI:
    app = FastAPI()
    Admin = guard.annotated(roles="admin")

    @app.get("/users")
    async def users(user: Annotated[Principal, Depends(guard.require())]) -> dict[str, Any]:
        return {"sub": user.sub, "roles": list(user.roles)}

    @app.get("/admin/report")
    def report(user: Admin) -> dict[str, Any]:  # a sync route works as well
        return {"report": "ok", "by": user.sub}

    @app.get("/write")
    async def write(
        user: Principal = Depends(guard.require(scopes=["read", "write"])),
    ) -> dict[str, str]:
        return {"sub": user.sub}

    @app.get("/edit")
    async def edit(
        user: Principal = Depends(guard.require(any_role=["editor", "admin"])),
    ) -> dict[str, str]:
        return {"sub": user.sub}

    @app.get("/open")
    async def open_route() -> dict[str, str]:
        return {"ok": "yes"}

    return app


@pytest.fixture
def guard(make_guard: Callable[..., Guard], issuer: Issuer) -> Guard:
    return make_guard(keys=issuer.keys)


@pytest.fixture
def client(guard: Guard) -> TestClient:
    return TestClient(build_app(guard))


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def test_a_valid_token_reaches_the_route(client: TestClient, issuer: Issuer) -> None:
    response = client.get("/users", headers=bearer(issuer.token()))
    assert response.status_code == 200
    assert response.json() == {"sub": "user-1", "roles": ["user"]}


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_scheme_is_case_insensitive(client: TestClient, issuer: Issuer, scheme: str) -> None:
    assert client.get("/users", headers=bearer(issuer.token(), scheme)).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwdw=="}])
def test_no_bearer_token_is_401_with_a_bare_challenge(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.get("/users", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == BARE_CHALLENGE
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "invalid_token" and "Authorization: Bearer" in body["error_description"]


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda i: "garbage", "compact JWS"),
        (lambda i: i.token(exp=int(i.clock()) - 60), "expired"),
        (lambda i: i.token(aud="other"), "audience"),
        (lambda i: "", "Bearer <token>"),
        (lambda i: i.token() + " extra", "Bearer <token>"),
    ],
)
def test_a_bad_token_is_401_invalid_token(
    client: TestClient, issuer: Issuer, make: Callable[[Issuer], str], needle: str
) -> None:
    response = client.get("/users", headers={"Authorization": f"Bearer {make(issuer)}"})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(
        'Bearer realm="jwtgate", error="invalid_token", error_description="'
    )
    assert response.json()["error"] == "invalid_token"
    assert needle in response.json()["error_description"]
    assert needle in challenge


def test_a_revoked_token_is_401(client: TestClient, guard: Guard, issuer: Issuer) -> None:
    token = issuer.token(sid="s-gone")
    assert client.get("/users", headers=bearer(token)).status_code == 200
    guard.apply_revocations({"cursor": "1", "sessions": ["s-gone"]})
    response = client.get("/users", headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.json()["error_description"]


def test_a_missing_role_is_403_insufficient_scope(client: TestClient, issuer: Issuer) -> None:
    response = client.get("/admin/report", headers=bearer(issuer.token(roles=["user"])))
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "this needs the role 'admin'",
    }
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    ok = client.get("/admin/report", headers=bearer(issuer.token(roles=["admin"])))
    assert ok.json() == {"report": "ok", "by": "user-1"}


def test_scopes_are_all_needed(client: TestClient, issuer: Issuer) -> None:
    response = client.get("/write", headers=bearer(issuer.token(scope="read")))
    assert response.status_code == 403
    assert ', scope="read write", DPoP realm=' in response.headers["www-authenticate"]
    assert client.get("/write", headers=bearer(issuer.token(scope="write read"))).status_code == 200


def test_any_role_needs_one(client: TestClient, issuer: Issuer) -> None:
    assert client.get("/edit", headers=bearer(issuer.token(roles=["user"]))).status_code == 403
    assert client.get("/edit", headers=bearer(issuer.token(roles=["editor"]))).status_code == 200
    assert client.get("/edit", headers=bearer(issuer.token(roles=["admin"]))).status_code == 200


def test_unprotected_routes_stay_open(client: TestClient) -> None:
    assert client.get("/open").json() == {"ok": "yes"}


def test_an_app_handler_for_bearer_error_wins(guard: Guard, issuer: Issuer) -> None:
    app = build_app(guard)

    @app.exception_handler(BearerError)
    async def mine(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BearerError)
        return JSONResponse({"mine": exc.denial.error}, status_code=exc.status_code)

    response = TestClient(app).get("/users")
    assert (response.status_code, response.json()) == (401, {"mine": "invalid_token"})


def test_install_registers_the_handler_up_front(guard: Guard) -> None:
    app = build_app(guard)
    install(app)
    response = TestClient(app).get("/admin/report")
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_the_openapi_document_knows_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["jwtgate"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from https://auth.example",
    }
    assert spec["paths"]["/users"]["get"]["security"] == [{"jwtgate": []}]
    assert "security" not in spec["paths"]["/open"]["get"]


def test_keys_from_a_jwks_url_in_an_app(
    make_guard: Callable[..., Guard], issuer: Issuer, server: Any, clock: FakeClock
) -> None:
    client = TestClient(build_app(make_guard(jwks_url=server.jwks_url)))
    assert client.get("/users", headers=bearer(issuer.token())).status_code == 200
    assert server.jwks_fetches() == 1


@pytest.mark.parametrize("bad", [{"roles": [""]}, {"scopes": ["two words"]}, {"any_role": [" x"]}])
def test_malformed_requirements_are_value_errors(guard: Guard, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        guard.require(**bad)
