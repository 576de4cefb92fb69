"""jwtgate.jose.dpop: every check of RFC 9449 4.3 and 7.1, each broken alone by a hand-made
proof (joserfc), refused with InvalidDPoPProof saying which; the replay cache and nonces."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jwtgate import InvalidDPoPProof, Key, UseDPoPNonce
from jwtgate.jose.dpop import (
    MemoryReplayCache,
    NonceSource,
    access_token_hash,
    check_algorithms,
    normalize_htu,
    verify_proof,
)
from tests.guard.dpopkit import URL, Holder, ath, hmac_proof, own_signed, unsigned_proof

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


@pytest.fixture(scope="module")
def holder() -> Holder:
    return Holder()


def check(proof: str, **options: Any) -> Any:
    options.setdefault("htm", "GET")
    options.setdefault("htu", URL)
    return verify_proof(proof, **options)


def test_a_good_proof_passes(holder: Holder) -> None:
    proof = holder.proof(token=TOKEN)
    result = check(proof, access_token=TOKEN, jkt=holder.jkt, replay=MemoryReplayCache())
    assert result.jkt == holder.jkt and result.htm == "GET" and result.htu == URL


@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "PS256", "EdDSA"])
def test_every_asymmetric_algorithm(alg: str) -> None:
    holder = Holder(alg)
    assert check(holder.proof(), jkt=holder.jkt).jkt == holder.jkt


BROKEN: list[tuple[str, Any, str]] = [
    ("not a JWS", lambda h: "not-a-jws", "compact JWS"),
    ("four segments", lambda h: h.proof() + ".x", "compact JWS"),
    ("too large", lambda h: h.proof(pad="x" * 9000), "at most"),
    ("typ missing", lambda h: h.proof(header={"typ": None}), "typ"),
    ("typ JWT", lambda h: h.proof(header={"typ": "JWT"}), "typ"),
    ("typ at+jwt", lambda h: h.proof(header={"typ": "at+jwt"}), "typ"),
    ("alg none", lambda h: unsigned_proof(h), "header is not valid"),
    ("alg HS256", lambda h: hmac_proof(h), "not allowed"),
    ("jwk missing", lambda h: h.proof(header={"jwk": None}), "no jwk"),
    ("jwk not an object", lambda h: own_signed(h, jwk="key"), "no jwk"),
    (
        "jwk private",
        lambda h: h.proof(header={"jwk": h.key.as_dict(private=True)}),
        "not a private one",
    ),
    ("jwk of another curve", lambda h: h.proof(header={"jwk": Holder("ES384").jwk}), "usable"),
    ("jwk of RSA", lambda h: h.proof(header={"jwk": Holder("RS256").jwk}), "usable"),
    ("signed by another key", lambda h: h.proof(signer=Holder().key), "signature"),
    ("signature cut", lambda h: h.proof()[:-6], "signature"),
    ("jti missing", lambda h: h.proof(jti=None), "'jti'"),
    ("jti a number", lambda h: h.proof(jti=7), "'jti'"),
    ("jti too long", lambda h: h.proof(jti="j" * 300), "'jti'"),
    ("htm missing", lambda h: h.proof(htm=None), "'htm'"),
    ("htm POST", lambda h: h.proof(htm="POST"), "htm"),
    ("htm lower case", lambda h: h.proof(htm="get"), "htm"),
    ("htu missing", lambda h: h.proof(htu=None), "'htu'"),
    ("htu other path", lambda h: h.proof(htu="https://api.example/orders/1"), "htu"),
    ("htu other host", lambda h: h.proof(htu="https://evil.example/orders"), "htu"),
    ("htu http", lambda h: h.proof(htu="http://api.example/orders"), "htu"),
    ("htu relative", lambda h: h.proof(htu="/orders"), "htu"),
    ("iat missing", lambda h: h.proof(iat=None), "iat"),
    ("iat a string", lambda h: h.proof(iat=str(int(time.time()))), "iat"),
    ("iat too old", lambda h: h.proof(iat=int(time.time()) - 120), "too old"),
    ("iat in the future", lambda h: h.proof(iat=int(time.time()) + 60), "future"),
    ("ath missing", lambda h: h.proof(), "ath"),
    ("ath of another token", lambda h: h.proof(ath=ath(TOKEN + "x")), "ath"),
]


@pytest.mark.parametrize(
    ("make", "message"), [(m, w) for _, m, w in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_each_broken_check_is_refused(holder: Holder, make: Any, message: str) -> None:
    proof = make(holder)
    options: dict[str, Any] = {"jkt": holder.jkt, "replay": MemoryReplayCache()}
    if message == "ath":  # the proof comes with an access token it must name
        options["access_token"] = TOKEN
    with pytest.raises(InvalidDPoPProof, match=message) as caught:
        check(proof, **options)
    assert caught.value.code == "invalid_dpop_proof"


def test_a_proof_by_another_key_than_the_token_is_bound_to(holder: Holder) -> None:
    with pytest.raises(InvalidDPoPProof, match="another key"):
        check(Holder().proof(), jkt=holder.jkt)


def test_only_allowed_algorithms(holder: Holder) -> None:
    with pytest.raises(InvalidDPoPProof, match="not allowed"):
        check(Holder("ES384").proof(), algorithms=("ES256",))
    with pytest.raises(ValueError, match="asymmetric"):
        check_algorithms(["HS256"])
    with pytest.raises(ValueError, match="asymmetric"):
        check_algorithms(["none"])


def test_a_replayed_proof_is_refused(holder: Holder) -> None:
    replay = MemoryReplayCache()
    proof = holder.proof()
    check(proof, replay=replay)
    with pytest.raises(InvalidDPoPProof, match="replay"):
        check(proof, replay=replay)
    check(holder.proof(), replay=replay)  # a fresh jti passes


def test_only_good_proofs_take_room_in_the_replay_cache(holder: Holder) -> None:
    replay = MemoryReplayCache()
    with pytest.raises(InvalidDPoPProof):
        check(holder.proof(htm="POST"), replay=replay)
    assert len(replay) == 0


def test_the_replay_cache_is_bounded_and_fails_closed(holder: Holder) -> None:
    now = [1000.0]
    replay = MemoryReplayCache(2, clock=lambda: now[0])
    assert replay.add("a", 10) and replay.add("b", 10)
    assert not replay.add("c", 10)  # full of live entries: refuse, never forget one
    now[0] += 11
    assert replay.add("c", 10) and len(replay) == 1  # the expired ones were dropped
    with pytest.raises(ValueError):
        MemoryReplayCache(0)


def test_query_and_fragment_are_ignored_and_urls_normalised(holder: Holder) -> None:
    sent = "HTTPS://API.Example:443/%7Eada/a%2fb?x=1#frag"
    check(holder.proof(htu=sent), htu="https://api.example/~ada/a%2Fb?y=2")
    assert normalize_htu("http://h.example:80") == "http://h.example/"
    assert normalize_htu("http://h.example:8080/p") == "http://h.example:8080/p"
    assert normalize_htu("https://[::1]:8443/p") == "https://[::1]:8443/p"
    for bad in ("ftp://h/x", "https:///x", "https://h:99999/x"):
        with pytest.raises(ValueError):
            normalize_htu(bad)
    with pytest.raises(InvalidDPoPProof, match="request URL"):
        check(holder.proof(), htu="not a url")


def test_ath_is_sha256_of_the_token() -> None:
    assert access_token_hash(TOKEN) == ath(TOKEN)


def test_nonces_are_demanded_and_rotate(holder: Holder) -> None:
    now = [5000.0]
    nonces = NonceSource(b"s" * 32, lifetime=60, clock=lambda: now[0])
    with pytest.raises(UseDPoPNonce, match="no nonce") as caught:
        check(holder.proof(), nonces=nonces)
    assert caught.value.code == "use_dpop_nonce" and caught.value.nonce == nonces.current()
    first = nonces.current()
    check(holder.proof(nonce=first), nonces=nonces)
    now[0] += 60
    assert nonces.current() != first  # rotated
    check(holder.proof(nonce=first), nonces=nonces)  # the previous one still passes
    now[0] += 60
    with pytest.raises(UseDPoPNonce, match="stale"):
        check(holder.proof(nonce=first), nonces=nonces)
    other = NonceSource(b"t" * 32, lifetime=60, clock=lambda: now[0])
    with pytest.raises(UseDPoPNonce):
        check(holder.proof(nonce=other.current()), nonces=nonces)
    shared = NonceSource(b"s" * 32, lifetime=60, clock=lambda: now[0])
    check(holder.proof(nonce=shared.current()), nonces=nonces)  # instances sharing a secret
    with pytest.raises(ValueError):
        NonceSource(b"short")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(proof=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_garbage_is_only_ever_invalid_dpop_proof(proof: str) -> None:
    with pytest.raises(InvalidDPoPProof):
        check(proof, jkt="x", access_token=TOKEN, replay=MemoryReplayCache())


CLAIMS = ["jti", "htm", "htu", "iat", "ath", "nonce"]
PLAUSIBLE = ["GET", URL, URL + "?q", "j1", 0, 10**30, -1.5, "", [], {}]


@settings(max_examples=300, deadline=None)
@given(
    header=st.dictionaries(st.sampled_from(["typ", "alg", "jwk", "kid", "crit", "x"]), JSON),
    claims=JSON | st.dictionaries(st.sampled_from(CLAIMS), JSON | st.sampled_from(PLAUSIBLE)),
)
def test_signed_nonsense_is_only_ever_invalid_dpop_proof(
    header: dict[str, Any], claims: Any
) -> None:
    import json

    from jwtgate.jose.b64 import b64url_encode

    holder = _FUZZ_HOLDER
    protected = {"alg": "ES256", "typ": "dpop+jwt", "jwk": holder.jwk, **header}
    try:
        head = b64url_encode(json.dumps(protected).encode())
        body = b64url_encode(json.dumps(claims).encode())
    except (TypeError, ValueError):
        return
    signed = b64url_encode(_FUZZ_KEY.sign(f"{head}.{body}".encode()))  # the claims get read
    for proof in (f"{head}.{body}.{signed}", f"{head}.{body}.{b64url_encode(bytes(64))}"):
        with pytest.raises(InvalidDPoPProof):
            check(proof, replay=MemoryReplayCache())


_FUZZ_HOLDER = Holder()
_FUZZ_KEY = Key.from_jwk(_FUZZ_HOLDER.key.as_dict(private=True), alg="ES256")
