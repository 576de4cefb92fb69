"""GuardMiddleware: one verification per request before routing; route policies (the FastAPI
dependency, the @requires decorator) read its result and never verify again."""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

from collections.abc import Callable
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from jwtgate import Guard, Principal
from jwtgate.guard.bearer import Denial
from jwtgate.guard.middleware import GuardMiddleware, principal_of, requires

from .guardkit import AUD, BARE_CHALLENGE, Issuer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fastapi_app(guard: Guard) -> FastAPI:
    app = FastAPI()
    app.add_middleware(GuardMiddleware, guard=guard)

    @app.get("/public")
    async def public(request: Request) -> dict[str, Any]:
        result = request.scope["jwtgate"]
        return {"principal": isinstance(result, Principal), "denial": isinstance(result, Denial)}

    @app.get("/me")
    async def me(user: Annotated[Principal, Depends(guard.require())]) -> dict[str, Any]:
        return {"sub": user.sub}

    @app.get("/admin")
    @requires(roles="admin")
    async def admin() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/writer")
    @requires(scopes="write")
    def writer(request: Request, n: int = 1) -> dict[str, Any]:  # sync, with its own Request
        return {"sub": principal_of(request).sub, "n": n}

    return app


def test_verified_once_per_request(issuer: Issuer, make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(keys=issuer.keys)
    client = TestClient(fastapi_app(guard))
    token = issuer.token()
    assert client.get("/me", headers=bearer(token)).json() == {"sub": "user-1"}
    stats = guard.stats()
    assert stats.misses + stats.hits == 1  # the dependency did not verify again
    client.get("/me", headers=bearer(token))
    assert guard.stats().hits == 1


def test_the_middleware_refuses_nothing(issuer: Issuer, make_guard: Callable[..., Guard]) -> None:
    client = TestClient(fastapi_app(make_guard(keys=issuer.keys)))
    assert client.get("/public").json() == {"principal": False, "denial": True}
    assert client.get("/public", headers=bearer("garbage")).json()["denial"] is True
    assert client.get("/public", headers=bearer(issuer.token())).json()["principal"] is True


def test_policies_refuse_with_the_reason_the_middleware_found(
    issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    client = TestClient(fastapi_app(make_guard(keys=issuer.keys)))
    for path in ("/me", "/admin", "/writer"):
        missing = client.get(path)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == BARE_CHALLENGE
        # Past the Guard's default 30 s leeway.
        expired = client.get(path, headers=bearer(issuer.token(exp=int(issuer.clock()) - 100)))
        assert expired.status_code == 401
        assert expired.json()["error"] == "invalid_token"
        assert "expired" in expired.json()["error_description"]
    forbidden = client.get("/admin", headers=bearer(issuer.token()))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "insufficient_scope"
    assert forbidden.headers["www-authenticate"].startswith(
        'Bearer realm="jwtgate", error="insufficient_scope"'
    )
    admin = client.get("/admin", headers=bearer(issuer.token(roles=["admin"])))
    assert admin.json() == {"ok": True}
    writer = client.get("/writer?n=3", headers=bearer(issuer.token()))
    assert writer.json() == {"sub": "user-1", "n": 3}
    assert client.get("/writer", headers=bearer(issuer.token(scope="read"))).status_code == 403


def test_the_decorator_adds_no_visible_parameter(
    issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    schema = TestClient(fastapi_app(make_guard(keys=issuer.keys))).get("/openapi.json").json()
    assert "parameters" not in schema["paths"]["/admin"]["get"]
    names = [p["name"] for p in schema["paths"]["/writer"]["get"]["parameters"]]
    assert names == ["n"]


def test_another_guards_dependency_verifies_for_itself(
    issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    first = make_guard(keys=issuer.keys)
    other = make_guard(keys=issuer.keys, audience="another-api")
    app = FastAPI()
    app.add_middleware(GuardMiddleware, guard=first)

    @app.get("/other")
    async def other_route(user: Annotated[Principal, Depends(other.require())]) -> str:
        return user.sub

    response = TestClient(app).get("/other", headers=bearer(issuer.token(aud=AUD)))
    assert response.status_code == 401  # the token is for AUD, not another-api
    assert other.stats().misses == 1


def test_starlette_endpoints(issuer: Issuer, make_guard: Callable[..., Guard]) -> None:
    @requires(any_role=("user", "admin"))
    async def hello(request: Any) -> JSONResponse:  # unannotated, as Starlette endpoints are
        return JSONResponse({"sub": principal_of(request).sub})

    app = Starlette(routes=[Route("/hello", hello)])
    app.add_middleware(GuardMiddleware, guard=make_guard(keys=issuer.keys))
    client = TestClient(app)
    assert client.get("/hello", headers=bearer(issuer.token())).json() == {"sub": "user-1"}
    assert client.get("/hello").status_code == 401
    assert client.get("/hello", headers=bearer(issuer.token(roles=["x"]))).status_code == 403


def test_requires_asks_for_a_stronger_sign_in_with_the_rfc_9470_challenge(
    issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    @requires(acr="mfa", max_age=600)
    async def pay(request: Any) -> JSONResponse:
        return JSONResponse({"sub": principal_of(request).sub})

    app = Starlette(routes=[Route("/pay", pay)])
    app.add_middleware(GuardMiddleware, guard=make_guard(keys=issuer.keys))
    client = TestClient(app)
    now = int(issuer.clock())
    weak = client.get("/pay", headers=bearer(issuer.token(acr="pwd", auth_time=now)))
    assert weak.status_code == 401
    assert weak.json()["error"] == "insufficient_user_authentication"
    assert 'acr_values="mfa"' in weak.headers["www-authenticate"]
    assert "max_age=600" in weak.headers["www-authenticate"]
    old = client.get("/pay", headers=bearer(issuer.token(acr="mfa", auth_time=now - 601)))
    assert old.status_code == 401
    strong = client.get("/pay", headers=bearer(issuer.token(acr="mfa", auth_time=now)))
    assert strong.json() == {"sub": "user-1"}


def test_without_the_middleware_the_decorator_is_a_programming_error() -> None:
    app = FastAPI()

    @app.get("/x")
    @requires()
    async def x() -> str:
        return "x"

    with pytest.raises(RuntimeError, match="GuardMiddleware"):
        TestClient(app).get("/x")


def test_misconfiguration() -> None:
    with pytest.raises(TypeError):
        GuardMiddleware(FastAPI(), guard="not a guard")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        requires(roles="two words")


def test_importable_from_the_guard_package_on_first_use() -> None:
    import jwtgate.guard

    assert jwtgate.guard.GuardMiddleware is GuardMiddleware
    with pytest.raises(AttributeError):
        jwtgate.guard.NoSuchThing  # noqa: B018


def test_the_starlette_backend_and_the_dependency_together(
    issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    from jwtgate.guard.starlette import middleware

    guard = make_guard(keys=issuer.keys)
    app = FastAPI(middleware=[middleware(guard)])

    @app.get("/me")
    async def me(user: Annotated[Principal, Depends(guard.require())]) -> str:
        return user.sub

    client = TestClient(app)
    assert client.get("/me", headers=bearer(issuer.token())).json() == "user-1"
    assert client.get("/me").status_code == 401  # the dependency verifies for itself
