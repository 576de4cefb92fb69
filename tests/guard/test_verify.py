"""Guard.verify / averify: every way a token is refused (with an in-process KeySet and with a
JWKS URL), what a Principal holds, and construction errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import jwtgate
from jwtgate import (
    ExpiredToken,
    Guard,
    ImmatureToken,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidSignature,
    InvalidToken,
    InvalidTokenType,
    Key,
    KeySet,
    MalformedToken,
    MissingClaim,
    Principal,
    RevokedToken,
    UnknownKey,
    UnsupportedAlgorithm,
    encode,
)

from .guardkit import AUD, DROP, ISS, FakeClock, Issuer, TestServer


@pytest.fixture(params=["keys", "jwks"])
def guard(
    request: pytest.FixtureRequest, make_guard: Callable[..., Guard], issuer: Issuer
) -> Guard:
    """A Guard with the issuer's keys in process, or from the local JWKS server."""
    if request.param == "keys":
        return make_guard(keys=issuer.keys)
    server: TestServer = request.getfixturevalue("server")
    return make_guard(jwks_url=server.jwks_url)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_valid_token_gives_its_principal(guard: Guard, issuer: Issuer) -> None:
    token = issuer.token(roles=["admin", "user"], scope="read write", sid="s-1", jti="j-1")
    principal = guard.verify(token)
    assert principal == Principal(
        sub="user-1",
        roles=("admin", "user"),
        scopes=frozenset({"read", "write"}),
        sid="s-1",
        jti="j-1",
        claims={},
    )
    assert principal.claims["preferred_username"] == "alice"
    assert principal.username == "alice"
    assert principal.has_role("admin") and not principal.has_role("root")
    assert principal.has_scope("write") and not principal.has_scope("delete")


async def test_averify_gives_the_same_principal(guard: Guard, issuer: Issuer) -> None:
    token = issuer.token()
    assert (await guard.averify(token)).sub == "user-1"
    assert guard.verify(token) == await guard.averify(token)


def test_a_principal_is_frozen_and_hashable(guard: Guard, issuer: Issuer) -> None:
    principal = guard.verify(issuer.token(jti="j-1"))
    with pytest.raises(AttributeError):
        principal.sub = "root"  # type: ignore[misc]
    assert hash(principal) == hash(
        guard.verify(issuer.token(jti="j-1", exp=int(issuer.clock()) + 9))
    )
    assert "alice" not in repr(principal)  # raw claims stay out of logs


def test_client_credentials_tokens_have_no_session(guard: Guard, issuer: Issuer) -> None:
    token = issuer.token(sub="client-7", sid=DROP, roles=DROP, scope=DROP, client_id="client-7")
    principal = guard.verify(token)
    assert (principal.sub, principal.sid, principal.roles, principal.scopes) == (
        "client-7",
        None,
        (),
        frozenset(),
    )


def _forged_with_the_same_kid(issuer: Issuer) -> str:
    attacker = Key.generate("ES256", kid=issuer.key.kid)
    return issuer.token(key=attacker)


def _tampered(issuer: Issuer) -> str:
    header, payload, sig = issuer.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    return ".".join((header, b64(json.dumps(claims).encode()), sig))


def _alg_none(issuer: Issuer) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "at+jwt", "kid": issuer.key.kid}).encode())
    return f"{header}.{b64(json.dumps(issuer.claims()).encode())}."


def _hmac_with_the_public_key(issuer: Issuer) -> str:
    # Algorithm confusion: HS256 keyed with the public key's bytes, under the real kid.
    header = {"alg": "HS256", "typ": "at+jwt", "kid": issuer.key.kid}
    import hmac

    signing_input = (
        b64(json.dumps(header).encode()) + "." + b64(json.dumps(issuer.claims()).encode())
    )
    sig = hmac.digest(issuer.key.to_pem(), signing_input.encode(), "sha256")
    return signing_input + "." + b64(sig)


