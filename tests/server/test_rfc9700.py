"""Every applicable negative case of RFC 9700 (OAuth 2.0 Security Best Current Practice)
section 4, each as its own test named after its section, against the app on both backends.

Not applicable here: 4.6 (access token injection: no implicit grant), 4.13 (TLS terminating
proxies: see docs/deploy.md), 4.17 (in-browser postMessage flows: none offered), 4.19
(dynamic client registration: not offered)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from jwtgate import Guard, InvalidAudience, KeySet
from jwtgate.auth import AuthService

from .oauthkit import (
    ORIGIN,
    REDIRECT,
    authorize_params,
    browser,
    code_for,
    csrf_of,
    exchange,
    pkce,
    query_of,
    register,
    sign_in,
)
from .serverkit import ISSUER, error_of


@pytest.fixture
async def b(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as c:
        await sign_in(c)
        yield c


async def _redirect_refused(
    b: httpx.AsyncClient, auth: AuthService, registered: str, presented: str
) -> None:
    client_id, _ = register(auth, redirect_uris=[registered], first_party=True)
    _, challenge = pkce()
    params = authorize_params(client_id, challenge, redirect_uri=presented)
    response = await b.get("/auth/authorize", params=params)
    assert response.status_code == 400, (registered, presented, response.headers)
    assert "location" not in response.headers  # never redirected to the unverified URI
    assert "code=" not in response.text


async def test_rfc9700_4_1_other_port_on_https_is_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example:8443/cb")


async def test_rfc9700_4_1_added_path_is_refused(b: httpx.AsyncClient, auth: AuthService) -> None:
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/cb/evil")
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/cb/../x")


async def test_rfc9700_4_1_userinfo_is_refused(b: httpx.AsyncClient, auth: AuthService) -> None:
    await _redirect_refused(
        b, auth, "https://app.example/cb", "https://app.example@evil.example/cb"
    )
    await _redirect_refused(b, auth, "http://127.0.0.1/cb", "http://127.0.0.1@evil.example/cb")


async def test_rfc9700_4_1_fragment_is_refused(b: httpx.AsyncClient, auth: AuthService) -> None:
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/cb#x")


async def test_rfc9700_4_1_case_differences_are_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await _redirect_refused(b, auth, "https://app.example/cb", "https://APP.example/cb")
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/CB")


async def test_rfc9700_4_1_percent_encoding_is_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/%63b")
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app%2eexample/cb")


async def test_rfc9700_4_1_mixed_loopback_names_are_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await _redirect_refused(b, auth, "http://127.0.0.1/cb", "http://localhost/cb")
    await _redirect_refused(b, auth, "http://localhost/cb", "http://127.0.0.1:5000/cb")
    await _redirect_refused(b, auth, "http://127.0.0.1/cb", "http://[::1]/cb")


async def test_rfc9700_4_1_other_host_query_or_trailing_slash_are_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await _redirect_refused(b, auth, "https://app.example/cb", "https://evil.app.example/cb")
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/cb?x=1")
    await _redirect_refused(b, auth, "https://app.example/cb", "https://app.example/cb/")
    await _redirect_refused(b, auth, "https://app.example/cb", "http://app.example/cb")


async def test_rfc9700_4_1_loopback_on_another_port_is_allowed_rfc8252(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, redirect_uris=["http://127.0.0.1/cb"], first_party=True)
    _, challenge = pkce()
    params = authorize_params(client_id, challenge, redirect_uri="http://127.0.0.1:51234/cb")
    response = await b.get("/auth/authorize", params=params)
    assert response.status_code == 303
    assert response.headers["location"].startswith("http://127.0.0.1:51234/cb?code=")


async def test_rfc9700_4_2_pages_send_referrer_policy_same_origin(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth)
    _, challenge = pkce()
    consent_page = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    login_page = await b.get("/web/login", params={"fresh": "1"})
    for page in (consent_page, login_page):
        assert page.headers["referrer-policy"] == "same-origin"


async def test_rfc9700_4_3_codes_in_browser_history_are_single_use_and_short_lived(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    assert (await exchange(b, client_id, code, verifier)).status_code == 200
    replay = await exchange(b, client_id, code, verifier)
    assert replay.status_code == 400 and error_of(replay) == "invalid_grant"
    response = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    assert response.headers["cache-control"] == "no-store"


async def test_rfc9700_4_4_mix_up_iss_on_every_authorization_response(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    ok = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    bad = await b.get(
        "/auth/authorize", params=authorize_params(client_id, challenge, scope="nope")
    )
    for response in (ok, bad):
        assert query_of(response.headers["location"])["iss"] == ISSUER
    meta = (await b.get("/.well-known/openid-configuration")).json()
    assert meta["authorization_response_iss_parameter_supported"] is True


async def test_rfc9700_4_5_code_injection_into_another_client_is_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    victim, _ = register(auth, first_party=True, name="victim")
    attacker, _ = register(auth, first_party=True, name="attacker")
    verifier, challenge = pkce()
    code, _ = await code_for(b, victim, challenge)
    stolen = await exchange(b, attacker, code, verifier)
    assert stolen.status_code == 400 and error_of(stolen) == "invalid_grant"
    # The injection attempt did not burn the code: its own client still redeems it.
    assert (await exchange(b, victim, code, verifier)).status_code == 200


async def test_rfc9700_4_5_code_injection_with_another_verifier_is_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    attacker_verifier, _ = pkce()
    code, _ = await code_for(b, client_id, challenge)
    response = await exchange(b, client_id, code, attacker_verifier)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


async def test_rfc9700_4_5_code_with_another_redirect_uri_is_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(
        auth, first_party=True, redirect_uris=[REDIRECT, "https://app.example/other"]
    )
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    response = await exchange(
        b, client_id, code, verifier, redirect_uri="https://app.example/other"
    )
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


async def test_rfc9700_4_7_csrf_state_is_returned_and_pkce_is_required(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    without_pkce = authorize_params(client_id, challenge)
    del without_pkce["code_challenge"], without_pkce["code_challenge_method"]
    refused = await b.get("/auth/authorize", params=without_pkce)
    query = query_of(refused.headers["location"])
    assert query["error"] == "invalid_request" and query["state"] == without_pkce["state"]
    assert "code" not in query


async def test_rfc9700_4_8_pkce_downgrade_a_verifier_is_required_for_every_code(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    missing = await exchange(b, client_id, code, None)
    assert missing.status_code == 400 and error_of(missing) == "invalid_grant"


async def test_rfc9700_4_8_pkce_downgrade_plain_is_refused(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    verifier, _ = pkce()
    plain = authorize_params(client_id, verifier, code_challenge_method="plain")
    refused = await b.get("/auth/authorize", params=plain)
    assert query_of(refused.headers["location"])["error"] == "invalid_request"


async def test_rfc9700_4_10_access_tokens_are_audience_restricted(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(
        auth, first_party=True, audiences=["https://a.example", "https://b.example"]
    )
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge, resource="https://b.example")
    token = (await exchange(b, client_id, code, verifier)).json()["access_token"]
    keys = KeySet.from_jwks((await b.get("/.well-known/jwks.json")).json())
    with pytest.raises(InvalidAudience):
        Guard(issuer=ISSUER, audience="https://a.example", keys=keys).verify(token)
    assert Guard(issuer=ISSUER, audience="https://b.example", keys=keys).verify(token)


async def test_rfc9700_4_11_2_the_server_is_not_an_open_redirector(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    _, challenge = pkce()
    unknown = authorize_params("no-such-client", challenge, redirect_uri="https://evil.example/")
    response = await b.get("/auth/authorize", params=unknown)
    assert response.status_code == 400 and "location" not in response.headers
    after_sign_in = await b.get(
        "/web/login", params={"next": "https://evil.example/", "fresh": "1"}
    )
    assert 'value="https://evil.example/"' not in after_sign_in.text


async def test_rfc9700_4_12_a_post_ends_in_303_never_307(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth)
    _, challenge = pkce()
    page = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    fields = {
        **authorize_params(client_id, challenge),
        "csrf_token": csrf_of(page),
        "decision": "allow",
    }
    answered = await b.post("/auth/authorize", data=fields, headers=ORIGIN)
    assert answered.status_code == 303
    as_request = await b.post("/auth/authorize", data=authorize_params(client_id, challenge))
    assert as_request.status_code in (200, 303)


async def test_rfc9700_4_14_refresh_tokens_are_bound_to_the_client_and_rotate(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth, first_party=True)
    other, _ = register(auth, first_party=True, name="other")
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    refresh = (await exchange(b, client_id, code, verifier)).json()["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    assert (await b.post("/auth/token", data={**form, "client_id": other})).status_code == 400
    rotated = await b.post("/auth/token", data={**form, "client_id": client_id})
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != refresh
    second = {**form, "refresh_token": rotated.json()["refresh_token"], "client_id": client_id}
    newest = await b.post("/auth/token", data=second)
    assert newest.status_code == 200
    # Two rotations back: no reuse interval covers it (tests/auth/test_reuse_interval.py).
    reuse = await b.post("/auth/token", data={**form, "client_id": client_id})
    assert reuse.status_code == 400 and error_of(reuse) == "invalid_grant"
    latest = {**form, "refresh_token": newest.json()["refresh_token"], "client_id": client_id}
    assert (await b.post("/auth/token", data=latest)).status_code == 400  # session revoked


async def test_rfc9700_4_15_a_client_cannot_impersonate_a_user(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client, secret = auth.create_client("svc")
    assert secret is not None
    token = await b.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, secret),
    )
    claims = auth.introspect(token.json()["access_token"])
    assert claims["sub"] == client.client_id == claims["client_id"]
    assert "sid" not in claims and claims["roles"] == [] and "preferred_username" not in claims
    # Client ids are chosen by the server (random), never by whoever registers.
    assert len(client.client_id) == 32


async def test_rfc9700_4_16_clickjacking_pages_cannot_be_framed(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    client_id, _ = register(auth)
    _, challenge = pkce()
    consent_page = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    error_page = await b.get("/auth/authorize", params={"client_id": "nope"})
    login_page = await b.get("/web/login", params={"fresh": "1"})
    for page in (consent_page, error_page, login_page):
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
