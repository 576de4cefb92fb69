"""The public surface of jwtgate.auth: exports, the error tree and its codes."""

from __future__ import annotations

import inspect

import pytest

import jwtgate.auth as auth_pkg
from jwtgate import JWTGateError
from jwtgate.auth import errors
from jwtgate.auth.oauth.scopes import grant_scope, parse_scope
from jwtgate.auth.service import AuthService


def test_all_matches_the_exports() -> None:
    exported = {n for n in dir(auth_pkg) if not n.startswith("_")}
    modules = {n for n in exported if inspect.ismodule(getattr(auth_pkg, n))} | {"annotations"}
    assert set(auth_pkg.__all__) == exported - modules


EXPECTED_CODES = {
    "AuthError": "invalid_request",
    "InvalidRequest": "invalid_request",
    "InvalidGrant": "invalid_grant",
    "InvalidClient": "invalid_client",
    "UnsupportedGrantType": "unsupported_grant_type",
    "InvalidScope": "invalid_scope",
    "UnauthorizedClient": "unauthorized_client",
    "InvalidTarget": "invalid_target",
    "AuthorizationError": "invalid_request",
    "BadRedirect": "invalid_request",
    "InsufficientScope": "insufficient_scope",
    "Throttled": "too_many_requests",
    "Conflict": "conflict",
    "EmailNotVerified": "email_not_verified",
    "WeakPassword": "weak_password",
    "NotFound": "not_found",
    "RegistrationDisabled": "not_found",
}


def test_every_error_is_rooted_in_jwtgate_error_with_its_code() -> None:
    assert set(errors.__all__) == set(EXPECTED_CODES)
    for name, code in EXPECTED_CODES.items():
        cls = getattr(errors, name)
        assert issubclass(cls, errors.AuthError) and issubclass(cls, JWTGateError)
        assert cls.code == code
    assert errors.Throttled(7).retry_after == 7
    assert errors.WeakPassword(["a", "b"]).reasons == ("a", "b")
    assert str(errors.InvalidGrant()) == "invalid username or password"


def test_every_public_service_method_has_a_docstring() -> None:
    for name, member in inspect.getmembers(AuthService):
        if not name.startswith("_") and callable(member):
            assert member.__doc__, name


@pytest.mark.parametrize(
    ("scope", "parsed"),
    [(None, []), ("", []), ("a  b a", ["a", "b"]), ("read:x write", ["read:x", "write"])],
)
def test_scope_parsing(scope: str | None, parsed: list[str]) -> None:
    assert parse_scope(scope) == parsed


@pytest.mark.parametrize("scope", ['a"b', "a\\b", "é", "x" * 65, " ".join(["s"] * 5000)])
def test_malformed_scopes_are_invalid_scope(scope: str) -> None:
    with pytest.raises(errors.InvalidScope):
        grant_scope(scope, ["a"])


def test_too_many_scopes() -> None:
    many = " ".join(f"s{i}" for i in range(65))
    with pytest.raises(errors.InvalidScope):
        parse_scope(many)
