"""RFC 8725 2.3, 2.8 and 3.12: one kind of JWT, and nothing else mistaken for it.

jwtgate issues one kind of JWT (RFC 9068 access tokens, typed at+jwt); refresh tokens and
client secrets are opaque strings with a parser of their own. Each refuses the other's shape
before any work, and token shapes jwtgate does not implement (JWE, the JWS JSON serialization)
are malformed rather than half-understood.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from jwtgate import InvalidToken, KeySet, MalformedToken, decode
from jwtgate.auth import AuthService, build_auth
from jwtgate.auth.errors import InvalidGrant

from ..auth.authkit import count_statements, fast_settings

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[AuthService]:
    service = build_auth(fast_settings(f"sqlite:///{tmp_path / 'jwtgate.db'}"))
    service.create_user("alice", PASSWORD)
    try:
        yield service
    finally:
        service.close()


def test_an_access_token_is_never_a_refresh_token(auth: AuthService) -> None:
    """Refused by the refresh-token parser, before any SQL, and the session lives on."""
    pair = auth.login("alice", PASSWORD)
    with count_statements(auth) as statements, pytest.raises(InvalidGrant):
        auth.refresh(pair.access_token)
    assert statements == []
    assert auth.refresh(pair.refresh_token or "").access_token


def test_a_client_secret_is_neither_kind_of_token(auth: AuthService) -> None:
    _, secret = auth.create_client("reports", scopes=("read",))
    with pytest.raises(InvalidGrant):
        auth.refresh(secret)
    with pytest.raises(MalformedToken):
        auth.authenticate(secret)
    assert auth.introspect(secret) == {"active": False}


def b64u(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


JWE = [b64u({"alg": "dir", "enc": "A128GCM"}), "", b64u(b"iv"), b64u(b"c"), b64u(b"t")]


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (".".join(JWE), MalformedToken),  # RFC 7516 compact JWE: five segments
        (json.dumps({"payload": b64u({"sub": "a"}), "signatures": []}), MalformedToken),
        # A nested-JWT marker (cty: JWT) around an unsigned inner token.
        (".".join([b64u({"alg": "ES256", "cty": "JWT"}), b64u(b"a.b.c"), ""]), InvalidToken),
    ],
    ids=["compact-jwe", "jws-json-serialization", "nested-cty-jwt-unsigned"],
)
def test_shapes_jwtgate_does_not_implement_are_refused(
    auth: AuthService, token: str, error: type[InvalidToken]
) -> None:
    with pytest.raises(error):
        decode(token, KeySet.from_jwks(auth.jwks()), audience="api")
    with pytest.raises(error):
        auth.authenticate(token)
