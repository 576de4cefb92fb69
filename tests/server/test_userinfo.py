"""The userinfo endpoint (OpenID Connect Core 5.3): GET, POST with the bearer header, POST
with ``access_token`` in the form body; claims by scope; errors per RFC 6750 3.1."""

from __future__ import annotations

import httpx
import pytest

from jwtgate.auth import AuthService

from .serverkit import PASSWORD, Server, bearer, error_of

SCOPES = ["openid", "profile", "email", "offline_access"]


@pytest.fixture
def oidc(make_server: object) -> Server:
    server: Server = make_server(user_scopes=SCOPES)  # type: ignore[operator]
    server.auth.create_user("bob", PASSWORD, email="bob@example.com")
    return server


@pytest.fixture
async def oclient(oidc: Server) -> object:
    from .serverkit import make_client

    async with make_client(oidc.app) as c:
        yield c


def token(auth: AuthService, scope: str, username: str = "bob") -> str:
    return auth.password_grant(username, PASSWORD, scope).access_token


async def test_oidcc_userinfo_get(oidc: Server, oclient: httpx.AsyncClient) -> None:
    user = oidc.auth.find_user("bob")
    response = await oclient.get("/auth/userinfo", headers=bearer(token(oidc.auth, "openid")))
    assert response.status_code == 200
    assert response.json() == {"sub": user.id}  # openid alone: the subject only
    assert response.headers["cache-control"] == "no-store"


async def test_oidcc_userinfo_post_header(oidc: Server, oclient: httpx.AsyncClient) -> None:
    response = await oclient.post(
        "/auth/userinfo", headers=bearer(token(oidc.auth, "openid profile"))
    )
    assert response.status_code == 200
    body = response.json()
    user = oidc.auth.find_user("bob")
    assert body["sub"] == user.id and body["preferred_username"] == "bob"
    assert body["name"] == "bob" and body["updated_at"] == int(user.created_at.timestamp())
    assert "email" not in body


async def test_oidcc_userinfo_post_body(oidc: Server, oclient: httpx.AsyncClient) -> None:
    response = await oclient.post(
        "/auth/userinfo", data={"access_token": token(oidc.auth, "openid email")}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "bob@example.com"
    assert body["email_verified"] is False  # nobody has proved the address yet
    assert "preferred_username" not in body


async def test_oidcc_scope_profile_and_email_together(
    oidc: Server, oclient: httpx.AsyncClient
) -> None:
    access = token(oidc.auth, "openid profile email")
    body = (await oclient.get("/auth/userinfo", headers=bearer(access))).json()
    assert set(body) == {
        "sub",
        "preferred_username",
        "name",
        "updated_at",
        "email",
        "email_verified",
    }


async def test_a_token_without_openid_is_insufficient_scope(
    oidc: Server, oclient: httpx.AsyncClient
) -> None:
    response = await oclient.get(
        "/auth/userinfo", headers=bearer(token(oidc.auth, "profile email"))
    )
    assert response.status_code == 403 and error_of(response) == "insufficient_scope"
    assert response.headers["www-authenticate"].startswith('Bearer realm="jwtgate", error=')
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_userinfo_errors_follow_rfc6750(oidc: Server, oclient: httpx.AsyncClient) -> None:
    missing = await oclient.get("/auth/userinfo")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
    bad = await oclient.get("/auth/userinfo", headers=bearer("not-a-token"))
    assert bad.status_code == 401 and error_of(bad) == "invalid_token"
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]
    bad_body = await oclient.post("/auth/userinfo", data={"access_token": "x.y.z"})
    assert bad_body.status_code == 401 and error_of(bad_body) == "invalid_token"
    empty_body = await oclient.post("/auth/userinfo", data={"other": "1"})
    assert empty_body.status_code == 401
    assert empty_body.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
    access = token(oidc.auth, "openid")
    both = await oclient.post(
        "/auth/userinfo", headers=bearer(access), data={"access_token": access}
    )
    assert both.status_code == 400 and error_of(both) == "invalid_request"
    huge = await oclient.post("/auth/userinfo", data={"access_token": "a" * 20000})
    assert huge.status_code in (400, 401)


async def test_userinfo_of_a_revoked_or_disabled_user_is_invalid_token(
    oidc: Server, oclient: httpx.AsyncClient
) -> None:
    access = token(oidc.auth, "openid profile")
    claims = oidc.auth.authenticate(access)
    oidc.auth.logout(claims)
    revoked = await oclient.get("/auth/userinfo", headers=bearer(access))
    assert revoked.status_code == 401 and error_of(revoked) == "invalid_token"
    fresh = token(oidc.auth, "openid")
    user = oidc.auth.find_user("bob")
    with oidc.auth.store.write() as uow:  # disabled behind the service's back: read fresh
        uow.users.update(user.id, now=0, disabled=True)
    gone = await oclient.get("/auth/userinfo", headers=bearer(fresh))
    assert gone.status_code == 401 and error_of(gone) == "invalid_token"


def test_email_verified_is_the_records_own_flag_when_it_keeps_one() -> None:
    # The account-email feature adds users.email_verified; until then every address is
    # unverified. A record that has the flag is read as it says, never assumed true.
    from types import SimpleNamespace

    from jwtgate.auth.oidc import claims_for_scope

    base = {"id": "u1", "username": "eve", "email": "eve@example.com", "updated_at": 5.0}
    verified = SimpleNamespace(**base, email_verified=True)
    unverified = SimpleNamespace(**base, email_verified=False)
    legacy = SimpleNamespace(**base)
    assert claims_for_scope(verified, ["email"])["email_verified"] is True  # type: ignore[arg-type]
    assert claims_for_scope(unverified, ["email"])["email_verified"] is False  # type: ignore[arg-type]
    assert claims_for_scope(legacy, ["email"])["email_verified"] is False  # type: ignore[arg-type]
    no_email = SimpleNamespace(**{**base, "email": None})
    assert claims_for_scope(no_email, ["openid", "email"]) == {"sub": "u1"}  # type: ignore[arg-type]
