"""The authorization code flow with PKCE end to end on the app (issue 13): sign-in through
/web/login with SSO, consent remembered per user/client/scopes, prompt and max_age,
iss on every response (RFC 9207), the pages' headers, codes bound and single use, refresh
bound to the client, "Apps with access"."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from jwtgate.auth import AuthService

from .oauthkit import (
    ORIGIN,
    REDIRECT,
    authorize_params,
    browser,
    code_for,
    consent,
    csrf_of,
    exchange,
    pkce,
    query_of,
    register,
    sign_in,
)
from .serverkit import ISSUER, bearer, error_of


@pytest.fixture
async def b(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as c:
        yield c


async def test_the_whole_flow_for_a_public_client(b: httpx.AsyncClient, auth: AuthService) -> None:
    client_id, _ = register(auth, audiences=["https://orders.example"])
    verifier, challenge = pkce()
    params = authorize_params(client_id, challenge, nonce="n-1")
    # Not signed in: to the sign-in page, which resumes the request afterwards.
    start = await b.get("/auth/authorize", params=params)
    assert start.status_code == 303
    login = urlsplit(start.headers["location"])
    assert login.path == "/web/login"
    resume = parse_qs(login.query)["next"][0]
    assert resume.startswith("/auth/authorize?")
    page = await b.get(start.headers["location"])
    assert page.status_code == 200 and 'name="username"' in page.text
    # The sign-in page's form-action allows the app's origin (its post ends there).
    assert "form-action 'self' https://app.example" in page.headers["content-security-policy"]
    signed = await b.post(
        "/web/login",
        data={
            "username": "alice",
            "password": "correct horse battery staple",
            "csrf_token": csrf_of(page),
            "next": resume,
        },
        headers=ORIGIN,
    )
    assert signed.status_code == 303 and signed.headers["location"] == resume
    sso = [c for c in signed.headers.get_list("set-cookie") if c.startswith("jwtgate_sso=")]
    assert sso and "samesite=lax" in sso[0].lower() and "httponly" in sso[0].lower()
    # Third-party app: consent page, with the client's name and the scopes.
    asked = await b.get(resume)
    assert asked.status_code == 200
    assert "Shop" in asked.text and "orders:read" in asked.text
    assert "as <strong>alice</strong>" in asked.text  # the account being signed in
    assert 'name="decision" value="allow"' in asked.text and 'value="deny"' in asked.text
    assert "frame-ancestors 'none'" in asked.headers["content-security-policy"]
    assert "https://app.example" in asked.headers["content-security-policy"]
    assert asked.headers["referrer-policy"] == "same-origin"
    allowed = await consent(b, asked, "allow")
    assert allowed.status_code == 303
    query = query_of(allowed.headers["location"])
    assert allowed.headers["location"].startswith(REDIRECT + "?")
    assert query["state"] == params["state"] and query["iss"] == ISSUER and query["code"]
    tokens = await exchange(b, client_id, query["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    assert body["scope"] == "openid orders:read"
    claims = auth.introspect(body["access_token"])
    assert claims["client_id"] == client_id and claims["aud"] == "https://orders.example"
    assert claims["username"] == "alice"
    # Refresh: bound to this public client.
    again = await b.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": client_id,
        },
    )
    assert again.status_code == 200
    assert auth.introspect(again.json()["access_token"])["aud"] == "https://orders.example"


async def test_sso_a_second_app_signs_in_without_a_password_and_consent_is_remembered(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    shop, _ = register(auth, name="Shop")
    _, challenge = pkce()
    code, _ = await code_for(b, shop, challenge)  # consent asked once
    assert code
    again = await b.get("/auth/authorize", params=authorize_params(shop, challenge))
    assert again.status_code == 303 and "code=" in again.headers["location"]  # remembered
    fewer = await b.get("/auth/authorize", params=authorize_params(shop, challenge, scope="openid"))
    assert fewer.status_code == 303 and "code=" in fewer.headers["location"]
    more = await b.get(
        "/auth/authorize", params=authorize_params(shop, challenge, scope="openid profile")
    )
    assert more.status_code == 200 and 'name="decision"' in more.text  # a new scope: ask
    first_party, _ = register(auth, name="Our app", first_party=True)
    own = await b.get("/auth/authorize", params=authorize_params(first_party, challenge))
    assert own.status_code == 303 and "code=" in own.headers["location"]  # no consent page


async def test_deny_redirects_access_denied_with_state_and_iss(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, _ = register(auth)
    _, challenge = pkce()
    params = authorize_params(client_id, challenge)
    page = await b.get("/auth/authorize", params=params)
    denied = await consent(b, page, "deny")
    assert denied.status_code == 303
    query = query_of(denied.headers["location"])
    assert query["error"] == "access_denied" and query["state"] == params["state"]
    assert query["iss"] == ISSUER


async def test_consent_needs_the_csrf_token_and_a_same_origin_post(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, _ = register(auth)
    _, challenge = pkce()
    page = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    forged = await b.post(
        "/auth/authorize",
        data={**authorize_params(client_id, challenge), "decision": "allow"},
        headers=ORIGIN,
    )
    assert forged.status_code == 403 and "code=" not in forged.headers.get("location", "")
    cross = await b.post(
        "/auth/authorize",
        data={
            **authorize_params(client_id, challenge),
            "decision": "allow",
            "csrf_token": csrf_of(page),
        },
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403


async def test_prompt_none_never_shows_a_page(b: httpx.AsyncClient, auth: AuthService) -> None:
    client_id, _ = register(auth)
    _, challenge = pkce()
    params = authorize_params(client_id, challenge, prompt="none")
    anonymous = await b.get("/auth/authorize", params=params)
    assert anonymous.status_code == 303
    assert query_of(anonymous.headers["location"])["error"] == "login_required"
    await sign_in(b)
    unconsented = await b.get("/auth/authorize", params=params)
    query = query_of(unconsented.headers["location"])
    assert query["error"] == "consent_required" and query["iss"] == ISSUER
    assert query["state"] == params["state"]


async def test_prompt_login_and_max_age_force_a_fresh_sign_in(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        forced = await b.get(
            "/auth/authorize", params=authorize_params(client_id, challenge, **extra)
        )
        assert forced.status_code == 303, extra
        target = urlsplit(forced.headers["location"])
        assert target.path == "/web/login", extra
        query = parse_qs(target.query)
        assert query["fresh"] == ["1"]
        assert "prompt=login" not in query["next"][0] and "max_age" not in query["next"][0]
        page = await b.get(forced.headers["location"])
        assert page.status_code == 200 and 'name="password"' in page.text  # even signed in
    fresh = await b.get(
        "/auth/authorize", params=authorize_params(client_id, challenge, max_age="3600")
    )
    assert fresh.status_code == 303 and "code=" in fresh.headers["location"]


async def test_login_hint_fills_the_sign_in_form(b: httpx.AsyncClient, auth: AuthService) -> None:
    client_id, _ = register(auth)
    _, challenge = pkce()
    start = await b.get(
        "/auth/authorize", params=authorize_params(client_id, challenge, login_hint="alice")
    )
    page = await b.get(start.headers["location"])
    assert 'value="alice"' in page.text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"resource": "https://other.example"}, "invalid_target"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"request": "eyJ..."}, "request_not_supported"),
        ({"nonce": "a\x00b"}, "invalid_request"),
        ({"login_hint": "x\ny"}, "invalid_request"),
        ({"resource": "https://a.example/\x00"}, "invalid_target"),
        ({"nonce": "n" * 600}, "invalid_request"),
    ],
)
async def test_errors_after_the_client_is_verified_redirect_with_state_and_iss(
    b: httpx.AsyncClient, auth: AuthService, change: dict[str, str], error: str
) -> None:
    client_id, _ = register(auth)
    _, challenge = pkce()
    params = authorize_params(client_id, challenge, **change)
    response = await b.get("/auth/authorize", params=params)
    assert response.status_code == 303
    assert response.headers["location"].startswith(REDIRECT + "?")
    query = query_of(response.headers["location"])
    assert query["error"] == error and query["iss"] == ISSUER
    assert query["state"] == params["state"] and query["error_description"]


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "unknown"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": ""},  # the client registered two
    ],
)
async def test_unknown_client_or_redirect_uri_gets_an_error_page_never_a_redirect(
    b: httpx.AsyncClient, auth: AuthService, change: dict[str, str]
) -> None:
    client_id, _ = register(auth, redirect_uris=[REDIRECT, "https://app.example/other"])
    _, challenge = pkce()
    params = {**authorize_params(client_id, challenge), **change}
    response = await b.get("/auth/authorize", params={k: v for k, v in params.items() if v})
    assert response.status_code == 400 and "location" not in response.headers
    assert "text/html" in response.headers["content-type"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "same-origin"


async def test_a_client_with_one_redirect_uri_may_leave_it_out_at_both_ends(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, _ = register(auth, first_party=True)
    verifier, challenge = pkce()
    params = authorize_params(client_id, challenge)
    del params["redirect_uri"]
    response = await b.get("/auth/authorize", params=params)
    code = query_of(response.headers["location"])["code"]
    tokens = await exchange(b, client_id, code, verifier, redirect_uri="")
    assert tokens.status_code == 200, tokens.text


async def test_a_confidential_client_authenticates_at_the_token_endpoint(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, secret = register(auth, public=False, first_party=True)
    assert secret is not None
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    public_style = await exchange(b, client_id, code, verifier)
    assert public_style.status_code == 401 and error_of(public_style) == "invalid_client"
    wrong = await exchange(b, client_id, code, verifier, secret="wrong")
    assert wrong.status_code == 401
    ok = await exchange(b, client_id, code, verifier, secret=secret)
    assert ok.status_code == 200, ok.text


async def test_codes_are_single_use_and_a_replay_revokes_what_they_issued(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, _ = register(auth, first_party=True)
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    first = await exchange(b, client_id, code, verifier)
    assert first.status_code == 200
    access, refresh = first.json()["access_token"], first.json()["refresh_token"]
    assert auth.introspect(access)["active"] is True
    replay = await exchange(b, client_id, code, verifier)
    assert replay.status_code == 400 and error_of(replay) == "invalid_grant"
    assert auth.introspect(access) == {"active": False}
    refreshed = await b.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id},
    )
    assert refreshed.status_code == 400


async def test_a_code_expires_after_60_seconds(
    make_server: object, auth: AuthService, b: httpx.AsyncClient
) -> None:
    await sign_in(b)
    client_id, _ = register(auth, first_party=True)
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    with auth.store.write() as uow:
        from jwtgate.auth.tokens import hash_token

        record = uow.codes.get(hash_token(code))
        assert record is not None
        assert record.expires_at - record.created_at == 60
        uow.connection.exec_driver_sql(  # type: ignore[attr-defined]
            "UPDATE authorization_codes SET expires_at = created_at"
        )
    late = await exchange(b, client_id, code, verifier)
    assert late.status_code == 400 and error_of(late) == "invalid_grant"


async def test_apps_with_access_on_the_account_page_and_revoking_them(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    client_id, _ = register(auth, name="Shop")
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    tokens = (await exchange(b, client_id, code, verifier)).json()
    account = await b.get("/web/account")
    assert "Apps with access" in account.text and "Shop" in account.text
    revoked = await b.post(
        f"/web/account/apps/{client_id}/revoke",
        data={"csrf_token": csrf_of(account)},
        headers=ORIGIN,
    )
    assert revoked.status_code == 303
    assert auth.introspect(tokens["access_token"]) == {"active": False}
    assert "No app has access" in (await b.get("/web/account")).text
    # Consent is asked again.
    page = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    assert page.status_code == 200 and 'name="decision"' in page.text


async def test_signing_out_ends_the_sso_session(b: httpx.AsyncClient, auth: AuthService) -> None:
    await sign_in(b)
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    account = await b.get("/web/account")
    out = await b.post("/web/session/logout", data={"csrf_token": csrf_of(account)}, headers=ORIGIN)
    assert out.status_code == 303
    again = await b.get(
        "/auth/authorize", params=authorize_params(client_id, challenge, prompt="none")
    )
    assert query_of(again.headers["location"])["error"] == "login_required"


async def test_the_userless_token_routes_are_unaffected(client: httpx.AsyncClient) -> None:
    me = await client.get("/auth/me", headers=bearer("x"))
    assert me.status_code == 401


async def test_swagger_ui_authorize_uses_the_code_flow_with_pkce(
    b: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """What Swagger UI's Authorize button runs: the built-in first-party public client
    jwtgate-docs, PKCE, the docs' redirect page; then the bearer on a route."""
    schema = (await client.get("/openapi.json")).json()
    flows = schema["components"]["securitySchemes"]["OAuth2"]["flows"]
    assert set(flows) == {"authorizationCode"}
    assert flows["authorizationCode"]["authorizationUrl"] == "/auth/authorize"
    docs = await client.get("/docs")
    # Swagger UI's settings are a data attribute (the page has no inline script: CSP).
    found = re.search(r'data-init-oauth="([^"]*)"', docs.text)
    assert found is not None
    init = json.loads(html.unescape(found.group(1)))
    assert init == {"clientId": "jwtgate-docs", "usePkceWithAuthorizationCodeGrant": True}
    await sign_in(b, "root")
    verifier, challenge = pkce()
    redirect = ISSUER + "/docs/oauth2-redirect"
    params = authorize_params("jwtgate-docs", challenge, redirect_uri=redirect, scope="")
    response = await b.get("/auth/authorize", params=params)
    assert response.status_code == 303 and response.headers["location"].startswith(redirect)
    code = query_of(response.headers["location"])["code"]
    tokens = await b.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": verifier,
            "client_id": "jwtgate-docs",
        },
    )
    assert tokens.status_code == 200, tokens.text
    users = await client.get("/admin/users", headers=bearer(tokens.json()["access_token"]))
    assert users.status_code == 200


