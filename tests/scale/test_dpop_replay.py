"""DPoP across instances (RFC 9449 11.1): two auth services (as two instances) on one database
and one Redis share the proof replay cache, so a proof accepted by one is refused by the
other; their nonces are interchangeable. On SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from jwtgate.server import create_app

from ..guard.dpopkit import Holder
from ..server.serverkit import make_client
from .test_redis_auth import Make, make, shared_database  # noqa: F401 - fixtures

pytestmark = pytest.mark.redis

ISSUER = "https://auth.test"
TOKEN_URL = ISSUER + "/auth/token"
PASSWORD = "correct horse battery staple"


def instance(build: Make, **settings: object) -> httpx.AsyncClient:
    service = build(allow_password_grant=True, **settings)
    if not service.list_users().items:
        service.create_user("alice", PASSWORD, roles=["user"])
    return make_client(create_app(service._ctx.settings, auth=service))


async def test_a_proof_replayed_at_another_instance_is_refused(make: Make) -> None:  # noqa: F811
    holder = Holder()
    proof = holder.proof("POST", TOKEN_URL)
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    async with instance(make) as one, instance(make) as two:
        first = await one.post("/auth/token", data=data, headers={"DPoP": proof})
        assert first.status_code == 200, first.text
        replayed = await two.post("/auth/token", data=data, headers={"DPoP": proof})
        assert replayed.status_code == 400
        assert replayed.json()["error"] == "invalid_dpop_proof"
        assert "replay" in replayed.json()["error_description"]
        # At the protected routes too.
        token = first.json()["access_token"]
        me = holder.proof("GET", ISSUER + "/auth/me", token)
        headers = {"Authorization": f"DPoP {token}", "DPoP": me}
        assert (await two.get("/auth/me", headers=headers)).status_code == 200
        again = await one.get("/auth/me", headers=headers)
        assert again.status_code == 401 and again.json()["error"] == "invalid_dpop_proof"


async def test_a_nonce_of_one_instance_is_good_at_the_other(make: Make) -> None:  # noqa: F811
    holder = Holder()
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    async with (
        instance(make, dpop_require_nonce=True) as one,
        instance(make, dpop_require_nonce=True) as two,
    ):
        asked = await one.post(
            "/auth/token", data=data, headers={"DPoP": holder.proof("POST", TOKEN_URL)}
        )
        assert asked.json()["error"] == "use_dpop_nonce"
        proof = holder.proof("POST", TOKEN_URL, nonce=asked.headers["dpop-nonce"])
        answered = await two.post("/auth/token", data=data, headers={"DPoP": proof})
        assert answered.status_code == 200, answered.text


def test_guards_of_several_processes_share_replays_through_redis(
    redis_url: str, redis_prefix: str
) -> None:
    """Two Guards (as two worker processes of one API) on one Redis replay cache and one
    nonce secret: a proof accepted by one is refused by the other."""
    from starlette.testclient import TestClient

    from jwtgate import Guard
    from jwtgate.jose.dpop import NonceSource
    from jwtgate.store.redis import RedisLink, RedisReplayCache

    from ..guard.dpopkit import bound_token
    from ..guard.guardkit import AUD, FakeClock, Issuer
    from ..guard.test_dpop import fastapi_app

    clock = FakeClock()
    issuer = Issuer(clock)
    holder = Holder(clock=clock)
    secret = b"shared-nonce-secret-0123456789"
    links = [RedisLink(redis_url, prefix=redis_prefix) for _ in range(2)]
    try:
        guards = [
            Guard(
                issuer="https://auth.example",
                audience=AUD,
                keys=issuer.keys,
                clock=clock,
                dpop_replay=RedisReplayCache(link),
                dpop_nonce=NonceSource(secret, clock=clock),
            )
            for link in links
        ]
        one, two = (TestClient(fastapi_app(guard)) for guard in guards)
        token = bound_token(issuer, holder)
        url = "http://testserver/orders"
        asked = one.get(
            "/orders",
            headers={"Authorization": f"DPoP {token}", "DPoP": holder.proof("GET", url, token)},
        )
        nonce = asked.headers["dpop-nonce"]  # from the first process...
        proof = holder.proof("GET", url, token, nonce=nonce)
        headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
        assert two.get("/orders", headers=headers).status_code == 200  # ...good at the second
        replayed = one.get("/orders", headers=headers)
        assert replayed.status_code == 401 and "replay" in replayed.json()["error_description"]
    finally:
        for link in links:
            link.close()
