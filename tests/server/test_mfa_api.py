"""The multi-factor HTTP API through httpx: enrolment, the 401 mfa_required step, the
second step, recovery codes, the step-up challenge (RFC 9470), and the admin API asking for
MFA when its role is in JWTGATE_MFA_REQUIRED_ROLES."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pyotp

from .serverkit import ADMIN, PASSWORD, Server, bearer, error_of, login, make_client


async def _enrol(client: httpx.AsyncClient, username: str = "alice") -> dict[str, Any]:
    tokens = await login(client, username)
    headers = bearer(tokens["access_token"])
    started = await client.post("/auth/mfa/totp", headers=headers)
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["qr_svg"].startswith("<svg") and body["otpauth_uri"].startswith("otpauth://")
    assert started.headers["cache-control"] == "no-store"
    code = pyotp.TOTP(body["secret"]).now()
    confirmed = await client.post("/auth/mfa/totp/confirm", json={"code": code}, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    return {"secret": body["secret"], "codes": confirmed.json()["recovery_codes"], "used": code}


async def _step(client: httpx.AsyncClient, username: str = "alice") -> dict[str, Any]:
    response = await client.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 401
    body: dict[str, Any] = response.json()
    return body


async def test_login_with_totp_is_two_steps(client: httpx.AsyncClient) -> None:
    enrolled = await _enrol(client)
    step = await _step(client)
    assert step["error"] == "mfa_required" and step["methods"] == ["totp", "recovery_code"]
    # The step of the enrolment code is used up; a recovery code works at once.
    response = await client.post(
        "/auth/login/mfa",
        json={
            "mfa_token": step["mfa_token"],
            "method": "recovery_code",
            "code": enrolled["codes"][0],
        },
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    me = await client.get("/auth/mfa", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["totp"] and me.json()["recovery_codes_left"] == 9
    again = await client.post(
        "/auth/login/mfa",
        json={"mfa_token": step["mfa_token"], "method": "totp", "code": "123456"},
    )
    assert again.status_code == 401 and error_of(again) == "invalid_grant"


async def test_a_replayed_totp_code_is_refused(client: httpx.AsyncClient) -> None:
    enrolled = await _enrol(client)
    step = await _step(client)
    response = await client.post(
        "/auth/login/mfa",
        json={"mfa_token": step["mfa_token"], "method": "totp", "code": enrolled["used"]},
    )
    assert response.status_code == 401 and error_of(response) == "invalid_grant"


async def test_bad_second_steps_get_clear_errors(client: httpx.AsyncClient) -> None:
    for body in (
        {},
        {"mfa_token": "x", "method": "totp"},
        {"mfa_token": 5, "method": "totp", "code": "123456"},
        {"mfa_token": "x" * 43, "method": "sms", "code": "123456"},
    ):
        response = await client.post("/auth/login/mfa", json=body)
        assert response.status_code == 400, body
    dead = await client.post(
        "/auth/login/mfa", json={"mfa_token": "x" * 43, "method": "totp", "code": "123456"}
    )
    assert dead.status_code == 401 and error_of(dead) == "invalid_grant"


async def test_guessing_codes_ends_in_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await _enrol(client)
    statuses = []
    for _ in range(7):
        step = await _step(client)
        response = await client.post(
            "/auth/login/mfa",
            json={"mfa_token": step["mfa_token"], "method": "totp", "code": "000000"},
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    assert int(response.headers["retry-after"]) >= 1


async def test_changing_factors_with_an_old_sign_in_gets_the_rfc9470_challenge(
    make_server: Callable[..., Server],
) -> None:
    now = [time.time()]
    server = make_server(clock=lambda: now[0])
    async with make_client(server.app) as client:
        tokens = await login(client)
        now[0] += 301
        response = await client.post("/auth/mfa/totp", headers=bearer(tokens["access_token"]))
        assert response.status_code == 401
        assert error_of(response) == "insufficient_user_authentication"
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert 'error="insufficient_user_authentication"' in challenge
        assert "max_age=300" in challenge


async def test_admin_api_requires_mfa_when_the_role_must_enrol(
    make_server: Callable[..., Server],
) -> None:
    async with make_client(make_server().app) as plain:
        weak = await login(plain, ADMIN)  # before the policy: a password alone
    server = make_server(mfa_required_roles=["admin"])
    async with make_client(server.app) as client:
        step = await _step(client, ADMIN)
        assert step["error"] == "mfa_enrollment_required"
        started = await client.post("/auth/mfa/totp", json={"mfa_token": step["mfa_token"]})
        assert started.status_code == 200, started.text
        code = pyotp.TOTP(started.json()["secret"]).now()
        done = await client.post(
            "/auth/mfa/totp/confirm", json={"mfa_token": step["mfa_token"], "code": code}
        )
        assert done.status_code == 200, done.text
        body = done.json()
        assert len(body["recovery_codes"]) == 10
        users = await client.get("/admin/users", headers=bearer(body["access_token"]))
        assert users.status_code == 200
        # The admin's password-only token is refused with the step-up challenge.
        refused = await client.get("/admin/users", headers=bearer(weak["access_token"]))
        assert refused.status_code == 401
        assert 'acr_values="mfa"' in refused.headers["www-authenticate"]


async def test_admin_reset_of_a_users_factors(client: httpx.AsyncClient) -> None:
    await _enrol(client)
    admin = await login(client, ADMIN)
    alice = (await client.get("/admin/users?q=alice", headers=bearer(admin["access_token"]))).json()
    uid = alice["items"][0]["id"]
    response = await client.delete(f"/admin/users/{uid}/mfa", headers=bearer(admin["access_token"]))
    assert response.status_code == 204
    assert (await login(client))["access_token"]  # a password alone signs in again
    missing = await client.delete("/admin/users/nobody/mfa", headers=bearer(admin["access_token"]))
    assert missing.status_code == 404


async def test_passkeys_over_http_register_second_factor_and_passwordless(
    client: httpx.AsyncClient,
) -> None:
    from ..auth.mfa.softkey import SoftKey

    key = SoftKey(rp_id="auth.test", origin="https://auth.test")  # the issuer is the RP
    headers = bearer((await login(client))["access_token"])
    options = await client.post("/auth/mfa/webauthn/register/options", headers=headers)
    assert options.status_code == 200 and options.json()["rp"]["id"] == "auth.test"
    added = await client.post(
        "/auth/mfa/webauthn/register/verify",
        json={"credential": key.create(options.json()), "name": "Laptop"},
        headers=headers,
    )
    assert added.status_code == 200, added.text
    step = await _step(client)
    assert step["methods"] == ["webauthn"] and step["webauthn"]["challenge"]
    second = await client.post(
        "/auth/login/mfa",
        json={
            "mfa_token": step["mfa_token"],
            "method": "webauthn",
            "credential": key.get(step["webauthn"]),
        },
    )
    assert second.status_code == 200, second.text
    request = (await client.post("/auth/login/webauthn/options")).json()
    alone = await client.post("/auth/login/webauthn", json={"credential": key.get(request)})
    assert alone.status_code == 200, alone.text
    replay = await client.post("/auth/login/webauthn", json={"credential": key.get(request)})
    assert replay.status_code == 401 and error_of(replay) == "invalid_grant"
    strong = bearer(second.json()["access_token"])
    gone = await client.delete(f"/auth/mfa/webauthn/{added.json()['id']}", headers=strong)
    assert gone.status_code == 204


async def test_the_token_endpoints_password_grant_is_no_way_around_the_second_factor(
    make_server: Callable[..., Server],
) -> None:
    """With the password grant switched on, a user with a factor gets no tokens from
    /auth/token on the password alone (it cannot carry the second step): invalid_grant."""
    server = make_server(allow_password_grant=True)
    async with make_client(server.app) as client:
        await _enrol(client)
        form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        refused = await client.post("/auth/token", data=form)
        assert refused.status_code == 400 and error_of(refused) == "invalid_grant"
        assert "second factor" in refused.json()["error_description"]
        assert "access_token" not in refused.json()
        # The JSON login still asks for the factor instead.
        assert (await _step(client))["error"] == "mfa_required"
