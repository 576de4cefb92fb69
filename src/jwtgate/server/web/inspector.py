"""The token inspector: what a pasted JWT says, and whether this server would accept it.

Everything happens here, on the server, in memory: the token is decoded for display, checked
against this server's keys and policy, and forgotten. It is never stored, logged or sent on.
The header and claims are shown as they are, unverified; the verdict is the server's own
(:meth:`AuthService.authenticate`, revocation included), and the checklist explains it step by
step so a person can see exactly which rule failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ... import (
    ExpiredToken,
    ImmatureToken,
    InvalidAudience,
    InvalidIssuer,
    InvalidSignature,
    InvalidToken,
    InvalidTokenType,
    KeySet,
    MalformedToken,
    MissingClaim,
    RevokedToken,
    UnknownKey,
    UnsupportedAlgorithm,
    unverified_header,
    verify_jws,
)
from ...auth.service import AuthService
from ...auth.values import KeyInfo
from ...jose.jwt import unverified_claims
from .timefmt import absolute, readable, relative

__all__ = ["Check", "Inspection", "inspect_token"]

TIME_CLAIMS = ("exp", "nbf", "iat", "auth_time")

_HEADLINES: Sequence[tuple[type[InvalidToken], str]] = (
    (ExpiredToken, "Expired"),
    (ImmatureToken, "Not valid yet"),
    (InvalidSignature, "Signature does not verify"),
    (UnknownKey, "Signed by a key this server does not know"),
    (UnsupportedAlgorithm, "Algorithm not accepted"),
    (InvalidIssuer, "Issued by someone else"),
    (InvalidAudience, "Meant for another audience"),
    (InvalidTokenType, "Not an access token"),
    (RevokedToken, "Revoked"),
    (MissingClaim, "A required claim is missing"),
    (MalformedToken, "Not a well-formed JWT"),
)


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the checklist: ``status`` is "pass", "fail" or "skip"."""

    name: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class Inspection:
    """The inspector's findings for one token (the token itself is not kept)."""

    valid: bool
    headline: str
    reason: str
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    times: tuple[tuple[str, str], ...] = ()
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def pretty(self, part: Mapping[str, Any] | None) -> str:
        """A JSON object as indented text for display."""
        if part is None:
            return ""
        return orjson.dumps(part, option=orjson.OPT_INDENT_2).decode()


def _headline(exc: InvalidToken) -> str:
    return next((text for cls, text in _HEADLINES if isinstance(exc, cls)), "Rejected")


def _explain(exc: InvalidToken, claims: Mapping[str, Any], now: float) -> str:
    """The error's message, with the moment spelled out for time-based failures."""
    for name, cls in (("exp", ExpiredToken), ("nbf", ImmatureToken)):
        value = claims.get(name)
        if isinstance(exc, cls) and isinstance(value, int | float) and not isinstance(value, bool):
            when = f"{relative(float(value), now)}, at {absolute(float(value))}"
            if name == "exp":
                return f"The token expired {when}."
            return f"The token becomes valid {when}."
    return str(exc)


def _describe_key(kid: Any, keys: Sequence[KeyInfo], now: float) -> str:
    info = next((k for k in keys if k.kid == kid), None)
    if info is None:
        return f"kid {kid!r} is not one of this server's signing keys"
    if info.status == "active":
        return f"kid {info.kid} ({info.alg}) is the key that signs now"
    if info.expires_at is not None:
        return (
            f"kid {info.kid} ({info.alg}) is {info.status}; it leaves the key set "
            f"{readable(info.expires_at, now)}"
        )
    return f"kid {info.kid} ({info.alg}) is {info.status}"


def _time_rows(claims: Mapping[str, Any], now: float) -> tuple[tuple[str, str], ...]:
    rows = []
    for name in TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((name, readable(float(value), now)))
    return tuple(rows)


def _checks(
    token: str,
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    auth: AuthService,
    audience: str,
    now: float,
    leeway: float,
) -> list[Check]:
    out = []
    keys = auth.list_keys()
    out.append(
        Check(
            "Key",
            "pass" if any(k.kid == header.get("kid") for k in keys) else "fail",
            _describe_key(header.get("kid"), keys, now),
        )
    )
    try:
        verify_jws(token, KeySet.from_jwks(auth.jwks()))
        out.append(Check("Signature", "pass", f"{header.get('alg')} signature verifies"))
    except InvalidToken as exc:
        out.append(Check("Signature", "fail", str(exc)))
    typ = str(header.get("typ", "")).lower().removeprefix("application/")
    out.append(
        Check(
            "Type",
            "pass" if typ == "at+jwt" else "fail",
            f"typ is {header.get('typ')!r}; access tokens have 'at+jwt' (RFC 9068)",
        )
    )
    iss = claims.get("iss")
    out.append(
        Check(
            "Issuer",
            "pass" if iss == auth.issuer else "fail",
            f"iss is {iss!r}; this server is {auth.issuer!r}",
        )
    )
    aud = claims.get("aud")
    aud_ok = aud == audience or (isinstance(aud, list) and audience in aud)
    out.append(
        Check(
            "Audience",
            "pass" if aud_ok else "fail",
            f"aud is {aud!r}; this server's audience is {audience!r}",
        )
    )
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        expired = now >= exp + leeway
        out.append(
            Check(
                "Expiry",
                "fail" if expired else "pass",
                f"{'expired' if expired else 'expires'} {relative(float(exp), now)}"
                f" ({absolute(float(exp))})",
            )
        )
    else:
        out.append(Check("Expiry", "fail", "no numeric exp claim; this server requires one"))
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and nbf > now + leeway:
        out.append(Check("Not before", "fail", f"valid only from {readable(float(nbf), now)}"))
    return out


def inspect_token(
    token: str, *, auth: AuthService, audience: str, now: float, leeway: float = 0
) -> Inspection:
    """Decode ``token`` for display and judge it against this server's keys and policy
    (``leeway``: the clock skew the server tolerates on exp and nbf).

    Never raises for bad input: a token that is not a JWT gets an Inspection saying why.
    """
    token = token.strip()
    if not token:
        return Inspection(False, "Nothing to inspect", "Paste a JWT (three dot-separated parts).")
    try:
        header = unverified_header(token)
    except InvalidToken as exc:
        reason = str(exc)
        if token.count(".") != 2:
            reason += ". Refresh tokens are opaque random strings, not JWTs."
        return Inspection(False, "Not a JWT", reason)
    try:
        claims = unverified_claims(token)  # the bounds of decode: no 500 when shown
    except InvalidToken as exc:
        return Inspection(False, "Not a well-formed JWT", str(exc), header=header)
    checks = _checks(token, header, claims, auth=auth, audience=audience, now=now, leeway=leeway)
    try:
        auth.authenticate(token)
    except InvalidToken as exc:
        if isinstance(exc, RevokedToken):
            checks.append(Check("Revocation", "fail", str(exc)))
        return Inspection(
            False,
            _headline(exc),
            _explain(exc, claims, now),
            header,
            claims,
            _time_rows(claims, now),
            tuple(checks),
        )
    checks.append(Check("Revocation", "pass", "not revoked"))
    return Inspection(
        True,
        "Valid",
        "This server accepts this access token.",
        header,
        claims,
        _time_rows(claims, now),
        tuple(checks),
    )
