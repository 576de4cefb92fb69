"""JSON Web Token claims (RFC 7519): encode, and decode with validation.

``decode`` verifies the signature first (nothing in an unverified payload is trusted), then
checks the registered claims: ``exp`` (4.1.4), ``nbf`` (4.1.5), ``iat`` not in the future,
``iss`` (4.1.1), ``aud`` (4.1.3), the required claims and the ``typ`` header (RFC 8725 3.11).
Every failure is an :class:`InvalidToken` subclass; nothing else escapes.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from .b64 import decode_checked
from .errors import (
    ExpiredToken,
    ImmatureToken,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidTokenType,
    MalformedToken,
    MissingClaim,
)
from .jwk import Key
from .jws import (
    MAX_JSON_DEPTH,
    MAX_TOKEN_SIZE,
    KeysLike,
    json_depth,
    normalize_typ,
    sign_jws,
    unverified_header,
)
from .jws import verify_compact as _verify

__all__ = ["claims_object", "decode", "encode", "unverified_claims"]

_NUMBER = (int, float)
_PASSTHROUGH_DATETIME = orjson.OPT_PASSTHROUGH_DATETIME
# Claims RFC 7519 4.1 makes strings, with what else each may be.
_STRING_CLAIMS = {"iss": "", "aud": " or an array of strings", "sub": "", "jti": ""}


def claims_object(payload: bytes) -> dict[str, Any]:
    """A JWT payload as its claims: a JSON object (RFC 7519 7.2) nested at most
    ``MAX_JSON_DEPTH`` deep. MalformedToken otherwise."""
    try:
        claims = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise MalformedToken("the claims are not valid JSON") from None
    if type(claims) is not dict:
        raise MalformedToken("the claims must be a JSON object (RFC 7519 7.2)")
    # Cheap bound first: fewer brackets than the limit cannot nest deeper than it.
    if (
        payload.count(b"{") + payload.count(b"[") > MAX_JSON_DEPTH
        and json_depth(claims) > MAX_JSON_DEPTH
    ):
        raise MalformedToken("the claims are nested too deeply")
    return claims


def unverified_claims(token: str | bytes) -> dict[str, Any]:
    """The claims of a token WITHOUT verifying anything (for display and debugging), within
    the bounds ``decode`` applies. MalformedToken when the token is not a compact JWS or its
    payload is not such a claims set."""
    unverified_header(token)  # the same shape and header checks
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    try:
        payload = decode_checked(text.split(".")[1])
    except ValueError:
        raise MalformedToken("the payload is not valid base64url") from None
    return claims_object(payload)


def encode(claims: Mapping[str, Any], key: Key, headers: Mapping[str, Any] | None = None) -> str:
    """Sign ``claims`` as a JWT (compact JWS) with ``key``; ``kid`` goes in the header.

    ``datetime`` values (``exp``, ``nbf``, ``iat`` or any other claim) become NumericDate,
    whole seconds since the epoch in UTC (a naive datetime is taken as UTC; RFC 7519 2).
    TypeError for a verification-only key or claims that are not JSON-serializable;
    ValueError when ``headers`` try to change ``alg`` or ``kid``.
    """
    if type(claims) is not dict:
        if not isinstance(claims, Mapping):
            raise TypeError("claims must be a mapping")
        claims = dict(claims)
    try:
        # Datetimes reach _numeric_date (orjson would write them as ISO strings).
        payload = orjson.dumps(claims, default=_numeric_date, option=_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"claims are not JSON-serializable: {exc}") from None
    return sign_jws(payload, key, headers)


def _numeric_date(value: Any) -> int:
    if isinstance(value, datetime):
        return calendar.timegm(value.utctimetuple())
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def decode(
    token: str | bytes,
    keys: KeysLike,
    issuer: str | Collection[str] | None = None,
    audience: str | Collection[str] | None = None,
    leeway: float | timedelta = 0,
    require: Iterable[str] = ("exp",),
    algorithms: Iterable[str] | None = None,
    typ: str | None = None,
    now: float | None = None,
    max_size: int = MAX_TOKEN_SIZE,
) -> dict[str, Any]:
    """Verify a JWT and validate its claims; return the claims.

    ``issuer`` and ``audience`` accept one value or several. ``now`` overrides the clock
    (seconds since the epoch). Raises an :class:`InvalidToken` subclass, whatever the input.
    A token that carries ``aud`` is rejected when no ``audience`` is given (RFC 7519 4.1.3).
    """
    if isinstance(algorithms, str):
        algorithms = (algorithms,)  # one name, not a set of characters or a substring test
    elif type(keys) is not Key and algorithms is not None:
        algorithms = frozenset(algorithms)
    info, payload = _verify(token, keys, algorithms, max_size)
    if typ is not None and info[3] != normalize_typ(typ):
        raise InvalidTokenType(f"the token type is {info[3]!r}, expected {typ!r}")
    claims = claims_object(payload)
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    t = time.time() if now is None else now
    if require:
        for name in require:
            if name not in claims:
                raise MissingClaim(name)
    exp: Any = claims.get("exp")
    if exp is not None or "exp" in claims:  # null is not a NumericDate
        if type(exp) not in _NUMBER:
            raise InvalidClaim("'exp' must be a number (NumericDate, RFC 7519 2)")
        if t - leeway >= exp:
            raise ExpiredToken("the token has expired")
    nbf: Any = claims.get("nbf")
    if nbf is not None or "nbf" in claims:  # null is not a NumericDate
        if type(nbf) not in _NUMBER:
            raise InvalidClaim("'nbf' must be a number (NumericDate, RFC 7519 2)")
        if t + leeway < nbf:
            raise ImmatureToken("the token is not valid yet (nbf)")
    iat: Any = claims.get("iat")
    if iat is not None or "iat" in claims:  # null is not a NumericDate
        if type(iat) not in _NUMBER:
            raise InvalidClaim("'iat' must be a number (NumericDate, RFC 7519 2)")
        if iat > t + leeway:
            raise ImmatureToken("the token was issued in the future (iat)")
    for name in _STRING_CLAIMS:
        if claims.get(name, "") is None:  # a present null is not an absent claim
            raise InvalidClaim(f"'{name}' must be a string" + _STRING_CLAIMS[name])
    if issuer is not None:
        iss = claims.get("iss")
        if iss != issuer or type(iss) is not str:  # fast path: one expected issuer
            _check_issuer(iss, issuer)
    aud = claims.get("aud")
    # Fast path: aud is exactly the one expected audience.
    if (aud is not None or audience is not None) and (aud != audience or type(aud) is not str):
        _check_audience(aud, audience)
    sub = claims.get("sub")
    if sub is not None and type(sub) is not str:
        raise InvalidClaim("'sub' must be a string")
    jti = claims.get("jti")
    if jti is not None and type(jti) is not str:
        raise InvalidClaim("'jti' must be a string")
    return claims


def _check_issuer(iss: Any, issuer: str | Collection[str]) -> None:
    if iss is None:
        raise MissingClaim("iss")
    if type(iss) is not str:
        raise InvalidClaim("'iss' must be a string")
    if iss != issuer if isinstance(issuer, str) else iss not in issuer:
        raise InvalidIssuer("the token is from another issuer")


def _check_audience(aud: Any, audience: str | Collection[str] | None) -> None:
    if audience is None:
        raise InvalidAudience(
            "the token names an audience, and no audience was given to check it against"
        )
    if aud is None:
        raise MissingClaim("aud")
    if type(aud) is str:
        auds: Iterable[Any] = (aud,)
    elif type(aud) is list:
        auds = aud
    else:
        raise InvalidClaim("'aud' must be a string or an array of strings")
    wanted = (audience,) if isinstance(audience, str) else audience
    for value in auds:
        if type(value) is not str:
            raise InvalidClaim("'aud' must be a string or an array of strings")
    for value in auds:
        if value in wanted:
            return
    raise InvalidAudience("the token is for another audience")
