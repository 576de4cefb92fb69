"""DPoP at the Guard (RFC 9449 7): bound tokens pass only as ``Authorization: DPoP`` with a
proof for this request, in every integration; Bearer use of a bound token is refused; the
challenges name both schemes; nonces; the URL behind a proxy."""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

from collections.abc import Callable
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from starlette.testclient import TestClient

from jwtgate import Guard, Principal
from jwtgate.guard.middleware import GuardMiddleware, requires

from .dpopkit import Holder, bound_token
from .guardkit import DPOP_ALGS, Issuer

URL = "http://testserver/orders"


def fastapi_app(guard: Guard, *, middleware: bool = False) -> FastAPI:
    app = FastAPI()
    if middleware:
        app.add_middleware(GuardMiddleware, guard=guard)

        @app.get("/orders")
        @requires(scopes="read")
        async def orders_mw() -> dict[str, Any]:
            return {"ok": True}

        @app.post("/orders")
        @requires()
        async def create_mw() -> dict[str, Any]:
            return {"created": True}

    else:

        @app.get("/orders")
        async def orders(user: Annotated[Principal, Depends(guard.require())]) -> dict[str, Any]:
            return {"sub": user.sub, "jkt": user.jkt}

        @app.post("/orders")
        async def create(user: Annotated[Principal, Depends(guard.require())]) -> dict[str, Any]:
            return {"created": True}

    return app


def dpop(token: str, proof: str | None) -> dict[str, str]:
    headers = {"Authorization": f"DPoP {token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return headers


@pytest.fixture(params=["dependency", "middleware"])
def client_for(request: pytest.FixtureRequest) -> Callable[[Guard], TestClient]:
    return lambda guard: TestClient(fastapi_app(guard, middleware=request.param == "middleware"))


def test_a_bound_token_with_its_proof_passes(
    issuer: Issuer, make_guard: Callable[..., Guard], client_for: Callable[[Guard], TestClient]
) -> None:
    guard = make_guard(keys=issuer.keys)
    client = client_for(guard)
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    for _ in range(3):  # a fresh proof each time; the token itself is verified once
        response = client.get("/orders", headers=dpop(token, holder.proof("GET", URL, token)))
        assert response.status_code == 200, response.text
    assert guard.stats().misses == 1
    created = client.post("/orders", headers=dpop(token, holder.proof("POST", URL, token)))
    assert created.status_code == 200


def refusal(response: Any, code: str, words: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == code
    assert words in response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda h, t: {"Authorization": f"Bearer {t}"}, "invalid_token", "DPoP-bound"),
        (lambda h, t: dpop(t, None), "invalid_dpop_proof", "needs a DPoP header"),
        (
            lambda h, t: [("authorization", f"DPoP {t}"), ("dpop", h.proof("GET", URL, t))] * 2,
            "invalid_dpop_proof",
            "exactly one",
        ),
        (lambda h, t: dpop(t, h.proof("POST", URL, t)), "invalid_dpop_proof", "htm"),
        (lambda h, t: dpop(t, h.proof("GET", URL + "/1", t)), "invalid_dpop_proof", "htu"),
        (lambda h, t: dpop(t, h.proof("GET", URL)), "invalid_dpop_proof", "ath"),
        (
            lambda h, t: dpop(t, Holder(clock=h.clock).proof("GET", URL, t)),
            "invalid_dpop_proof",
            "another key",
        ),
        (lambda h, t: dpop(t, "garbage"), "invalid_dpop_proof", "compact JWS"),
    ],
    ids=["as Bearer", "no proof", "two proofs", "htm", "htu", "no ath", "other key", "garbage"],
)
def test_misuse_of_a_bound_token_is_refused(
    issuer: Issuer,
    make_guard: Callable[..., Guard],
    client_for: Callable[[Guard], TestClient],
    make: Any,
    code: str,
    words: str,
) -> None:
    client = client_for(make_guard(keys=issuer.keys))
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    headers = make(holder, token)
    response = client.get("/orders", headers=headers)  # a list: repeated header lines
    refusal(response, code, words)
    challenge = response.headers["www-authenticate"]
    if code == "invalid_dpop_proof":
        assert challenge.startswith(f'DPoP realm="jwtgate", error="{code}", error_description="')
        assert challenge.endswith(f'algs="{DPOP_ALGS}", Bearer realm="jwtgate"')
    else:
        assert challenge.startswith('Bearer realm="jwtgate", error="invalid_token"')
        assert challenge.endswith(f'DPoP realm="jwtgate", algs="{DPOP_ALGS}"')


def test_a_replayed_proof_is_refused(
    issuer: Issuer, make_guard: Callable[..., Guard], client_for: Callable[[Guard], TestClient]
) -> None:
    client = client_for(make_guard(keys=issuer.keys))
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    proof = holder.proof("GET", URL, token)
    assert client.get("/orders", headers=dpop(token, proof)).status_code == 200
    refusal(client.get("/orders", headers=dpop(token, proof)), "invalid_dpop_proof", "replay")


def test_an_unbound_token_under_the_dpop_scheme_is_refused(
    issuer: Issuer, make_guard: Callable[..., Guard], client_for: Callable[[Guard], TestClient]
) -> None:
    client = client_for(make_guard(keys=issuer.keys))
    holder = Holder(clock=issuer.clock)
    token = issuer.token()
    response = client.get("/orders", headers=dpop(token, holder.proof("GET", URL, token)))
    refusal(response, "invalid_token", "DPoP-bound token")
    assert response.headers["www-authenticate"].startswith('DPoP realm="jwtgate", error=')


