"""The OpenID Foundation conformance suite's OP test plans, ported (it cannot run here: it
needs MongoDB and container images): every module of "oidcc-basic-certification-test-plan"
and "oidcc-config-certification-test-plan" that applies to a code-flow OP with a static
client is a test named after the module (``oidcc-prompt-none-not-logged-in`` ->
``test_oidcc_prompt_none_not_logged_in``), checking what the module checks. The modules of
the RP-initiated and back-channel logout plans follow. docs/oidc.md has the table (module,
test, pass or not applicable and why)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt as pyjwt
import orjson
import pytest

from jwtgate import Key, encode, unverified_header

from ..auth.authkit import FakeClock
from ..receiver import Receiver
from .oauthkit import REDIRECT, authorize_params, exchange, pkce, query_of, sign_in
from .oidckit import (
    POST_LOGOUT,
    RP,
    Flow,
    authorize,
    browser,
    code_flow,
    id_claims,
    register_rp,
    resume_sign_in,
)
from .serverkit import ISSUER, PASSWORD, Server, bearer, error_of, make_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture
def op(make_server: Callable[..., Server], clock: FakeClock) -> Server:
    server = make_server(clock=clock)
    server.auth.create_user("bob", PASSWORD, email="bob@example.com")
    return server


@pytest.fixture
def rp(op: Server) -> RP:
    return register_rp(op.auth)


@pytest.fixture
async def b(op: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(op.app) as c:
        yield c


@pytest.fixture
async def api(op: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(op.app) as c:
        yield c


def at_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def flow(op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, **kw: Any) -> Flow:
    return await code_flow(op.auth, b, api, rp, **kw)


async def authorize_error(b: httpx.AsyncClient, params: dict[str, str]) -> dict[str, str]:
    """The error query of an authorization request answered by a redirect to the client."""
    response = await b.get("/auth/authorize", params=params)
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith(REDIRECT), location
    return query_of(location)


# -- oidcc-basic-certification-test-plan ------------------------------------------------------


async def test_oidcc_server(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp, nonce="n-0S6_WzA2Mj")
    c = f.claims
    assert c["iss"] == ISSUER and c["aud"] == rp.client_id and c["azp"] == rp.client_id
    assert c["sub"] == op.auth.find_user("alice").id and c["nonce"] == "n-0S6_WzA2Mj"
    assert c["exp"] > c["iat"] and isinstance(c["auth_time"], int)
    assert c["at_hash"] == at_hash(f.tokens["access_token"])
    assert f.tokens["token_type"] == "Bearer" and f.query["iss"] == ISSUER
    assert f.tokens["scope"].split() == ["openid", "profile", "email"]


async def test_oidcc_server_client_secret_post(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    rp = register_rp(op.auth, token_endpoint_auth_method="client_secret_post")
    await sign_in(b)
    verifier, challenge = pkce()
    query = query_of((await authorize(b, rp, challenge)).headers["location"])
    form = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": rp.client_id,
        "client_secret": rp.secret or "",
    }
    response = await api.post("/auth/token", data=form)
    assert response.status_code == 200, response.text
    assert id_claims(op.auth, response.json()["id_token"], rp)["aud"] == rp.client_id


async def test_oidcc_response_type_missing(b: httpx.AsyncClient, rp: RP) -> None:
    await sign_in(b)
    params = authorize_params(rp.client_id, pkce()[1], response_type="")
    query = await authorize_error(b, params)
    assert query["error"] in ("invalid_request", "unsupported_response_type")
    assert query["state"] == params["state"] and query["iss"] == ISSUER


async def test_oidcc_idtoken_signature(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    header = orjson.loads(base64.urlsafe_b64decode(f.id_token.split(".")[0] + "=="))
    assert header["alg"] == "RS256"  # no id_token_signed_response_alg: RS256
    published = {k["kid"]: k for k in (await api.get("/.well-known/jwks.json")).json()["keys"]}
    assert published[header["kid"]]["kty"] == "RSA"  # OP-IDToken-kid: the kid is in the JWKS


async def test_oidcc_idtoken_unsigned(op: Server) -> None:
    # The module needs a client registered for alg "none": jwtgate refuses to register one.
    from jwtgate.auth import InvalidRequest

    with pytest.raises(InvalidRequest):
        register_rp(op.auth, id_token_signed_response_alg="none")


async def test_oidcc_userinfo_get(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    info = await api.get("/auth/userinfo", headers=bearer(f.tokens["access_token"]))
    assert info.status_code == 200 and info.json()["sub"] == f.claims["sub"]
    assert info.headers["content-type"].startswith("application/json")


async def test_oidcc_userinfo_post_header(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    info = await api.post("/auth/userinfo", headers=bearer(f.tokens["access_token"]))
    assert info.status_code == 200 and info.json()["sub"] == f.claims["sub"]


async def test_oidcc_userinfo_post_body(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    info = await api.post("/auth/userinfo", data={"access_token": f.tokens["access_token"]})
    assert info.status_code == 200 and info.json()["sub"] == f.claims["sub"]


async def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp, nonce="")
    assert "nonce" not in f.claims


async def test_oidcc_scope_profile(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp, scope="openid profile")
    info = (await api.get("/auth/userinfo", headers=bearer(f.tokens["access_token"]))).json()
    assert info["preferred_username"] == "alice" and info["name"] == "alice"
    assert isinstance(info["updated_at"], int) and "email" not in info


async def test_oidcc_scope_email(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp, scope="openid email", username="bob")
    info = (await api.get("/auth/userinfo", headers=bearer(f.tokens["access_token"]))).json()
    assert info["email"] == "bob@example.com" and info["email_verified"] is False
    assert "preferred_username" not in info


async def test_oidcc_scope_address_and_phone_are_not_offered(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    # oidcc-scope-address, -phone and -all are skipped by the suite when the scope is not in
    # scopes_supported: jwtgate keeps no address or phone, and says so.
    meta = (await api.get("/.well-known/openid-configuration")).json()
    assert "address" not in meta["scopes_supported"] and "phone" not in meta["scopes_supported"]
    await sign_in(b)
    params = authorize_params(rp.client_id, pkce()[1], scope="openid address phone")
    assert (await authorize_error(b, params))["error"] == "invalid_scope"


async def test_oidcc_alternate_happy_flow(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    await sign_in(b)
    verifier, challenge = pkce()
    params = authorize_params(rp.client_id, challenge, scope="email profile openid")
    reordered = dict(reversed(list(params.items())))
    response = await b.get("/auth/authorize", params=reordered)
    query = query_of(response.headers["location"])
    token = await exchange(api, rp.client_id, query["code"], verifier, secret=rp.secret)
    assert token.status_code == 200 and "id_token" in token.json()
    assert set(token.json()["scope"].split()) == {"openid", "profile", "email"}


@pytest.mark.parametrize("display", ["page", "popup"])
async def test_oidcc_display_page_and_popup(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, display: str
) -> None:
    f = await flow(op, b, api, rp, display=display)
    assert f.claims["sub"]


async def forced_sign_in(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, **extra: str
) -> Flow:
    """An authorization that must show the sign-in form although the browser is signed in:
    sign in there, come back, exchange the code."""
    verifier, challenge = pkce()
    response = await authorize(b, rp, challenge, **extra)
    location = response.headers["location"]
    assert response.status_code == 303 and location.startswith("/web/login"), location
    assert "fresh=1" in location  # the form even with an SSO session
    back = await resume_sign_in(b, location)
    assert back.status_code == 303, back.text[:300]
    query = query_of(back.headers["location"])
    token = await exchange(api, rp.client_id, query["code"], verifier, secret=rp.secret)
    assert token.status_code == 200, token.text
    return Flow(query, token.json(), id_claims(op.auth, token.json()["id_token"], rp))


async def test_oidcc_prompt_login(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, clock: FakeClock
) -> None:
    first = await flow(op, b, api, rp)
    clock.advance(5)
    second = await forced_sign_in(op, b, api, rp, prompt="login")
    assert second.claims["auth_time"] == first.claims["auth_time"] + 5
    assert second.claims["sub"] == first.claims["sub"]


async def test_oidcc_prompt_none_not_logged_in(b: httpx.AsyncClient, rp: RP) -> None:
    params = authorize_params(rp.client_id, pkce()[1], prompt="none", scope="openid")
    query = await authorize_error(b, params)
    assert query["error"] == "login_required" and query["state"] == params["state"]


async def test_oidcc_prompt_none_logged_in(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    first = await flow(op, b, api, rp)
    second = await flow(op, b, api, rp, signed_in=True, prompt="none")
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] == first.claims["auth_time"]


async def test_oidcc_max_age_1(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, clock: FakeClock
) -> None:
    first = await flow(op, b, api, rp)
    clock.advance(2)
    second = await forced_sign_in(op, b, api, rp, max_age="1")
    assert second.claims["auth_time"] == first.claims["auth_time"] + 2


async def test_oidcc_max_age_10000(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, clock: FakeClock
) -> None:
    first = await flow(op, b, api, rp, max_age="15000")
    clock.advance(60)
    second = await flow(op, b, api, rp, signed_in=True, max_age="10000")
    assert second.claims["auth_time"] == first.claims["auth_time"]
    assert second.claims["sub"] == first.claims["sub"]


async def test_oidcc_ensure_request_with_unknown_parameter_succeeds(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    assert (await flow(op, b, api, rp, extra="foobar")).claims["sub"]


async def test_oidcc_id_token_hint(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    first = await flow(op, b, api, rp)
    second = await flow(op, b, api, rp, signed_in=True, prompt="none", id_token_hint=first.id_token)
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] == first.claims["auth_time"]


async def test_oidcc_login_hint(b: httpx.AsyncClient, rp: RP) -> None:
    response = await authorize(b, rp, pkce()[1], login_hint="bob")
    assert response.status_code == 303
    page = await b.get(response.headers["location"])
    assert page.status_code == 200
    assert re.search(r'name="username"[^>]*value="bob"', page.text), page.text[:2000]


@pytest.mark.parametrize("name", ["ui_locales", "claims_locales"])
async def test_oidcc_ui_locales_and_claims_locales(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, name: str
) -> None:
    assert (await flow(op, b, api, rp, **{name: "se"})).claims["sub"]


async def test_oidcc_ensure_request_with_acr_values_succeeds(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    meta = (await api.get("/.well-known/openid-configuration")).json()
    f = await flow(op, b, api, rp, acr_values=" ".join(meta["acr_values_supported"]))
    assert f.claims["acr"] in meta["acr_values_supported"]


async def test_oidcc_codereuse(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    await sign_in(b)
    verifier, challenge = pkce()
    code = query_of((await authorize(b, rp, challenge)).headers["location"])["code"]
    assert (await exchange(api, rp.client_id, code, verifier, secret=rp.secret)).status_code == 200
    again = await exchange(api, rp.client_id, code, verifier, secret=rp.secret)
    assert again.status_code == 400 and error_of(again) == "invalid_grant"


async def test_oidcc_codereuse_30seconds(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, clock: FakeClock
) -> None:
    await sign_in(b)
    verifier, challenge = pkce()
    code = query_of((await authorize(b, rp, challenge)).headers["location"])["code"]
    first = await exchange(api, rp.client_id, code, verifier, secret=rp.secret)
    access = first.json()["access_token"]
    clock.advance(30)
    again = await exchange(api, rp.client_id, code, verifier, secret=rp.secret)
    assert again.status_code == 400 and error_of(again) == "invalid_grant"
    # RFC 6749 4.1.2: what the code issued is revoked.
    info = await api.get("/auth/userinfo", headers=bearer(access))
    assert info.status_code == 401 and error_of(info) == "invalid_token"


async def test_oidcc_ensure_registered_redirect_uri(b: httpx.AsyncClient, rp: RP) -> None:
    await sign_in(b)
    params = authorize_params(rp.client_id, pkce()[1], redirect_uri="https://evil.example/cb")
    response = await b.get("/auth/authorize", params=params)
    assert response.status_code == 400 and "location" not in response.headers
    assert "text/html" in response.headers["content-type"]


async def test_oidcc_ensure_post_request_succeeds(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    assert (await flow(op, b, api, rp, method="POST")).claims["sub"]


@pytest.mark.parametrize(
    ("name", "error"),
    [("request_uri", "request_uri_not_supported"), ("request", "request_not_supported")],
)
async def test_oidcc_request_uri_and_request_object_rejected_as_unsupported(
    b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, name: str, error: str
) -> None:
    # oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported and
    # oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported.
    await sign_in(b)
    params = authorize_params(rp.client_id, pkce()[1], **{name: "https://rp.example/req.jwt"})
    assert (await authorize_error(b, params))["error"] == error
    meta = (await api.get("/.well-known/openid-configuration")).json()
    assert meta[f"{name}_parameter_supported"] is False


async def test_oidcc_claims_essential(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    # claims_parameter_supported is false: the parameter is ignored (RFC 6749 3.1) and the
    # profile scope still releases name.
    claims = orjson.dumps({"userinfo": {"name": {"essential": True}}}).decode()
    f = await flow(op, b, api, rp, claims=claims)
    info = (await api.get("/auth/userinfo", headers=bearer(f.tokens["access_token"]))).json()
    assert info["name"] == "alice"


async def test_oidcc_refresh_token(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    other = register_rp(op.auth, name="Other")
    stolen = await api.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": f.tokens["refresh_token"]},
        auth=(other.client_id, other.secret or ""),
    )
    assert stolen.status_code == 400 and error_of(stolen) == "invalid_grant"  # bound to rp
    refreshed = await api.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": f.tokens["refresh_token"]},
        auth=(rp.client_id, rp.secret or ""),
    )
    assert refreshed.status_code == 200, refreshed.text
    again = id_claims(op.auth, refreshed.json()["id_token"], rp)
    assert again["sub"] == f.claims["sub"] and again["auth_time"] == f.claims["auth_time"]
    assert "nonce" not in again  # OIDC Core 12.2


async def test_oidcc_ensure_request_with_valid_pkce_succeeds(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    # Every code-flow request here carries PKCE (it is required); this one checks it is the
    # verifier that makes the exchange succeed.
    await sign_in(b)
    verifier, challenge = pkce()
    code = query_of((await authorize(b, rp, challenge)).headers["location"])["code"]
    wrong = await exchange(api, rp.client_id, code, pkce()[0], secret=rp.secret)
    assert wrong.status_code == 400 and error_of(wrong) == "invalid_grant"
    code = query_of((await authorize(b, rp, challenge)).headers["location"])["code"]
    assert (await exchange(api, rp.client_id, code, verifier, secret=rp.secret)).status_code == 200


# -- oidcc-config-certification-test-plan -----------------------------------------------------

# Metadata names the registries define (RFC 8414 2, OIDC Discovery 3, RP-Initiated Logout 3.3,
# Back-Channel Logout 2.1, RFC 9207 3): CheckForUnexpectedParametersInServerMetadata.
KNOWN_METADATA = {
    "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
    "registration_endpoint", "scopes_supported", "response_types_supported",
    "response_modes_supported", "grant_types_supported", "acr_values_supported",
    "subject_types_supported", "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported", "claims_supported", "claims_parameter_supported",
    "request_parameter_supported", "request_uri_parameter_supported",
    "revocation_endpoint", "revocation_endpoint_auth_methods_supported",
    "introspection_endpoint", "introspection_endpoint_auth_methods_supported",
    "code_challenge_methods_supported", "end_session_endpoint", "backchannel_logout_supported",
    "backchannel_logout_session_supported", "authorization_response_iss_parameter_supported",
    "prompt_values_supported",
    "dpop_signing_alg_values_supported",  # RFC 9449 5.1
    "revocation_feed_endpoint",  # jwtgate's own: where its Guard finds the revocation feed
}  # fmt: skip


async def test_oidcc_discovery_endpoint_verification(api: httpx.AsyncClient) -> None:
    response = await api.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    meta = response.json()
    assert set(meta) <= KNOWN_METADATA, set(meta) - KNOWN_METADATA
    assert meta["issuer"] == ISSUER
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert meta[name].startswith(ISSUER + "/") and meta[name].startswith("https://")
    assert "code" in meta["response_types_supported"]
    assert meta["subject_types_supported"] == ["public"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert "openid" in meta["scopes_supported"]
    assert {"sub", "iss", "auth_time", "nonce", "email"} <= set(meta["claims_supported"])
    assert "authorization_code" in meta["grant_types_supported"]
    assert isinstance(meta["code_challenge_methods_supported"], list)
    assert meta["request_uri_parameter_supported"] is False  # the default would be true
    jwks = (await api.get("/.well-known/jwks.json")).json()
    assert any(k["kty"] == "RSA" and k["alg"] == "RS256" for k in jwks["keys"])
    assert all("d" not in k and "k" not in k for k in jwks["keys"])  # public keys only


async def test_discovery_advertises_only_what_is_implemented(
    op: Server, api: httpx.AsyncClient
) -> None:
    meta = (await api.get("/.well-known/openid-configuration")).json()
    assert meta["response_types_supported"] == ["code"]
    assert meta["response_modes_supported"] == ["query"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == op.auth.id_token_algorithms
    for url in ("userinfo_endpoint", "end_session_endpoint"):
        path = meta[url].removeprefix(ISSUER)
        assert (await api.get(path)).status_code != 404
    assert "token_endpoint_auth_signing_alg_values_supported" not in meta  # no JWT auth


# -- oidcc-rp-initiated-logout-certification-test-plan ----------------------------------------


async def test_oidcc_rp_initiated_logout_discovery_endpoint_verification(
    api: httpx.AsyncClient,
) -> None:
    meta = (await api.get("/.well-known/openid-configuration")).json()
    assert meta["end_session_endpoint"] == ISSUER + "/auth/end-session"


async def signed_out(b: httpx.AsyncClient, rp: RP) -> bool:
    """prompt=none now answers login_required (the SSO session is gone)."""
    params = authorize_params(rp.client_id, pkce()[1], prompt="none", scope="openid")
    return (await authorize_error(b, params)).get("error") == "login_required"


async def test_oidcc_rp_initiated_logout(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    response = await b.get(
        "/auth/end-session",
        params={
            "id_token_hint": f.id_token,
            "post_logout_redirect_uri": POST_LOGOUT,
            "state": "s1",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == POST_LOGOUT + "?state=s1"
    assert await signed_out(b, rp)
    info = await api.get("/auth/userinfo", headers=bearer(f.tokens["access_token"]))
    assert info.status_code == 401  # the app's session ended with the sign-in


async def confirmation(response: httpx.Response) -> None:
    """A confirmation page, not a redirect (the module's expected placeholder)."""
    assert response.status_code == 200 and "location" not in response.headers
    assert 'name="decision" value="logout"' in response.text
    assert 'name="csrf_token"' in response.text


@pytest.mark.parametrize(
    "case",
    [
        "bad_post_logout_redirect_uri",
        "query_added_to_post_logout_redirect_uri",
        "no_id_token_hint",
        "modified_id_token_hint",
        "bad_id_token_hint",
    ],
)
async def test_oidcc_rp_initiated_logout_refused_redirects(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, case: str
) -> None:
    # oidcc-rp-initiated-logout-bad-post-logout-redirect-uri, -query-added-to-post-logout-
    # redirect-uri, -no-id-token-hint, -modified-id-token-hint, -bad-id-token-hint: the OP
    # must not redirect, and asks the user instead.
    f = await flow(op, b, api, rp)
    body = f.id_token.split(".")[1]
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    foreign = encode(
        {"iss": ISSUER, "sub": f.claims["sub"], "aud": rp.client_id, "sid": f.claims["sid"]},
        Key.generate("RS256"),
        headers={"typ": "JWT"},
    )
    hint, uri = {
        "bad_post_logout_redirect_uri": (f.id_token, "https://evil.example/"),
        "query_added_to_post_logout_redirect_uri": (f.id_token, POST_LOGOUT + "?foo=bar"),
        "no_id_token_hint": (None, POST_LOGOUT),
        "modified_id_token_hint": (f"{none_header}.{body}.", POST_LOGOUT),
        "bad_id_token_hint": (foreign, POST_LOGOUT),
    }[case]
    params = {"post_logout_redirect_uri": uri, **({"id_token_hint": hint} if hint else {})}
    page = await b.get("/auth/end-session", params={**params, "state": "s"})
    await confirmation(page)
    assert not await signed_out(b, rp)  # nothing happened before the user confirmed
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    done = await b.post(
        "/auth/end-session",
        data={**fields, "decision": "logout"},
        headers={"origin": "http://127.0.0.1:8000"},
    )
    assert done.status_code == 200 and "location" not in done.headers  # not sent anywhere
    assert "You have signed out" in done.text
    assert await signed_out(b, rp)


@pytest.mark.parametrize("case", ["no_params", "only_state"])
async def test_oidcc_rp_initiated_logout_no_params_and_only_state(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP, case: str
) -> None:
    await flow(op, b, api, rp)
    page = await b.get("/auth/end-session", params={} if case == "no_params" else {"state": "s"})
    await confirmation(page)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    done = await b.post(
        "/auth/end-session",
        data={"csrf_token": csrf.group(1), "decision": "logout"},
        headers={"origin": "http://127.0.0.1:8000"},
    )
    assert done.status_code == 200 and "You have signed out" in done.text
    assert await signed_out(b, rp)


async def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    done = await b.get("/auth/end-session", params={"id_token_hint": f.id_token})
    assert done.status_code == 200 and "You have signed out" in done.text
    assert await signed_out(b, rp)


async def test_oidcc_rp_initiated_logout_no_state(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    f = await flow(op, b, api, rp)
    response = await b.get(
        "/auth/end-session",
        params={"id_token_hint": f.id_token, "post_logout_redirect_uri": POST_LOGOUT},
    )
    assert response.status_code == 303 and response.headers["location"] == POST_LOGOUT
    assert await signed_out(b, rp)


async def test_end_session_confirmation_needs_the_csrf_token(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    await flow(op, b, api, rp)
    forged = await b.post(
        "/auth/end-session",
        data={"decision": "logout", "csrf_token": "guessed"},
        headers={"origin": "https://evil.example"},
    )
    assert forged.status_code in (400, 403)
    assert not await signed_out(b, rp)


# -- oidcc-backchannel-rp-initiated-logout-certification-test-plan ----------------------------


async def test_oidcc_backchannel_logout_discovery_endpoint_verification(
    api: httpx.AsyncClient,
) -> None:
    meta = (await api.get("/.well-known/openid-configuration")).json()
    assert meta["backchannel_logout_supported"] is True
    assert meta["backchannel_logout_session_supported"] is True  # sid in both tokens
    assert meta["end_session_endpoint"].startswith(ISSUER)


async def test_oidcc_backchannel_rp_initiated_logout(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    receiver = Receiver()
    try:
        rp = register_rp(op.auth, backchannel_logout_uri=receiver.uri)
        f = await flow(op, b, api, rp)
        response = await b.get(
            "/auth/end-session",
            params={"id_token_hint": f.id_token, "post_logout_redirect_uri": POST_LOGOUT},
        )
        assert response.status_code == 303 and response.headers["location"] == POST_LOGOUT
        assert op.auth.deliver_logouts() == 1  # what the server's worker does
        (token,) = receiver.tokens()
        header = unverified_header(token)
        assert header["typ"] == "logout+jwt" and header["alg"] == "RS256"
        jwks = pyjwt.PyJWKSet.from_dict(op.auth.jwks())
        key = next(k for k in jwks.keys if k.key_id == header["kid"])
        claims = pyjwt.decode(
            token, key.key, algorithms=["RS256"], audience=rp.client_id, issuer=ISSUER
        )
        assert claims["sid"] == f.claims["sid"] and claims["sub"] == f.claims["sub"]
        assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
        assert "nonce" not in claims and claims["jti"]
        assert await signed_out(b, rp)
    finally:
        receiver.close()


async def test_signing_out_on_the_account_page_ends_every_app_but_offline_access(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    receiver = Receiver()
    try:
        one = register_rp(op.auth, name="One", backchannel_logout_uri=receiver.uri)
        two = register_rp(op.auth, name="Two", backchannel_logout_uri=receiver.uri)
        offline = register_rp(op.auth, name="Sync")
        a = await flow(op, b, api, one)
        c = await flow(op, b, api, two, signed_in=True, prompt="none")  # one sign-in: SSO
        d = await flow(op, b, api, offline, signed_in=True, scope="openid offline_access")
        account = await b.get("/web/account")
        assert account.status_code == 200
        for name in ("One", "Two", "Sync"):  # the sign-in, with the apps signed in from it
            assert f'data-app="{name}"' in account.text, account.text[:3000]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', account.text)
        assert csrf
        out = await b.post(
            "/web/session/logout",
            data={"csrf_token": csrf.group(1)},
            headers={"origin": "http://127.0.0.1:8000"},
        )
        assert out.status_code == 303
        for ended in (a, c):
            info = await api.get("/auth/userinfo", headers=bearer(ended.tokens["access_token"]))
            assert info.status_code == 401
        kept = await api.get("/auth/userinfo", headers=bearer(d.tokens["access_token"]))
        assert kept.status_code == 200  # offline_access outlives the sign-in
        assert op.auth.deliver_logouts() == 2
        sids = {
            pyjwt.decode(t, options={"verify_signature": False})["sid"] for t in receiver.tokens()
        }
        assert sids == {a.claims["sid"], c.claims["sid"]}
    finally:
        receiver.close()


async def test_an_id_token_hint_of_another_user_is_login_required(
    op: Server, b: httpx.AsyncClient, api: httpx.AsyncClient, rp: RP
) -> None:
    # OIDC Core 3.1.2.1: with prompt=none and a hint naming another user than the one signed
    # in, the OP answers login_required instead of signing the wrong user in silently.
    async with browser(op.app) as other_browser:
        bobs = await flow(op, other_browser, api, rp, username="bob")
    await flow(op, b, api, rp)  # alice in this browser
    params = authorize_params(
        rp.client_id, pkce()[1], prompt="none", scope="openid", id_token_hint=bobs.id_token
    )
    assert (await authorize_error(b, params))["error"] == "login_required"
    interactive = {k: v for k, v in params.items() if k != "prompt"}
    asked = await b.get("/auth/authorize", params=interactive)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/web/login")
    assert "fresh=1" in asked.headers["location"]  # sign in as the hinted user
