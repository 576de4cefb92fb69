"""The attack catalogue of issue 6, through the HTTP API of a real ``jwtgate serve`` and
through the auth service: every forged token gets 401 ``invalid_token`` (never 2xx, 403 or
5xx), and no URL from a token is ever fetched. Each attack is named after its CVE or advisory
(tests/security/attacks.py); a failure lists every attack that got through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from jwtgate import Guard, InvalidClaim, InvalidToken, Principal
from jwtgate.guard.jwks import MAX_JWKS_KEYS

from .attacks import (
    Attack,
    Canary,
    canary,
    compact,
    insider_attacks,
    outsider_attacks,
    unb64u,
)
from .serverkit import USER, USER_PASSWORD, Server, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("catalogue")) as running:
        yield running


@pytest.fixture(scope="module")
def attack_canary() -> Iterator[Canary]:
    with canary() as running:
        yield running


@pytest.fixture(scope="module")
def attacks(server: Server, attack_canary: Canary) -> dict[str, list[Attack]]:
    """Every forgery, from a genuine token of the plain user and the published JWK Set."""
    genuine = server.token()["access_token"]
    jwks = server.client.get("/.well-known/jwks.json").json()
    key = server.signing_key()
    issuer = server.settings.issuer or server.url
    return {
        "outsider": outsider_attacks(genuine, jwks["keys"][0], attack_canary.url),
        "insider": insider_attacks(key.sign, genuine, issuer, "api", int(time.time())),
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused_with_401(response: httpx.Response) -> str | None:
    """Why ``response`` is not a proper RFC 6750 invalid_token answer (None when it is)."""
    if response.status_code != 401:
        return f"status {response.status_code}: {response.text[:200]}"
    if response.json().get("error") != "invalid_token":
        return f"body {response.text[:200]}"
    challenge = response.headers.get("www-authenticate", "")
    if not challenge.startswith("Bearer") or 'error="invalid_token"' not in challenge:
        return f"WWW-Authenticate {challenge!r}"
    return None


def failures(server: Server, attacks: list[Attack], path: str) -> list[str]:
    out = []
    for attack in attacks:
        problem = refused_with_401(server.client.get(path, headers=bearer(attack.token)))
        if problem is not None:
            out.append(f"{attack.name} [{attack.source}]: {problem}")
    return out


def test_the_catalogue_is_complete(attacks: dict[str, list[Attack]]) -> None:
    """Every family of issue 6's catalogue is there, each with its source named."""
    names = " ".join(a.name for family in attacks.values() for a in family)
    for family in (
        "alg-none", "alg-NONE", "HS256-keyed-with-pem", "HS256-keyed-with-jwk-json",
        "HS256-keyed-with-der", "ecdsa-r0-s0", "jwk-header", "jku-header", "x5u-header",
        "x5c-header", "kid-traversal", "kid-sql", "signature-stripped", "two-segments",
        "signature-of-another-key", "signature-moved-to-forged-claims", "id-token-shaped",
        "other-audience", "other-issuer", "expired", "not-yet-valid", "issued-in-the-future",
        "oversized", "deeply-nested-claims", "duplicate-alg-in-header", "crit-unknown",
        "header-kid-int", "header-typ-list",
    ):  # fmt: skip
        assert family in names, family
    assert all(a.source for family in attacks.values() for a in family)


def test_every_outsider_forgery_gets_401_at_me(
    server: Server, attacks: dict[str, list[Attack]], attack_canary: Canary
) -> None:
    assert failures(server, attacks["outsider"], "/auth/me") == []
    assert attack_canary.hits == [], "a URL from a token header was fetched"


def test_forged_admin_tokens_get_401_at_admin_endpoints(
    server: Server, attacks: dict[str, list[Attack]]
) -> None:
    """The forgeries claim role admin; the admin API must not even reach the role check."""
    assert failures(server, attacks["outsider"], "/admin/users") == []


def test_every_insider_token_wrong_in_one_way_gets_401(
    server: Server, attacks: dict[str, list[Attack]]
) -> None:
    control, *wrong = attacks["insider"]
    assert control.name.startswith("control")
    me = server.client.get("/auth/me", headers=bearer(control.token))
    assert me.status_code == 200, me.text  # the real key signs: only the one flaw refuses
    assert failures(server, wrong, "/auth/me") == []


