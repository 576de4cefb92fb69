"""Django REST framework: the authentication class and the permission classes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["rest_framework"],
        ROOT_URLCONF=__name__,
        REST_FRAMEWORK={
            "UNAUTHENTICATED_USER": None,
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "EXCEPTION_HANDLER": "jwtgate.guard.django.exception_handler",
        },
    )
    django.setup()

from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from jwtgate import Guard  # noqa: E402
from jwtgate.guard.django import (  # noqa: E402
    JWTGateAuthentication,
    JWTGatePermission,
    TokenUser,
    authentication,
    require,
)

from .dpopkit import Holder, bound_token  # noqa: E402
from .guardkit import BARE_CHALLENGE, Issuer  # noqa: E402

urlpatterns: list[Any] = []
CONFIGURED_GUARD: Guard | None = None  # JWTGATE_GUARD points here in one test


def view(
    auth_class: type[JWTGateAuthentication],
    permission: type[JWTGatePermission],
    answer: Callable[[Request], dict[str, Any]],
) -> Any:
    class View(APIView):
        authentication_classes = (auth_class,)
        permission_classes = (permission,)

        def get(self, request: Request) -> Response:
            return Response(answer(request))

    return View.as_view()


def whoami(request: Request) -> dict[str, Any]:
    assert isinstance(request.user, TokenUser)
    return {"sub": request.user.pk, "name": request.user.username}


def views(auth_class: type[JWTGateAuthentication]) -> dict[str, Any]:
    return {
        "users": view(auth_class, JWTGatePermission, whoami),
        "report": view(auth_class, require(roles=["admin"]), lambda r: {"report": "ok"}),
        "writer": view(auth_class, require(scopes="write"), lambda r: {"ok": True}),
    }


@pytest.fixture
def guard(make_guard: Callable[..., Guard], issuer: Issuer) -> Guard:
    return make_guard(keys=issuer.keys)


@pytest.fixture
def call(guard: Guard) -> Callable[..., Any]:
    bound = views(authentication(guard))
    factory = APIRequestFactory()

    def call(view: str, authorization: str | None = None) -> Any:
        extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
        response = bound[view](factory.get("/", **extra))
        response.render()
        return response

    return call


def test_a_valid_token_authenticates(call: Callable[..., Any], issuer: Issuer) -> None:
    response = call("users", f"Bearer {issuer.token()}")
    assert response.status_code == 200
    assert response.data == {"sub": "user-1", "name": "alice"}


def test_no_token_is_401_with_a_bare_challenge(call: Callable[..., Any]) -> None:
    for header in (None, "Basic dXNlcjpwdw=="):
        response = call("users", header)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == BARE_CHALLENGE
        assert response.data["error"] == "invalid_token"


def test_a_bad_token_is_401_invalid_token(call: Callable[..., Any], issuer: Issuer) -> None:
    response = call("users", f"bearer {issuer.token(aud='elsewhere')}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.data["error"] == "invalid_token"
    assert "audience" in response.data["error_description"]


def test_roles_and_scopes_are_403_insufficient_scope(
    call: Callable[..., Any], issuer: Issuer
) -> None:
    forbidden = call("report", f"Bearer {issuer.token(roles=['user'])}")
    assert forbidden.status_code == 403
    assert forbidden.data["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in forbidden["WWW-Authenticate"]
    assert call("report", f"Bearer {issuer.token(roles=['admin'])}").status_code == 200
    assert call("writer", f"Bearer {issuer.token(scope='read')}").status_code == 403
    assert call("writer", f"Bearer {issuer.token(scope='read write')}").status_code == 200


@pytest.fixture
def configured(guard: Guard) -> Iterator[None]:
    global CONFIGURED_GUARD
    CONFIGURED_GUARD = guard
    settings.JWTGATE_GUARD = f"{__name__}.CONFIGURED_GUARD"
    yield
    del settings.JWTGATE_GUARD
    CONFIGURED_GUARD = None


def test_the_guard_can_come_from_settings(configured: None, issuer: Issuer) -> None:
    view = views(JWTGateAuthentication)["users"]
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {issuer.token()}")
    assert view(request).status_code == 200


def test_no_guard_configured_is_a_type_error(issuer: Issuer) -> None:
    with pytest.raises(TypeError, match="JWTGATE_GUARD"):
        JWTGateAuthentication().get_guard()


def test_dpop_bound_tokens_need_their_proof(guard: Guard, issuer: Issuer) -> None:
    bound = views(authentication(guard))
    factory = APIRequestFactory()
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)

    def get(proof: str | None, scheme: str = "DPoP") -> Any:
        extra = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
        if proof is not None:
            extra["HTTP_DPOP"] = proof
        response = bound["users"](factory.get("/users", **extra))
        response.render()
        return response

    proof = holder.proof("GET", "http://testserver/users", token)
    assert get(proof).status_code == 200
    replayed = get(proof)
    assert replayed.status_code == 401
    assert replayed["WWW-Authenticate"].startswith('DPoP realm="jwtgate", error="invalid_dpop')
    two = get(holder.proof("GET", "http://testserver/users", token) + "," + proof)
    assert two.status_code == 401 and "exactly one" in two["WWW-Authenticate"]
    as_bearer = get(None, "Bearer")
    assert as_bearer.status_code == 401 and "DPoP-bound" in as_bearer["WWW-Authenticate"]


def test_dpop_nonce_reaches_the_client(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    bound = views(authentication(make_guard(keys=issuer.keys, dpop_nonce=True)))
    factory = APIRequestFactory()
    holder = Holder(clock=issuer.clock)
    token = bound_token(issuer, holder)
    url = "http://testserver/users"

    def get(proof: str) -> Any:
        extra = {"HTTP_AUTHORIZATION": f"DPoP {token}", "HTTP_DPOP": proof}
        response = bound["users"](factory.get("/users", **extra))
        response.render()
        return response

    first = get(holder.proof("GET", url, token))
    assert first.status_code == 401 and first["WWW-Authenticate"].startswith(
        'DPoP realm="jwtgate", error="use_dpop_nonce"'
    )
    nonce = first["DPoP-Nonce"]
    assert get(holder.proof("GET", url, token, nonce=nonce)).status_code == 200
