"""Step-up (RFC 9470) in every Guard integration: ``acr`` and ``max_age`` requirements answer
401 ``insufficient_user_authentication`` with ``acr_values`` / ``max_age`` in the challenge."""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from jwtgate import Guard
from jwtgate.guard import InsufficientUserAuthentication, Principal, Requirement

from .guardkit import Issuer

CHALLENGE = 'error="insufficient_user_authentication"'


def _fastapi(guard: Guard) -> TestClient:
    app = FastAPI()

    @app.get("/payments")
    def payments(user: Principal = Depends(guard.require(acr="mfa"))) -> dict[str, Any]:
        return {"acr": user.acr, "amr": list(user.amr)}

    @app.get("/fresh")
    def fresh(user: Principal = Depends(guard.require(max_age=300))) -> dict[str, Any]:
        return {"auth_time": user.auth_time}

    return TestClient(app)


def test_fastapi_refuses_a_password_only_token_with_the_rfc9470_challenge(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    client = _fastapi(make_guard(keys=issuer.keys))
    weak = issuer.token(acr="pwd", amr=["pwd"], auth_time=int(issuer.clock()))
    response = client.get("/payments", headers={"authorization": f"Bearer {weak}"})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and CHALLENGE in challenge
    assert 'acr_values="mfa"' in challenge
    assert response.json()["error"] == "insufficient_user_authentication"
    for acr in ("mfa", "phr"):  # the level asked for, or a stronger one
        strong = issuer.token(acr=acr, amr=["pwd", "otp", "mfa"], auth_time=int(issuer.clock()))
        ok = client.get("/payments", headers={"authorization": f"Bearer {strong}"})
        assert ok.status_code == 200 and ok.json()["acr"] == acr


def test_fastapi_max_age_uses_the_guards_clock(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    client = _fastapi(make_guard(keys=issuer.keys))
    signed_in = int(issuer.clock())
    token = issuer.token(auth_time=signed_in)
    assert client.get("/fresh", headers={"authorization": f"Bearer {token}"}).status_code == 200
    issuer.clock.advance(301)
    late = issuer.token(auth_time=signed_in)
    response = client.get("/fresh", headers={"authorization": f"Bearer {late}"})
    assert response.status_code == 401 and "max_age=300" in response.headers["www-authenticate"]
    no_time = issuer.token()
    assert client.get("/fresh", headers={"authorization": f"Bearer {no_time}"}).status_code == 401


def test_flask_step_up(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    from flask import Flask

    from jwtgate.guard.flask import require

    app = Flask(__name__)

    @app.get("/pay")
    @require(make_guard(keys=issuer.keys), acr="mfa", max_age=600)
    def pay() -> dict[str, Any]:
        return {"ok": True}

    client = app.test_client()
    now = int(issuer.clock())
    weak = client.get("/pay", headers={"Authorization": f"Bearer {issuer.token(acr='pwd')}"})
    assert weak.status_code == 401 and CHALLENGE in weak.headers["WWW-Authenticate"]
    assert "max_age=600" in weak.headers["WWW-Authenticate"]
    strong = issuer.token(acr="mfa", auth_time=now)
    assert client.get("/pay", headers={"Authorization": f"Bearer {strong}"}).status_code == 200


def test_starlette_step_up(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient as StarletteClient

    from jwtgate.guard.starlette import middleware, require

    @require(acr="phr")
    async def keys(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[Route("/keys", keys)], middleware=[middleware(make_guard(keys=issuer.keys))]
    )
    client = StarletteClient(app)
    mfa = client.get("/keys", headers={"Authorization": f"Bearer {issuer.token(acr='mfa')}"})
    assert mfa.status_code == 401 and 'acr_values="phr"' in mfa.headers["www-authenticate"]
    phr = client.get("/keys", headers={"Authorization": f"Bearer {issuer.token(acr='phr')}"})
    assert phr.status_code == 200


def test_requirement_rules() -> None:
    issued = {"sub": "u", "acr": "mfa", "auth_time": 1000}
    principal = Principal.from_claims(issued)
    Requirement.of(acr="pwd").check(principal)
    Requirement.of(acr="mfa", max_age=60).check(principal, now=1060)
    with pytest.raises(InsufficientUserAuthentication):
        Requirement.of(max_age=60).check(principal, now=1061)
    with pytest.raises(InsufficientUserAuthentication):
        Requirement.of(acr="urn:example:gold").check(principal)  # unknown values: exact match
    Requirement.of(acr="urn:example:gold").check(
        Principal.from_claims({"sub": "u", "acr": "urn:example:gold"})
    )
    for bad in ({"acr": ""}, {"acr": "a b"}, {"max_age": -1}, {"max_age": 1.5}):
        with pytest.raises(ValueError):
            Requirement.of(**bad)
    assert Principal.from_claims({"sub": "u", "auth_time": True}).auth_time is None
    assert Principal.from_claims({"sub": "u", "amr": "pwd"}).amr == ()
    assert time.time() > 0