def test_a_refresh_token_is_not_an_access_token(server: Server) -> None:
    pair = server.token()
    problem = refused_with_401(server.client.get("/auth/me", headers=bearer(pair["refresh_token"])))
    assert problem is None, problem


def test_attacks_are_refused_by_the_service_itself(
    server: Server, attacks: dict[str, list[Attack]]
) -> None:
    """The same catalogue through AuthService.authenticate, as a second instance sees it."""
    from jwtgate.auth import build_auth

    auth = build_auth(server.settings)
    try:
        accepted = []
        for attack in attacks["outsider"] + attacks["insider"][1:]:
            try:
                auth.authenticate(attack.token)
            except InvalidToken:
                continue
            accepted.append(attack.name)
        assert accepted == []
    finally:
        auth.close()


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/auth/login", b'{"username":"' + b"a" * 100_000 + b'","password":"x"}', "json"),
        ("/auth/login", b"[" * 30_000 + b"]" * 30_000, "json"),
        ("/auth/login", b'{"username":' * 5000 + b"1" + b"}" * 5000, "json"),
        ("/auth/login", b'{"username":"alice","username":"admin","password":"x"}', "json"),
        ("/auth/login", b'{"username":["alice"],"password":{"$ne":null}}', "json"),
        ("/auth/login", b'\xff\xfe{"username":"alice"}', "json"),
        ("/auth/refresh", b'{"refresh_token":"' + b"A" * 70_000 + b'"}', "json"),
        ("/auth/refresh", b'{"refresh_token":' + b"[" * 20_000 + b"]" * 20_000 + b"}", "json"),
        ("/auth/token", b"grant_type=password&username=" + b"a" * 100_000, "form"),
        ("/auth/token", b"grant_type=password&grant_type=client_credentials", "form"),
        ("/auth/revoke", b"token=" + b"%00" * 30_000, "form"),
        ("/auth/introspect", b"token=" + b"A" * 70_000, "form"),
    ],
    ids=[
        "login-oversized",
        "login-nested-arrays",
        "login-nested-objects",
        "login-duplicate-keys",
        "login-wrong-types",
        "login-utf16-bom",
        "refresh-oversized",
        "refresh-nested",
        "token-oversized-form",
        "token-duplicate-grant-type",
        "revoke-nul-bytes",
        "introspect-oversized",
    ],
)
def test_hostile_bodies_get_a_4xx_json_error(
    server: Server, path: str, body: bytes, content_type: str
) -> None:
    media = {"json": "application/json", "form": "application/x-www-form-urlencoded"}
    response = server.client.post(
        path,
        content=body,
        headers={"Content-Type": media[content_type], "X-Forwarded-For": "192.0.2.50"},
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "error" in response.json()
    if path == "/auth/login":
        assert "access_token" not in response.text


def test_an_oversized_bearer_header_is_401_not_a_crash(server: Server) -> None:
    response = server.client.get("/auth/me", headers=bearer("A" * 12_000 + ".B.C"))
    assert response.status_code in (400, 401, 431), response.text
    assert server.process.poll() is None


def test_the_server_survived_and_logged_no_traceback(server: Server) -> None:
    assert server.client.get("/healthz").status_code == 200
    assert "Traceback" not in server.output()


@pytest.fixture
def throttled_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own: the throttle state must start empty."""
    with serve(tmp_path) as running:
        yield running


def test_credential_stuffing_over_many_usernames_from_one_address_is_throttled(
    throttled_server: Server,
) -> None:
    """DESIGN: 20 failures from one address within 15 minutes, then 429 with Retry-After."""
    server = throttled_server
    statuses = [
        server.login(f"user{i}", "Password-guess-1", address="203.0.113.5").status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20, statuses
    blocked = server.login("user99", "Password-guess-1", address="203.0.113.5")
    assert blocked.status_code == 429, blocked.text
    assert int(blocked.headers["retry-after"]) >= 1
    # Even the right password waits, from that address; another address is not affected.
    assert server.login(USER, USER_PASSWORD, address="203.0.113.5").status_code == 429
    assert server.login(USER, USER_PASSWORD, address="203.0.113.6").status_code == 200


def test_one_username_from_many_addresses_is_throttled(throttled_server: Server) -> None:
    """DESIGN: 5 failures for one username, whatever the addresses, then 429 (the server
    believes X-Forwarded-For from 127.0.0.1, set in JWTGATE_FORWARDED_ALLOW_IPS)."""
    server = throttled_server
    statuses = [
        server.login(USER, f"Wrong-guess-{i}", address=f"198.51.100.{i + 1}").status_code
        for i in range(5)
    ]
    assert statuses == [401] * 5
    blocked = server.login(USER, "Wrong-guess-6", address="198.51.100.77")
    assert blocked.status_code == 429, blocked.text
    assert int(blocked.headers["retry-after"]) >= 1
    assert blocked.json()["error"]


# -- through Guard --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guard(server: Server) -> Iterator[Guard]:
    """A resource server's Guard following the real server's JWK Set over HTTP."""
    with Guard(
        issuer=server.settings.issuer or server.url,
        audience="api",
        jwks_url=server.url + "/.well-known/jwks.json",
    ) as running:
        yield running


def guard_accepts(guard: Guard, attacks: list[Attack]) -> list[str]:
    accepted = []
    for attack in attacks:
        try:
            guard.verify(attack.token)
        except InvalidToken:
            continue
        accepted.append(f"{attack.name} [{attack.source}]")
    return accepted


def test_every_forgery_is_refused_by_guard(
    guard: Guard, attacks: dict[str, list[Attack]], attack_canary: Canary, server: Server
) -> None:
    control, *wrong = attacks["insider"]
    assert guard.verify(control.token).sub  # the real key's token passes: the Guard works
    assert guard_accepts(guard, attacks["outsider"] + wrong) == []
    head, body, _ = control.token.split(".")
    claims = {**json.loads(unb64u(body)), "roles": "xadminx"}
    string_roles = compact(unb64u(head), claims, server.signing_key().sign)
    with pytest.raises(InvalidClaim):  # "admin" in "xadminx" must never grant the role
        guard.verify(string_roles)
    assert attack_canary.hits == [], "a URL from a token header was fetched"


def test_guarded_fastapi_route_answers_401_to_every_forgery(
    guard: Guard, attacks: dict[str, list[Attack]], server: Server
) -> None:
    """The forgeries claim role admin: a route that needs admin must answer 401 (bad token),
    never 403 (a real user without the role) and never 200."""
    app = FastAPI()

    @app.get("/reports")
    def reports(user: Principal = Depends(guard.require(roles=["admin"]))) -> dict[str, str]:
        return {"sub": user.sub}

    control, *wrong = attacks["insider"]
    with TestClient(app) as client:
        real_user = client.get("/reports", headers=bearer(control.token))
        assert real_user.status_code == 403, real_user.text  # alice is a user, not an admin
        assert "insufficient_scope" in real_user.headers["www-authenticate"]
        problems = []
        for attack in attacks["outsider"] + wrong:
            problem = refused_with_401(client.get("/reports", headers=bearer(attack.token)))
            if problem is not None:
                problems.append(f"{attack.name} [{attack.source}]: {problem}")
        assert problems == []


def test_a_hostile_jwks_cannot_stall_the_guard() -> None:
    """A JWK Set of crafted RSA private keys (a prime "modulus" with a matching d), as many
    as the Guard accepts, cost 35 s each to load before the core bounded it; a Guard pointed
    at such a document (a compromised or spoofed issuer) must answer within seconds, and
    answer 'no key'."""
    from .test_fuzz_regressions import PRIME_2048, E, rsa_jwk

    crafted = rsa_jwk(PRIME_2048, pow(E, -1, PRIME_2048 - 1))
    document = {"keys": [{**crafted, "kid": f"k{i}"} for i in range(MAX_JWKS_KEYS)]}
    with (
        canary(document) as issuer,
        Guard(issuer="https://issuer.test", audience="api", jwks_url=issuer.url) as guard,
    ):
        start = time.perf_counter()
        with pytest.raises(InvalidToken):
            guard.verify(compact({"alg": "RS256", "kid": "k1"}, {"sub": "x"}, "AAAA"))
        assert time.perf_counter() - start < 5
        assert issuer.hits, "the Guard never fetched the document"