REFUSED: list[tuple[str, Callable[[Issuer], Any], type[InvalidToken]]] = [
    ("empty", lambda i: "", MalformedToken),
    ("not a JWS", lambda i: "not-a-token", MalformedToken),
    ("two segments", lambda i: "a.b", MalformedToken),
    ("bad base64", lambda i: "e30.e30.%%%", MalformedToken),
    ("not text", lambda i: 12345, MalformedToken),
    ("None", lambda i: None, MalformedToken),
    ("non-ASCII bytes", lambda i: "é.é.é".encode(), MalformedToken),
    ("oversized", lambda i: "a" * 9000 + ".b.c", MalformedToken),
    ("forged, same kid", _forged_with_the_same_kid, InvalidSignature),
    ("tampered payload", _tampered, InvalidSignature),
    ("alg none", _alg_none, UnsupportedAlgorithm),
    ("HS256 keyed with the public key", _hmac_with_the_public_key, UnsupportedAlgorithm),
    ("expired", lambda i: i.token(exp=int(i.clock()) - 60), ExpiredToken),  # past the leeway
    ("not yet valid", lambda i: i.token(nbf=int(i.clock()) + 60), ImmatureToken),
    ("issued in the future", lambda i: i.token(iat=int(i.clock()) + 60), ImmatureToken),
    ("wrong issuer", lambda i: i.token(iss="https://evil.example"), InvalidIssuer),
    ("wrong audience", lambda i: i.token(aud="other-api"), InvalidAudience),
    ("no audience", lambda i: i.token(aud=DROP), MissingClaim),
    ("typ JWT", lambda i: i.token(headers={"typ": "JWT"}), InvalidTokenType),
    ("no typ", lambda i: encode(i.claims(), i.key), InvalidTokenType),
    ("no exp", lambda i: i.token(exp=DROP), MissingClaim),
    ("no sub", lambda i: i.token(sub=DROP), MissingClaim),
    ("no iat", lambda i: i.token(iat=DROP), MissingClaim),
    ("no jti", lambda i: i.token(jti=DROP), MissingClaim),
    ("sub a number", lambda i: i.token(sub=42), InvalidClaim),
    ("roles a string", lambda i: i.token(roles="admin"), InvalidClaim),
    ("roles with a number", lambda i: i.token(roles=["admin", 1]), InvalidClaim),
    ("scope an array", lambda i: i.token(scope=["read"]), InvalidClaim),
    ("sid a number", lambda i: i.token(sid=7), InvalidClaim),
    ("unknown kid", lambda i: i.token(key=Key.generate("ES256")), UnknownKey),
    ("EdDSA with no EdDSA key", lambda i: i.token(key=Key.generate("EdDSA")), UnknownKey),
]


