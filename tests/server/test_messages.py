"""What a newcomer's mistakes and first calls get back: a bare ``Bearer``, a weak password, the
refresh lifetime, and who a logout was, in the audit log."""

from __future__ import annotations

import httpx

from .serverkit import ADMIN, PASSWORD, bearer, login

MISSING = "the token is missing: the Authorization header must be 'Bearer <token>'"


async def test_bearer_with_nothing_after_it_says_the_token_is_missing(
    client: httpx.AsyncClient,
) -> None:
    """Was "not a compact JWS: expected three base64url segments" for an unset $ACCESS."""
    for header in ("Bearer", "Bearer ", "bearer   "):
        answer = await client.get("/auth/me", headers={"authorization": header})
        assert answer.status_code == 401
        assert answer.json() == {"error": "invalid_token", "error_description": MISSING}
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
        assert "Bearer <token>" in answer.headers["www-authenticate"]
    introspect = await client.post(
        "/auth/introspect", data={"token": "x"}, headers={"authorization": "Bearer "}
    )
    assert introspect.status_code == 401 and introspect.json()["error_description"] == MISSING
    # No header at all is still the bare challenge of RFC 6750 3.
    none = await client.get("/auth/me")
    assert none.status_code == 401 and none.headers["www-authenticate"] == 'Bearer realm="jwtgate"'


async def test_a_weak_password_gets_one_sentence_per_reason(client: httpx.AsyncClient) -> None:
    """Was "too easy to guess; This is a top-10 common password.; Add another word..."."""
    admin = bearer((await login(client, ADMIN))["access_token"])
    answer = await client.post(
        "/admin/users", json={"username": "weak", "password": "password"}, headers=admin
    )
    assert answer.status_code == 400
    text = answer.json()["error_description"]
    assert text.startswith("The password is too easy to guess. This is a top-10 common password.")
    assert ";" not in text and ".." not in text and text.endswith(".")
    short = await client.post(
        "/admin/users", json={"username": "weak", "password": "short"}, headers=admin
    )
    assert short.json()["error_description"] == "The password must have at least 8 characters."


async def test_refresh_expires_in_is_the_configured_lifetime(client: httpx.AsyncClient) -> None:
    """Was 604799: the lifetime was measured with a later clock reading than the expiry's."""
    tokens = await login(client)
    assert tokens["refresh_expires_in"] == 604800 and tokens["expires_in"] == 900
    renewed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert renewed.json()["refresh_expires_in"] == 604800


async def test_logout_events_name_the_user(client: httpx.AsyncClient) -> None:
    """Was a raw user id for logout events, where every other event shows the username."""
    first = await login(client)
    await client.post("/auth/logout", headers=bearer(first["access_token"]))
    second = await login(client)
    await client.post("/auth/logout-all", headers=bearer(second["access_token"]))
    admin = bearer((await login(client, ADMIN))["access_token"])
    events = (await client.get("/admin/events", headers=admin)).json()["items"]
    by_type = {e["type"]: e for e in events}
    assert by_type["logout"]["username"] == "alice"
    assert by_type["logout_all"]["username"] == "alice"
    assert by_type["logout"]["user_id"] == by_type["login_success"]["user_id"]
    assert PASSWORD not in str(events)
