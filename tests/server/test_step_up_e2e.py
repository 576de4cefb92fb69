"""Step-up end to end (RFC 9470): a FastAPI service whose Guard route needs ``acr`` ``mfa``
refuses jwtgate's password-only token with the challenge; the client follows it, completes
the TOTP step of jwtgate's JSON login, and the new token passes."""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

import time
from typing import Any

import httpx
import pyotp
from fastapi import Depends, FastAPI

from jwtgate import Guard, Principal
from jwtgate.jose import KeySet

from .serverkit import ISSUER, PASSWORD, Server, bearer, login


def _service(server: Server) -> FastAPI:
    guard = Guard(issuer=ISSUER, audience="api", keys=KeySet.from_jwks(server.auth.jwks()))
    app = FastAPI()

    @app.get("/payments")
    def payments(user: Principal = Depends(guard.require(acr="mfa"))) -> dict[str, Any]:
        return {"paid_by": user.sub, "acr": user.acr, "amr": list(user.amr)}

    return app


async def test_a_service_asks_for_mfa_and_the_client_steps_up(
    server: Server, client: httpx.AsyncClient
) -> None:
    # alice sets up TOTP while her password-only session is fresh.
    first = await login(client)
    headers = bearer(first["access_token"])
    secret = (await client.post("/auth/mfa/totp", headers=headers)).json()["secret"]
    totp = pyotp.TOTP(secret)
    confirm = await client.post(
        "/auth/mfa/totp/confirm", json={"code": totp.now()}, headers=headers
    )
    assert confirm.status_code == 200

    transport = httpx.ASGITransport(app=_service(server))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as api:
        refused = await api.get("/payments", headers=headers)
        assert refused.status_code == 401
        challenge = refused.headers["www-authenticate"]
        assert 'error="insufficient_user_authentication"' in challenge
        assert 'acr_values="mfa"' in challenge

        # The client signs in again; jwtgate asks for the second factor.
        step = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
        assert step.status_code == 401 and step.json()["error"] == "mfa_required"
        # The enrolment code's step is used up: the next step's code (one step either side
        # is accepted, as a phone a little ahead would show it).
        code = totp.at(time.time() + 30)
        done = await client.post(
            "/auth/login/mfa",
            json={"mfa_token": step.json()["mfa_token"], "method": "totp", "code": code},
        )
        assert done.status_code == 200, done.text
        passed = await api.get("/payments", headers=bearer(done.json()["access_token"]))
        assert passed.status_code == 200
        assert passed.json()["acr"] == "mfa" and passed.json()["amr"] == ["pwd", "otp", "mfa"]