def test_a_token_bound_otherwise_is_refused(
    issuer: Issuer, make_guard: Callable[..., Guard], client_for: Callable[[Guard], TestClient]
) -> None:
    client = client_for(make_guard(keys=issuer.keys))
    for cnf in ({"x5t#S256": "abc"}, {"jkt": "a", "x5t#S256": "b"}, "jkt", {"jkt": 1}):
        token = issuer.token(cnf=cnf)
        response = client.get("/orders", headers={"Authorization": f"Bearer {token}"})
        refusal(response, "invalid_token", "cnf")


def test_dpop_required_refuses_bearer_tokens(
    issuer: Issuer, make_guard: Callable[..., Guard], client_for: Callable[[Guard], TestClient]
) -> None:
    client = client_for(make_guard(keys=issuer.keys, dpop_required=True))
    response = client.get("/orders", headers={"Authorization": f"Bearer {issuer.token()}"})
    refusal(response, "invalid_token", "only DPoP-bound")
    missing = client.get("/orders")
    assert missing.headers["www-authenticate"] == f'DPoP realm="jwtgate", algs="{DPOP_ALGS}"'
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    assert client.get("/orders", headers=dpop(token, holder.proof("GET", URL, token))).is_success


def test_nonces_demanded_by_the_guard(
    issuer: Issuer, make_guard: Callable[..., Guard], client_for: Callable[[Guard], TestClient]
) -> None:
    client = client_for(make_guard(keys=issuer.keys, dpop_nonce=True))
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    first = client.get("/orders", headers=dpop(token, holder.proof("GET", URL, token)))
    refusal(first, "use_dpop_nonce", "nonce")
    nonce = first.headers["dpop-nonce"]
    assert first.headers["www-authenticate"].startswith('DPoP realm="jwtgate", error="use_dpop')
    again = client.get("/orders", headers=dpop(token, holder.proof("GET", URL, token, nonce=nonce)))
    assert again.status_code == 200


def test_external_url_behind_a_proxy(issuer: Issuer, make_guard: Callable[..., Guard]) -> None:
    public = "https://api.example/orders-service"
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    proxied = TestClient(fastapi_app(make_guard(keys=issuer.keys, external_url=public + "/")))
    ok = proxied.get(
        "/orders?page=2", headers=dpop(token, holder.proof("GET", public + "/orders", token))
    )
    assert ok.status_code == 200
    plain = TestClient(fastapi_app(make_guard(keys=issuer.keys)))
    wrong = plain.get(
        "/orders", headers=dpop(token, holder.proof("GET", public + "/orders", token))
    )
    refusal(wrong, "invalid_dpop_proof", "htu")
    with pytest.raises(ValueError, match="external_url"):
        make_guard(keys=issuer.keys, external_url="/relative")


def test_the_forwarded_host_and_root_path(issuer: Issuer, make_guard: Callable[..., Guard]) -> None:
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    client = TestClient(fastapi_app(make_guard(keys=issuer.keys)), root_path="/svc")
    url = "http://testserver/svc/orders"
    assert client.get("/orders", headers=dpop(token, holder.proof("GET", url, token))).is_success
    other_host = dpop(token, holder.proof("GET", "http://evil.example/svc/orders", token))
    refusal(client.get("/orders", headers=other_host), "invalid_dpop_proof", "htu")


def test_misconfiguration(issuer: Issuer, make_guard: Callable[..., Guard]) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        make_guard(keys=issuer.keys, dpop_algorithms=["HS256"])
    with pytest.raises(ValueError, match="dpop_max_age"):
        make_guard(keys=issuer.keys, dpop_max_age=-1)
    with pytest.raises(TypeError, match="dpop_nonce"):
        make_guard(keys=issuer.keys, dpop_nonce="yes")


async def test_verify_refuses_a_bound_token_without_its_proof(
    issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    from jwtgate import InvalidDPoPProof, InvalidToken

    guard = make_guard(keys=issuer.keys)
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    for verify in (guard.verify, guard.averify):
        with pytest.raises(InvalidDPoPProof, match="DPoP-bound"):
            result = verify(token)
            if not isinstance(result, Principal):
                await result
    ok = guard.verify(token, proof=holder.proof("GET", URL, token), method="GET", url=URL)
    assert ok.jkt == holder.jkt
    again = await guard.averify(token, proof=holder.proof("GET", URL, token), method="GET", url=URL)
    assert again.jkt == holder.jkt
    with pytest.raises(InvalidDPoPProof, match="htm"):
        guard.verify(token, proof=holder.proof("POST", URL, token), method="GET", url=URL)
    with pytest.raises(TypeError):
        guard.verify(token, proof=holder.proof("GET", URL, token))
    with pytest.raises(InvalidToken, match="DPoP-bound token"):  # a proof for an unbound token
        plain = issuer.token()
        guard.verify(plain, proof=holder.proof("GET", URL, plain), method="GET", url=URL)
    assert guard.verify(issuer.token()).jkt is None  # unbound tokens: as before
    assert guard.verify_token(token).jkt == holder.jkt  # for integrations that check proofs