async def test_a_browser_signed_in_without_an_sso_cookie_gets_the_form_not_a_loop(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    """Signed in before the SSO cookie existed (or it was lost): the access cookie is valid,
    the authorization request still needs a sign-in, and the sign-in page must not bounce it
    back."""
    await sign_in(b)
    b.cookies.delete("jwtgate_sso")
    client_id, _ = register(auth, first_party=True)
    _, challenge = pkce()
    start = await b.get("/auth/authorize", params=authorize_params(client_id, challenge))
    assert urlsplit(start.headers["location"]).path == "/web/login"
    page = await b.get(start.headers["location"])
    assert page.status_code == 200 and 'name="password"' in page.text
    assert (await b.get("/web/login")).status_code == 303  # an ordinary visit still redirects


async def test_resource_at_the_token_endpoint_narrows_what_the_code_covers(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    await sign_in(b)
    a, c = "https://a.example", "https://c.example"
    client_id, _ = register(auth, first_party=True, audiences=[a, "https://b.example", c])
    verifier, challenge = pkce()
    params = authorize_params(client_id, challenge)
    params_list = [*params.items(), ("resource", a), ("resource", "https://b.example")]
    response = await b.get("/auth/authorize", params=params_list)
    code = query_of(response.headers["location"])["code"]
    outside = await exchange(b, client_id, code, verifier, resource=c)
    assert outside.status_code == 400 and error_of(outside) == "invalid_target"
    # The refused resource did not spend the code.
    narrowed = await exchange(b, client_id, code, verifier, resource="https://b.example")
    assert narrowed.status_code == 200
    assert auth.introspect(narrowed.json()["access_token"])["aud"] == "https://b.example"
    verifier, challenge = pkce()
    params = authorize_params(client_id, challenge)
    response = await b.get(
        "/auth/authorize", params=[*params.items(), ("resource", a), ("resource", c)]
    )
    code = query_of(response.headers["location"])["code"]
    tokens = await exchange(b, client_id, code, verifier, resource=c)
    assert tokens.status_code == 200
    assert auth.introspect(tokens.json()["access_token"])["aud"] == c
    both = await b.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens.json()["refresh_token"],
            "client_id": client_id,
        },
    )
    assert auth.introspect(both.json()["access_token"])["aud"] == [a, c]  # two: an array


async def test_sessions_of_the_code_flow_remember_their_sign_in_session(
    b: httpx.AsyncClient, auth: AuthService
) -> None:
    """What OpenID Connect builds on: the browser sign-in session is marked, and each session
    a code started names it (sso_sid), with its client, audiences and auth_time."""
    await sign_in(b)
    client_id, _ = register(auth, first_party=True, audiences=["https://a.example"])
    verifier, challenge = pkce()
    code, _ = await code_for(b, client_id, challenge)
    assert (await exchange(b, client_id, code, verifier)).status_code == 200
    alice = auth.find_user("alice")
    sessions = auth.list_sessions(alice.id)
    (browser_session,) = [s for s in sessions if s.browser]
    (app_session,) = [s for s in sessions if s.client_id == client_id]
    assert app_session.sso_sid == browser_session.sid and not app_session.browser
    assert app_session.audiences == ("https://a.example",)
    assert app_session.auth_time == browser_session.auth_time is not None
