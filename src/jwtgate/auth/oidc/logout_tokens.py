"""Logout tokens (OpenID Connect Back-Channel Logout 1.0, 2.4).

A logout token is a JWT with ``typ`` ``logout+jwt`` (2.4, so it can never be mistaken for an
ID token), the ``events`` member naming the back-channel logout event, ``sid`` and ``sub``,
and never a ``nonce`` (2.4: its presence is what tells an RP it is not an ID token).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LOGOUT_EVENT", "LOGOUT_TOKEN_TTL", "LOGOUT_TOKEN_TYPE", "logout_token_claims"]

LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 - a media type, not a secret
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TTL = 120  # 2.4 recommends at most two minutes


def logout_token_claims(
    *, issuer: str, client_id: str, sub: str, sid: str | None, jti: str, now: float
) -> dict[str, Any]:
    """The claims of a logout token for ``client_id`` about the session ``sid`` of ``sub``."""
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": client_id,
        "iat": iat,
        "exp": iat + LOGOUT_TOKEN_TTL,
        "jti": jti,
        "events": {LOGOUT_EVENT: {}},
    }
    if sid is not None:
        claims["sid"] = sid
    return claims
