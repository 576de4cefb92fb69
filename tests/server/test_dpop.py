"""DPoP at the auth server (RFC 9449), through the HTTP API on both backends: proofs at
/auth/token for every grant, bound access tokens at the server's own routes, refresh tokens
of public clients bound to the key, nonces, clients that must use DPoP, codes bound by
dpop_jkt, discovery and introspection."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from jwtgate import unverified_header
from jwtgate.auth import AuthService
from jwtgate.auth.oauth import ClientMetadata
from jwtgate.auth.values import ClientAuth
from jwtgate.jose.b64 import b64url_decode

from ..guard.dpopkit import Holder
from .serverkit import ISSUER, PASSWORD, Server, error_of, make_client

TOKEN_URL = ISSUER + "/auth/token"
ME_URL = ISSUER + "/auth/me"
GRANTS = ClientMetadata(grant_types=["password", "refresh_token"])


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server(allow_password_grant=True)


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(server.app) as c:
        yield c


@pytest.fixture
def auth(server: Server) -> AuthService:
    return server.auth


def claims_of(token: str) -> dict[str, Any]:
    import json

    return dict(json.loads(b64url_decode(token.split(".")[1])))


async def password(
    client: httpx.AsyncClient, holder: Holder | None, auth: Any = None, **form: str
) -> httpx.Response:
    headers = {} if holder is None else {"DPoP": holder.proof("POST", TOKEN_URL)}
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD, **form}
    return await client.post("/auth/token", data=data, headers=headers, auth=auth)


async def refresh(
    client: httpx.AsyncClient, token: str, holder: Holder | None, auth: Any = None, **form: str
) -> httpx.Response:
    headers = {} if holder is None else {"DPoP": holder.proof("POST", TOKEN_URL)}
    data = {"grant_type": "refresh_token", "refresh_token": token, **form}
    return await client.post("/auth/token", data=data, headers=headers, auth=auth)


def dpop(token: str, proof: str) -> dict[str, str]:
    return {"Authorization": f"DPoP {token}", "DPoP": proof}


async def test_a_proof_binds_the_access_token_and_the_server_checks_it(
    client: httpx.AsyncClient,
) -> None:
    holder = Holder()
    response = await password(client, holder)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    token = body["access_token"]
    assert claims_of(token)["cnf"] == {"jkt": holder.jkt}
    assert unverified_header(token)["typ"] == "at+jwt"
    me = await client.get("/auth/me", headers=dpop(token, holder.proof("GET", ME_URL, token)))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    # Stolen and sent as Bearer: refused (RFC 9449 7.2).
    stolen = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert stolen.status_code == 401 and "DPoP-bound" in stolen.json()["error_description"]
    # With a proof of another key, a replayed proof, or none: refused with a DPoP challenge.
    for proof in (Holder().proof("GET", ME_URL, token), None):
        headers = {"Authorization": f"DPoP {token}"} | ({"DPoP": proof} if proof else {})
        refused = await client.get("/auth/me", headers=headers)
        assert refused.status_code == 401 and error_of(refused) == "invalid_dpop_proof"
        assert refused.headers["www-authenticate"].startswith('DPoP realm="jwtgate", error=')
        assert 'algs="' in refused.headers["www-authenticate"]
    proof = holder.proof("GET", ME_URL, token)
    assert (await client.get("/auth/me", headers=dpop(token, proof))).status_code == 200
    replayed = await client.get("/auth/me", headers=dpop(token, proof))
    assert replayed.status_code == 401 and "replay" in replayed.json()["error_description"]


async def test_without_a_proof_nothing_changes(client: httpx.AsyncClient) -> None:
    body = (await password(client, None)).json()
    assert body["token_type"] == "Bearer" and "cnf" not in claims_of(body["access_token"])
    token = body["access_token"]
    as_dpop = await client.get(
        "/auth/me", headers=dpop(token, Holder().proof("GET", ME_URL, token))
    )
    assert as_dpop.status_code == 401 and "DPoP-bound token" in as_dpop.json()["error_description"]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda h: h.proof("GET", TOKEN_URL), "htm"),
        (lambda h: h.proof("POST", ISSUER + "/auth/other"), "htu"),
        (lambda h: h.proof("POST", "https://evil.example/auth/token"), "htu"),
        (lambda h: h.proof("POST", TOKEN_URL, header={"typ": "JWT"}), "typ"),
        (
            lambda h: h.proof("POST", TOKEN_URL, header={"jwk": h.key.as_dict(private=True)}),
            "private",
        ),
        (lambda h: h.proof("POST", TOKEN_URL, iat=1), "too old"),
        (lambda h: "not-a-proof", "compact JWS"),
    ],
    ids=["htm", "htu path", "htu host", "typ", "private jwk", "old", "garbage"],
)
async def test_a_bad_proof_at_the_token_endpoint_is_400(
    client: httpx.AsyncClient, make: Any, words: str
) -> None:
    holder = Holder()
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    response = await client.post("/auth/token", data=data, headers={"DPoP": make(holder)})
    assert response.status_code == 400 and error_of(response) == "invalid_dpop_proof"
    assert words in response.json()["error_description"]


async def test_a_replayed_or_doubled_proof_at_the_token_endpoint(
    client: httpx.AsyncClient,
) -> None:
    holder = Holder()
    proof = holder.proof("POST", TOKEN_URL)
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    assert (await client.post("/auth/token", data=data, headers={"DPoP": proof})).is_success
    again = await client.post("/auth/token", data=data, headers={"DPoP": proof})
    assert again.status_code == 400 and "replay" in again.json()["error_description"]
    two = [("DPoP", holder.proof("POST", TOKEN_URL)), ("DPoP", holder.proof("POST", TOKEN_URL))]
    doubled = await client.post("/auth/token", data=data, headers=two)
    assert doubled.status_code == 400 and "exactly one" in doubled.json()["error_description"]


async def test_public_refresh_tokens_are_bound_to_the_key(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    public, _ = auth.create_client("app", public=True, meta=GRANTS)
    holder = Holder()
    first = (await password(client, holder, client_id=public.client_id)).json()
    token = first["refresh_token"]
    for thief in (None, Holder()):  # no proof, or a proof by another key
        stolen = await refresh(client, token, thief, client_id=public.client_id)
        assert stolen.status_code == 400 and error_of(stolen) == "invalid_grant"
    # Neither attempt burned the token nor tripped reuse detection: its holder refreshes.
    fresh = await refresh(client, token, holder, client_id=public.client_id)
    assert fresh.status_code == 200 and fresh.json()["token_type"] == "DPoP"
    assert claims_of(fresh.json()["access_token"])["cnf"] == {"jkt": holder.jkt}
    introspected = auth.introspect(fresh.json()["refresh_token"])
    assert introspected["cnf"] == {"jkt": holder.jkt}
    # The first-party JSON refresh cannot bypass the binding either.
    at_json = await client.post(
        "/auth/refresh", json={"refresh_token": fresh.json()["refresh_token"]}
    )
    assert at_json.status_code == 401


async def test_confidential_refresh_tokens_stay_bound_to_the_client(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    record, secret = auth.create_client("backend", meta=GRANTS)
    assert secret is not None
    basic = (record.client_id, secret)
    holder = Holder()
    first = (await password(client, holder, basic)).json()
    assert first["token_type"] == "DPoP"
    plain = await refresh(client, first["refresh_token"], None, basic)  # RFC 9449 5
    assert plain.status_code == 200 and plain.json()["token_type"] == "Bearer"
    rebound = await refresh(client, plain.json()["refresh_token"], Holder(), basic)
    assert rebound.status_code == 200 and rebound.json()["token_type"] == "DPoP"


async def test_client_credentials_and_introspection(
    client: httpx.AsyncClient, auth: AuthService
) -> None:
    record, secret = auth.create_client("svc", ["reports:read"])
    assert secret is not None
    holder = Holder()
    response = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(record.client_id, secret),
        headers={"DPoP": holder.proof("POST", TOKEN_URL)},
    )
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP"
    seen = await client.post(
        "/auth/introspect",
        data={"token": response.json()["access_token"]},
        auth=(record.client_id, secret),
    )
    assert seen.json()["active"] is True and seen.json()["cnf"] == {"jkt": holder.jkt}


async def test_a_client_that_must_use_dpop(client: httpx.AsyncClient, auth: AuthService) -> None:
    record, secret = auth.create_client(
        "strict", ["reports:read"], meta=ClientMetadata(dpop_bound_access_tokens=True)
    )
    assert secret is not None
    form = {"grant_type": "client_credentials"}
    without = await client.post("/auth/token", data=form, auth=(record.client_id, secret))
    assert without.status_code == 400 and error_of(without) == "invalid_dpop_proof"
    proof = {"DPoP": Holder().proof("POST", TOKEN_URL)}
    ok = await client.post("/auth/token", data=form, auth=(record.client_id, secret), headers=proof)
    assert ok.status_code == 200 and ok.json()["token_type"] == "DPoP"


async def test_nonces_when_required(make_server: Callable[..., Server]) -> None:
    server = make_server(allow_password_grant=True, dpop_require_nonce=True)
    async with make_client(server.app) as client:
        holder = Holder()
        data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        first = await client.post(
            "/auth/token", data=data, headers={"DPoP": holder.proof("POST", TOKEN_URL)}
        )
        assert first.status_code == 400 and error_of(first) == "use_dpop_nonce"
        nonce = first.headers["dpop-nonce"]
        proof = holder.proof("POST", TOKEN_URL, nonce=nonce)
        ok = await client.post("/auth/token", data=data, headers={"DPoP": proof})
        assert ok.status_code == 200 and ok.headers["dpop-nonce"]
        token = ok.json()["access_token"]
        me = await client.get("/auth/me", headers=dpop(token, holder.proof("GET", ME_URL, token)))
        assert me.status_code == 401 and error_of(me) == "use_dpop_nonce"
        assert me.headers["dpop-nonce"]
        retry = holder.proof("GET", ME_URL, token, nonce=me.headers["dpop-nonce"])
        assert (await client.get("/auth/me", headers=dpop(token, retry))).status_code == 200


async def test_discovery_lists_the_proof_algorithms(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    algs = metadata["dpop_signing_alg_values_supported"]
    assert "ES256" in algs and "EdDSA" in algs and not any(a.startswith("HS") for a in algs)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_dpop_jkt_binds_the_authorization_code(auth: AuthService) -> None:
    app, _ = auth.create_client(
        "spa",
        public=True,
        meta=ClientMetadata(
            redirect_uris=["https://spa.example/cb"],
            grant_types=["authorization_code", "refresh_token"],
            first_party=True,
        ),
    )
    holder = Holder()
    sso = auth.sso_session(auth.browser_sign_in("alice", PASSWORD).sso_token)
    assert sso is not None

    def code(jkt: str | None) -> tuple[str, str]:
        verifier, challenge = _pkce()
        params = [
            ("response_type", "code"),
            ("client_id", app.client_id),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ] + ([("dpop_jkt", jkt)] if jkt else [])
        decision = auth.authorize(auth.authorization_request(params), sso)
        assert decision.code is not None
        return decision.code, verifier

    def redeem(pair: tuple[str, str], jkt: str | None) -> Any:
        return auth.code_grant(
            ClientAuth(app.client_id),
            code=pair[0],
            redirect_uri=None,
            code_verifier=pair[1],
            dpop_jkt=jkt,
        )

    from jwtgate.auth.errors import AuthorizationError, InvalidGrant

    bound = code(holder.jkt)
    with pytest.raises(InvalidGrant, match="dpop_jkt"):
        redeem(bound, Holder().jkt)
    unbound_try = code(holder.jkt)
    with pytest.raises(InvalidGrant, match="dpop_jkt"):
        redeem(unbound_try, None)
    ok = redeem(code(holder.jkt), holder.jkt)
    assert ok.token_type == "DPoP"
    with pytest.raises(AuthorizationError, match="dpop_jkt") as caught:
        auth.authorization_request(
            [
                ("response_type", "code"),
                ("client_id", app.client_id),
                ("code_challenge", _pkce()[1]),
                ("code_challenge_method", "S256"),
                ("dpop_jkt", "short"),
            ]
        )
    assert caught.value.code == "invalid_request"


async def test_a_bound_token_is_no_bearer_anywhere(client: httpx.AsyncClient) -> None:
    """Introspection's admin bearer and the pages' access cookie refuse a bound token too."""
    from jwtgate.server.web.cookies import cookie_names

    holder = Holder()
    data = {"grant_type": "password", "username": "root", "password": PASSWORD}
    admin = await client.post(
        "/auth/token", data=data, headers={"DPoP": holder.proof("POST", TOKEN_URL)}
    )
    token = admin.json()["access_token"]
    introspect = await client.post(
        "/auth/introspect", data={"token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert introspect.status_code == 401 and "DPoP-bound" in introspect.json()["error_description"]
    plain = (await client.post("/auth/token", data=data)).json()["access_token"]
    pages = {}
    for name, value in (("bound", token), ("plain", plain)):
        for secure in (False, True):  # whichever names the server uses here
            client.cookies.set(cookie_names(secure).access, value)
        try:
            pages[name] = await client.get("/web/account")
        finally:
            client.cookies.clear()
    assert pages["plain"].status_code == 200  # the cookie works for a token of its own kind
    assert pages["bound"].status_code == 303  # signed out: off to refresh or sign in
    assert pages["bound"].headers["location"].startswith(("/web/session/refresh", "/web/login"))
    for secure in (False, True):
        client.cookies.set(cookie_names(secure).access, token)
    try:
        cookie_api = await client.get("/auth/me")
    finally:
        client.cookies.clear()
    assert cookie_api.status_code == 401
