"""Flask: ``@require(guard, ...)`` sets ``g.principal`` or answers 401/403 per RFC 6750."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g

from jwtgate import Guard
from jwtgate.guard.flask import current_principal, require

from .dpopkit import Holder, bound_token
from .guardkit import BARE_CHALLENGE, Issuer


def build_app(guard: Guard) -> Flask:
    app = Flask(__name__)

    @app.get("/users")
    @require(guard)
    def users() -> dict[str, Any]:
        return {"sub": g.principal.sub, "same": current_principal() is g.principal}

    @app.get("/admin/report")
    @require(guard, roles="admin")
    def report() -> dict[str, Any]:
        return {"report": "ok"}

    @app.get("/scoped")
    @require(guard, scopes=["write"], any_role=["editor", "admin"])
    def scoped() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/unprotected")
    def unprotected() -> dict[str, Any]:
        return {"sub": current_principal().sub}

    return app


@pytest.fixture
def client(make_guard: Callable[..., Guard], issuer: Issuer) -> Any:
    return build_app(make_guard(keys=issuer.keys)).test_client()


def auth(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def test_a_valid_token_sets_g_principal(client: Any, issuer: Issuer) -> None:
    response = client.get("/users", headers=auth(issuer.token(), "BEARER"))
    assert response.status_code == 200
    assert response.get_json() == {"sub": "user-1", "same": True}


def test_missing_bad_and_forbidden(client: Any, issuer: Issuer) -> None:
    missing = client.get("/users")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == BARE_CHALLENGE
    assert missing.get_json()["error"] == "invalid_token"
    bad = client.get("/users", headers=auth(issuer.token(exp=int(issuer.clock()) - 60)))
    assert bad.status_code == 401
    assert (
        'error="invalid_token", error_description="the token has expired"'
        in (bad.headers["WWW-Authenticate"])
    )
    assert bad.get_json() == {
        "error": "invalid_token",
        "error_description": "the token has expired",
    }
    forbidden = client.get("/admin/report", headers=auth(issuer.token(roles=["user"])))
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"] == "insufficient_scope"
    assert (
        client.get("/admin/report", headers=auth(issuer.token(roles=["admin"]))).status_code == 200
    )


def test_scopes_and_any_role(client: Any, issuer: Issuer) -> None:
    no_scope = issuer.token(roles=["editor"], scope="read")
    assert client.get("/scoped", headers=auth(no_scope)).status_code == 403
    no_role = issuer.token(roles=["user"], scope="write")
    assert client.get("/scoped", headers=auth(no_role)).status_code == 403
    both = issuer.token(roles=["editor"], scope="write")
    assert client.get("/scoped", headers=auth(both)).status_code == 200


def test_current_principal_outside_a_protected_view_is_a_programming_error(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    app = build_app(make_guard(keys=issuer.keys))
    app.testing = True
    with pytest.raises(RuntimeError, match="not protected"):
        app.test_client().get("/unprotected")


def test_dpop_bound_tokens_need_their_proof(client: Any, issuer: Issuer) -> None:
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    proof = holder.proof("GET", "http://localhost/users", token)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert client.get("/users?x=1", headers=headers).status_code == 200
    replayed = client.get("/users", headers=headers)
    assert replayed.status_code == 401
    assert replayed.json["error"] == "invalid_dpop_proof"
    as_bearer = client.get("/users", headers=auth(token))
    assert as_bearer.status_code == 401 and "DPoP-bound" in as_bearer.json["error_description"]
    post = holder.proof("POST", "http://localhost/users", token)
    wrong = client.get("/users", headers={"Authorization": f"DPoP {token}", "DPoP": post})
    assert wrong.status_code == 401 and "htm" in wrong.json["error_description"]


def test_dpop_nonce_header_is_sent(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    client = build_app(make_guard(keys=issuer.keys, dpop_nonce=True)).test_client()
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    url = "http://localhost/users"
    first = client.get(
        "/users",
        headers={"Authorization": f"DPoP {token}", "DPoP": holder.proof("GET", url, token)},
    )
    assert first.status_code == 401 and first.json["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    proof = holder.proof("GET", url, token, nonce=nonce)
    again = client.get("/users", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert again.status_code == 200
