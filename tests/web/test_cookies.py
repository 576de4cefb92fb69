"""Browser-mode cookies: where the tokens go, and with which flags."""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi import FastAPI

from .fakeauth import FakeAuth
from .webkit import ALICE, client, make_app, sign_in


def _cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Set-Cookie headers by cookie name (the raw header text, flags included)."""
    out = {}
    for header in response.headers.get_list("set-cookie"):
        name = next(iter(SimpleCookie(header)))
        out[name] = header.lower()
    return out


def test_login_on_loopback_sets_httponly_strict_cookies_without_secure(app: FastAPI) -> None:
    c = client(app)
    response = sign_in(c)
    assert response.headers["location"] == "/web/account"
    cookies = _cookies(response)
    access, refresh = cookies["jwtgate_at"], cookies["jwtgate_rt"]
    for header in (access, refresh):
        assert "httponly" in header
        assert "samesite=strict" in header
        assert "secure" not in header  # relaxed: plain http to 127.0.0.1
    assert "path=/;" in access or access.endswith("path=/")
    assert "max-age=900" in access
    assert "path=/web/session" in refresh
    assert "max-age=3600" in refresh
    assert "eyj" not in response.text.lower()  # no token in the body


def test_login_over_https_uses_secure_prefixed_cookies(app: FastAPI) -> None:
    c = client(app, "https://auth.example.com")
    cookies = _cookies(sign_in(c))
    assert set(cookies) >= {"__Host-jwtgate_at", "__Secure-jwtgate_rt"}
    assert all("secure" in h and "httponly" in h for h in cookies.values())
    assert "path=/web/session" in cookies["__Secure-jwtgate_rt"]
    assert c.get("/web/account").status_code == 200  # the browser sends them back over https


def test_plain_http_to_a_public_host_still_gets_secure_and_a_warning(app: FastAPI) -> None:
    c = client(app, "http://auth.example.com")
    page = c.get("/web/login")
    assert "__Host-jwtgate_csrf" in page.headers["set-cookie"]
    assert "secure" in page.headers["set-cookie"].lower()
    assert "serve jwtgate over HTTPS" in page.text


def test_localhost_and_ipv6_loopback_are_relaxed_too(app: FastAPI) -> None:
    for base in ("http://localhost:8000", "http://[::1]:8000"):
        header = client(app, base).get("/web/login").headers["set-cookie"].lower()
        assert header.startswith("jwtgate_csrf=") and "secure" not in header


def test_cookie_secure_false_turns_secure_off_everywhere(auth: FakeAuth) -> None:
    c = client(make_app(auth, cookie_secure=False), "http://auth.internal")
    cookies = _cookies(sign_in(c))
    assert "jwtgate_at" in cookies and "secure" not in cookies["jwtgate_at"]


def test_the_refresh_cookie_is_not_sent_to_pages(app: FastAPI) -> None:
    c = client(app)
    sign_in(c)
    refresh = next(ck for ck in c.cookies.jar if ck.name == "jwtgate_rt")
    assert refresh.path == "/web/session"
    page = c.get("/web/account")
    assert page.status_code == 200
    assert page.request.headers["cookie"].count("jwtgate_rt") == 0


def test_sign_out_clears_both_token_cookies(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    sign_in(c)
    csrf = c.cookies["jwtgate_csrf"]
    response = c.post(
        "/web/session/logout",
        data={"csrf_token": csrf},
        headers={"origin": "http://127.0.0.1:8000"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/web/login"
    cleared = _cookies(response)
    assert 'jwtgate_at=""' in cleared["jwtgate_at"] and "max-age=0" in cleared["jwtgate_at"]
    assert "path=/web/session" in cleared["jwtgate_rt"] and "max-age=0" in cleared["jwtgate_rt"]
    assert all(s.revoked_at is not None for s in auth.sessions.values())


def test_json_login_puts_tokens_in_cookies_and_none_in_the_body(app: FastAPI) -> None:
    c = client(app)
    csrf = c.get("/web/csrf").json()["csrf_token"]
    response = c.post(
        "/web/login",
        json={"username": ALICE[0], "password": ALICE[1]},
        headers={"x-csrf-token": csrf, "origin": "http://127.0.0.1:8000"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "cookie" and body["expires_in"] == 900
    assert "access_token" not in body and "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"
    assert {"jwtgate_at", "jwtgate_rt"} <= set(_cookies(response))


def test_json_login_errors_are_json(app: FastAPI, auth: FakeAuth) -> None:
    c = client(app)
    csrf = c.get("/web/csrf").json()["csrf_token"]
    headers = {"x-csrf-token": csrf, "origin": "http://127.0.0.1:8000"}
    wrong = c.post("/web/login", json={"username": "alice", "password": "nope"}, headers=headers)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_grant"
    bad = c.post(
        "/web/login", content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    typed = c.post("/web/login", json={"username": 1, "password": []}, headers=headers)
    assert typed.status_code == 400
    listed = c.post("/web/login", json=["alice"], headers=headers)
    assert listed.status_code == 400
    auth.failures["alice"] = 99
    throttled = c.post("/web/login", json={"username": "alice", "password": "x"}, headers=headers)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "7"
    no_csrf = c.post(
        "/web/login", json={"username": "a", "password": "b"}, headers={"origin": headers["origin"]}
    )
    assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "invalid_request"