@pytest.mark.parametrize(("case", "make", "error"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_refused(
    guard: Guard, issuer: Issuer, case: str, make: Callable[[Issuer], Any], error: type
) -> None:
    token = make(issuer)
    with pytest.raises(error) as caught:
        guard.verify(token)
    assert isinstance(caught.value, InvalidToken)
    with pytest.raises(error):
        await guard.averify(token)
    if isinstance(token, str) and len(token) > 20:
        assert token not in str(caught.value)  # a token never ends up in a message


def test_leeway_accepts_a_token_just_past_exp(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock
) -> None:
    token = issuer.token(exp=int(clock()) + 10)
    lenient = make_guard(keys=issuer.keys, leeway=timedelta(seconds=30))
    strict = make_guard(keys=issuer.keys, leeway=0)
    clock.advance(20)
    assert lenient.verify(token).sub == "user-1"
    with pytest.raises(ExpiredToken):
        strict.verify(token)


def test_by_default_a_guard_tolerates_the_servers_clock_skew(
    make_guard: Callable[..., Guard], issuer: Issuer, clock: FakeClock
) -> None:
    """The default leeway is the server's (JWTGATE_LEEWAY, 30 s): a Guard whose clock is a
    few seconds behind the issuer's accepts a token minted just now, and one whose clock is
    a few seconds ahead accepts a token that has only just expired; past 30 s, refused."""
    behind = issuer.token(iat=int(clock()) + 2, nbf=int(clock()) + 2)
    assert make_guard(keys=issuer.keys).verify(behind).sub == "user-1"
    just_expired = issuer.token(exp=int(clock()) - 2)
    assert make_guard(keys=issuer.keys).verify(just_expired).sub == "user-1"
    with pytest.raises(ImmatureToken):
        make_guard(keys=issuer.keys).verify(issuer.token(nbf=int(clock()) + 31))
    with pytest.raises(ExpiredToken):
        make_guard(keys=issuer.keys).verify(issuer.token(exp=int(clock()) - 31))


def test_algorithms_narrow_what_is_accepted(
    make_guard: Callable[..., Guard], issuer: Issuer
) -> None:
    guard = make_guard(keys=issuer.keys, algorithms=["EdDSA"])
    with pytest.raises(UnsupportedAlgorithm):
        guard.verify(issuer.token())


def test_typ_none_accepts_plain_jwts(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    guard = make_guard(keys=issuer.keys, typ=None)
    assert guard.verify(encode(issuer.claims(), issuer.key)).sub == "user-1"


def test_several_audiences(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    guard = make_guard(keys=issuer.keys, audience=["api", "billing"])
    assert guard.verify(issuer.token(aud="billing")).sub == "user-1"
    with pytest.raises(InvalidAudience):
        guard.verify(issuer.token(aud="admin"))


def test_a_single_key_is_accepted(make_guard: Callable[..., Guard], issuer: Issuer) -> None:
    assert make_guard(keys=issuer.key.public()).verify(issuer.token()).sub == "user-1"


def test_bytes_tokens_are_accepted(guard: Guard, issuer: Issuer) -> None:
    assert guard.verify(issuer.token().encode()).sub == "user-1"


# -- revocation ---------------------------------------------------------------------------


def feed(**parts: Any) -> dict[str, Any]:
    return {"cursor": "1", "sessions": [], "tokens": [], "users": {}, "more": False, **parts}


def test_revoked_session_token_and_user(guard: Guard, issuer: Issuer, clock: FakeClock) -> None:
    by_session = issuer.token(sid="s-dead")
    by_jti = issuer.token(jti="j-dead", sid="s-ok")
    by_user = issuer.token(sub="user-9", sid="s-9")
    for token in (by_session, by_jti, by_user):
        guard.verify(token)
    guard.apply_revocations(
        feed(sessions=["s-dead"], tokens=["j-dead"], users={"user-9": clock() + 1})
    )
    for token in (by_session, by_jti, by_user):
        with pytest.raises(RevokedToken):
            guard.verify(token)
    clock.advance(1)
    # The user's tokens issued from the not-before time on are fine.
    assert guard.verify(issuer.token(sub="user-9", sid="s-10")).sub == "user-9"
    assert guard.verify(issuer.token(sid="s-ok")).sid == "s-ok"


async def test_revocation_applies_to_averify(guard: Guard, issuer: Issuer) -> None:
    token = issuer.token(sid="s-dead")
    await guard.averify(token)
    guard.apply_revocations(feed(sessions=["s-dead"]))
    with pytest.raises(RevokedToken):
        await guard.averify(token)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"sessions": []},
        feed(sessions="s-1"),
        feed(sessions=[1]),
        feed(tokens=[""]),
        feed(users={"u": "soon"}),
        feed(users=[]),
        feed(more="yes"),
        feed(cursor=1),
    ],
)
def test_apply_revocations_refuses_garbage(guard: Guard, body: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        guard.apply_revocations(body)


# -- construction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"issuer": "http://auth.example"}, "https"),  # discovery: the issuer's URL is fetched
        ({"issuer": "auth.example"}, "https"),
        ({"keys": "K", "jwks_url": "https://a.example/jwks"}, "at most one"),
        ({"keys": "K", "required_claims": ("sub", "iat")}, "exp"),
        ({"keys": "K", "required_claims": ("exp",)}, "sub"),
        ({"keys": "K", "roles_claim": ""}, "roles_claim"),
        ({"keys": "K", "scopes_claim": "a..b"}, "scopes_claim"),
        ({"client_id": "c"}, "both"),
        ({"jwks_url": "http://auth.example/jwks"}, "https"),
        ({"jwks_url": "ftp://auth.example/jwks"}, "https"),
        ({"jwks_url": "/jwks.json"}, "https"),
        ({"jwks_url": "https://user:pw@auth.example/jwks"}, "credentials"),
        ({"keys": "K", "leeway": -1}, "leeway"),
        ({"keys": "K", "cache_size": -1}, "cache_size"),
        ({"keys": "K", "jwks_min_ttl": 100, "jwks_max_ttl": 10}, "jwks_min_ttl"),
        ({"keys": "K", "issuer": ""}, "issuer"),
        ({"keys": "K", "audience": ""}, "audience"),
        ({"keys": "K", "audience": []}, "audience"),
        ({"keys": "K", "revocation_url": "https://a.example/r"}, "client_id"),
        ({"keys": "K", "client_id": "c", "client_secret": "s"}, "revocation_url"),
        (
            {
                "keys": "K",
                "revocation_url": "http://auth.example/r",
                "client_id": "c",
                "client_secret": "s",
            },
            "https",
        ),
        (
            {
                "keys": "K",
                "revocation_url": "https://a.example/r",
                "client_id": "c",
                "client_secret": "s",
                "revocation_interval": 0,
            },
            "revocation_interval",
        ),
    ],
)
def test_misconfiguration_is_a_value_error(
    issuer: Issuer, options: dict[str, Any], message: str
) -> None:
    if options.get("keys") == "K":
        options["keys"] = issuer.keys
    options.setdefault("issuer", ISS)
    options.setdefault("audience", AUD)
    with pytest.raises(ValueError, match=message):
        Guard(**options)


def test_keys_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Guard(issuer=ISS, audience=AUD, keys={"keys": []})  # type: ignore[arg-type]


def test_plain_http_is_allowed_for_loopback_or_when_asked() -> None:
    for url in ("http://127.0.0.1:9/jwks", "http://localhost/jwks", "http://[::1]:8000/jwks"):
        Guard(issuer=ISS, audience=AUD, jwks_url=url)
    Guard(issuer=ISS, audience=AUD, jwks_url="http://auth.internal/jwks", allow_insecure_http=True)


def test_repr_never_shows_the_client_secret(issuer: Issuer) -> None:
    guard = Guard(
        issuer=ISS,
        audience=AUD,
        keys=issuer.keys,
        revocation_url="https://auth.example/auth/revocations",
        client_id="svc",
        client_secret="s3cr3t-value",
    )
    assert "s3cr3t-value" not in repr(guard)
    assert "revocations" in repr(guard)


def test_guard_and_principal_are_exported() -> None:
    assert jwtgate.Guard is Guard and jwtgate.Principal is Principal
    assert isinstance(KeySet, type)
