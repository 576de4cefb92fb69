"""JWT claims (RFC 7519 4.1): exp, nbf, iat, iss, aud, required claims and the typ header.

Every failure is its own ``InvalidToken`` subclass with the RFC 6750 code ``invalid_token``,
and a message that names what is wrong without repeating the token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jwtgate import (
    ExpiredToken,
    ImmatureToken,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidToken,
    InvalidTokenType,
    Key,
    MissingClaim,
    decode,
    encode,
)

from .tokenkit import NOW, claims, forge

KEY = Key.from_secret(b"claims-test-secret-0123456789abcdef", "HS256")


def check(token_claims: dict[str, Any], headers: dict[str, Any] | None = None, **kw: Any) -> Any:
    kw.setdefault("now", NOW)
    return decode(encode(token_claims, KEY, headers), KEY, **kw)


def rejected(
    error: type[InvalidToken],
    token_claims: dict[str, Any],
    words: tuple[str, ...],
    headers: dict[str, Any] | None = None,
    **kw: Any,
) -> InvalidToken:
    """Assert the exact error class, its code, a message naming the problem, and no token."""
    kw.setdefault("now", NOW)
    token = encode(token_claims, KEY, headers)
    with pytest.raises(InvalidToken) as info:
        decode(token, KEY, **kw)
    exc = info.value
    assert type(exc) is error, f"{type(exc).__name__}: {exc}"
    assert exc.code == "invalid_token"
    message = str(exc)
    assert any(word in message for word in words), message
    for segment in token.split("."):
        assert segment not in message
    return exc


# -- exp (RFC 7519 4.1.4) ----------------------------------------------------------------


def test_exp_in_the_future_passes() -> None:
    assert check(claims(exp=NOW + 1))["exp"] == NOW + 1


def test_exp_reached_is_expired() -> None:
    # "the current date/time MUST be before the expiration date/time"
    rejected(ExpiredToken, claims(exp=NOW), ("expired", "exp"))
    rejected(ExpiredToken, claims(exp=NOW - 3600), ("expired", "exp"))


def test_exp_within_leeway_passes_and_beyond_fails() -> None:
    assert check(claims(exp=NOW - 20), leeway=30)
    assert check(claims(exp=NOW - 20), leeway=timedelta(seconds=30))
    rejected(ExpiredToken, claims(exp=NOW - 40), ("expired", "exp"), leeway=30)


def test_exp_may_be_fractional() -> None:
    assert check(claims(exp=NOW + 0.5))
    rejected(ExpiredToken, claims(exp=NOW - 0.5), ("expired",))


def test_now_overrides_the_clock() -> None:
    token_claims = claims(exp=NOW + 60)
    assert check(token_claims, now=NOW + 59)
    rejected(ExpiredToken, token_claims, ("expired",), now=NOW + 61)
    # Without now=, the real clock (well past NOW) says expired.
    with pytest.raises(ExpiredToken):
        decode(encode(token_claims, KEY), KEY)


# -- nbf (4.1.5) and iat -----------------------------------------------------------------


def test_nbf_reached_passes() -> None:
    assert check(claims(nbf=NOW))
    assert check(claims(nbf=NOW - 100))


def test_nbf_in_the_future_is_immature() -> None:
    rejected(ImmatureToken, claims(nbf=NOW + 60), ("nbf", "not valid yet", "not before"))
    assert check(claims(nbf=NOW + 20), leeway=30)
    rejected(ImmatureToken, claims(nbf=NOW + 40), ("nbf", "not valid yet"), leeway=30)


def test_iat_in_the_future_beyond_leeway_is_immature() -> None:
    rejected(ImmatureToken, claims(iat=NOW + 60), ("iat", "future"))
    assert check(claims(iat=NOW + 20), leeway=30)
    assert check(claims(iat=NOW))


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["2030-01-01", "1700000000", True, None, [1], {"t": 1}])
def test_time_claims_must_be_numbers(name: str, value: Any) -> None:
    # null is not a NumericDate either: an "exp": null must not make a token immortal.
    rejected(InvalidClaim, claims(**{name: value}), (name,))


def test_datetime_claims_are_encoded_as_numeric_dates() -> None:
    when = datetime.fromtimestamp(NOW + 300, UTC)
    decoded = check(claims(exp=when, iat=datetime.fromtimestamp(NOW, UTC)))
    assert decoded["exp"] == NOW + 300
    assert decoded["iat"] == NOW


# -- required claims ---------------------------------------------------------------------


def test_exp_is_required_by_default() -> None:
    no_exp = {"sub": "user-1"}
    exc = rejected(MissingClaim, no_exp, ("exp",))
    assert getattr(exc, "claim", "exp") == "exp"
    assert check(no_exp, require=()) == no_exp


def test_require_names_other_claims() -> None:
    rejected(MissingClaim, claims(), ("jti",), require=("exp", "jti"))
    assert check(claims(jti="abc"), require=("exp", "jti"))["jti"] == "abc"


# -- iss (4.1.1) -------------------------------------------------------------------------


def test_issuer_matches() -> None:
    assert check(claims(iss="https://a.example"), issuer="https://a.example")
    # Without issuer=, iss is not checked.
    assert check(claims(iss="https://anyone.example"))


def test_issuer_mismatch_and_absence() -> None:
    rejected(InvalidIssuer, claims(iss="https://b.example"), ("issuer", "iss"),
             issuer="https://a.example")  # fmt: skip
    # Comparison is exact: no prefix, case or trailing-slash tolerance.
    for iss in ("https://a.example/", "HTTPS://A.EXAMPLE", "https://a.example.evil"):
        rejected(InvalidIssuer, claims(iss=iss), ("issuer",), issuer="https://a.example")
    exc = rejected(MissingClaim, claims(), ("iss",), issuer="https://a.example")
    assert getattr(exc, "claim", "iss") == "iss"
    rejected(InvalidClaim, claims(iss=["https://a.example"]), ("iss",), issuer="https://a.example")


# -- aud (4.1.3) -------------------------------------------------------------------------


def test_audience_string_and_list() -> None:
    assert check(claims(aud="api"), audience="api")["aud"] == "api"
    assert check(claims(aud=["other", "api"]), audience="api")
    rejected(InvalidAudience, claims(aud="other"), ("audience",), audience="api")
    rejected(InvalidAudience, claims(aud=["other", "third"]), ("audience",), audience="api")
    rejected(InvalidAudience, claims(aud=[]), ("audience",), audience="api")
    # Exact comparison of strings.
    rejected(InvalidAudience, claims(aud="API"), ("audience",), audience="api")
    rejected(InvalidAudience, claims(aud="api2"), ("audience",), audience="api")


def test_token_with_aud_is_rejected_when_no_audience_is_expected() -> None:
    """RFC 7519 4.1.3: a recipient that does not identify itself with aud MUST reject."""
    rejected(InvalidAudience, claims(aud="api"), ("audience",))
    rejected(InvalidAudience, claims(aud=["api"]), ("audience",))


def test_missing_aud_when_audience_is_expected() -> None:
    with pytest.raises((MissingClaim, InvalidAudience)) as info:
        check(claims(), audience="api")
    assert "aud" in str(info.value)


@pytest.mark.parametrize("aud", [1, {"a": 1}, ["api", 2], [None], True])
def test_aud_of_the_wrong_type(aud: Any) -> None:
    with pytest.raises((InvalidClaim, InvalidAudience)) as info:
        check(claims(aud=aud), audience="api")
    assert info.value.code == "invalid_token"
    assert "aud" in str(info.value)


# -- other registered claims ------------------------------------------------------------


@pytest.mark.parametrize("name", ["sub", "jti"])
def test_sub_and_jti_must_be_strings(name: str) -> None:
    rejected(InvalidClaim, claims(**{name: 12345}), (name,))


# -- typ (RFC 7515 4.1.9, RFC 8725 3.11) --------------------------------------------------


@pytest.mark.parametrize("header", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"])
def test_typ_matches_case_insensitively_with_optional_application_prefix(header: str) -> None:
    assert check(claims(), headers={"typ": header}, typ="at+jwt")
    assert check(claims(), headers={"typ": header}, typ="application/at+jwt")


def test_typ_mismatch_or_absence_is_invalid_token_type() -> None:
    exc = rejected(InvalidTokenType, claims(), ("typ", "type"), headers={"typ": "JWT"},
                   typ="at+jwt")  # fmt: skip
    assert isinstance(exc, InvalidClaim)
    rejected(InvalidTokenType, claims(), ("type",), headers={"typ": "at+jwt+evil"}, typ="at+jwt")
    rejected(InvalidTokenType, claims(), ("type",), headers={"typ": "text/at+jwt"}, typ="at+jwt")
    # A token without typ: forged by hand, since encode adds typ.
    token = forge({"alg": "HS256", "kid": KEY.kid}, claims(), KEY.sign)
    with pytest.raises(InvalidTokenType):
        decode(token, KEY, typ="at+jwt", now=NOW)
    assert decode(token, KEY, now=NOW)["sub"] == "user-1"


def test_without_typ_argument_any_typ_is_accepted() -> None:
    assert check(claims(), headers={"typ": "at+jwt"})
    assert check(claims(), headers={"typ": "JWT"})


# -- order and content of results -----------------------------------------------------------


def test_claims_come_back_unchanged() -> None:
    token_claims = claims(
        iss="https://a.example",
        aud=["api"],
        roles=["admin", "ops"],
        scope="read write",
        nested={"deep": [1, 2.5, None, True, "é ☃"]},
    )
    assert check(token_claims, issuer="https://a.example", audience="api") == token_claims


def test_issuer_and_audience_accept_several_expected_values() -> None:
    assert check(claims(iss="b"), issuer=["a", "b"])
    assert check(claims(aud="y"), audience=["x", "y"])
    rejected(InvalidIssuer, claims(iss="c"), ("issuer",), issuer=["a", "b"])
    rejected(InvalidAudience, claims(aud="z"), ("audience",), audience=["x", "y"])
