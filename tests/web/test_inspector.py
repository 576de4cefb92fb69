"""The token inspector: header, claims, readable times and the exact reason for a verdict."""

from __future__ import annotations

import html

import httpx
import orjson
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jwtgate import Key, encode
from jwtgate.jose.b64 import b64url_decode, b64url_encode
from jwtgate.server.web.inspector import inspect_token

from .fakeauth import AUDIENCE, ISSUER, FakeAuth
from .webkit import client, post_form


class Page:
    """An inspector answer: status, headers, and the text with HTML entities decoded."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.text = html.unescape(response.text)


def _inspect(app: FastAPI, token: str) -> Page:
    return Page(post_form(client(app), "/web/inspect", {"token": token}, page="/web/inspect"))


def tamper(token: str) -> str:
    """The attack the signature stops: give yourself the admin role, keep the signature."""
    header, payload, signature = token.split(".")
    claims = orjson.loads(b64url_decode(payload))
    claims["roles"] = ["admin"]
    return f"{header}.{b64url_encode(orjson.dumps(claims))}.{signature}"


def test_a_valid_token(app: FastAPI, auth: FakeAuth) -> None:
    token = auth.login("alice", "alice-password-1").access_token
    page = _inspect(app, token)
    assert page.status_code == 200
    assert "✔ Valid" in page.text and "This server accepts this access token." in page.text
    assert '"preferred_username": "alice"' in page.text and '"typ": "at+jwt"' in page.text
    assert "is the key that signs now" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert token not in page.text  # shown decoded, never echoed back


def test_an_expired_token_says_when(app: FastAPI, auth: FakeAuth) -> None:
    token = auth.login("alice", "alice-password-1").access_token
    auth.clock.now += 900 + 600
    page = _inspect(app, token).text
    assert "✘ Expired" in page
    assert "The token expired 10 min ago, at 2027-01-15" in page
    assert "exp</dt><dd>2027-01-15 08:" in page and "(10 min ago)" in page


def test_a_tampered_token_fails_the_signature(app: FastAPI, auth: FakeAuth) -> None:
    token = auth.login("alice", "alice-password-1").access_token
    page = _inspect(app, tamper(token)).text
    assert "✘ Signature does not verify" in page
    assert '"admin"' in page  # the claims as written, so the tampering is visible
    forged = encode(
        {"sub": "2", "exp": auth.clock() + 60, "iss": ISSUER, "aud": AUDIENCE},
        Key.generate("ES256"),
        headers={"typ": "at+jwt"},
    )
    page = _inspect(app, forged).text
    assert "not one of this server's signing keys" in page
    assert "✘" in page


def test_a_foreign_issuer_and_audience_are_named(app: FastAPI, auth: FakeAuth) -> None:
    key = auth.keys[0][0]
    token = encode(
        {"sub": "2", "exp": auth.clock() + 60, "iss": "https://other.example", "aud": "other"},
        key,
        headers={"typ": "at+jwt"},
    )
    page = _inspect(app, token).text
    assert "Issued by someone else" in page
    assert "iss is 'https://other.example'; this server is 'http://testserver'" in page
    assert "aud is 'other'; this server's audience is 'api'" in page


def test_a_revoked_token(app: FastAPI, auth: FakeAuth) -> None:
    token = auth.login("alice", "alice-password-1").access_token
    for sid in list(auth.sessions):
        auth.revoke_session(sid)
    page = _inspect(app, token).text
    assert "✘ Revoked" in page and "the session has been revoked" in page


def test_garbage_and_refresh_tokens_are_explained_not_crashed(app: FastAPI, auth: FakeAuth) -> None:
    refresh = auth.login("alice", "alice-password-1").refresh_token or ""
    page = _inspect(app, refresh).text
    assert "Not a JWT" in page and "Refresh tokens are opaque" in page
    for junk in ("a.b.c", "eyJhbGciOiJub25lIn0.e30.", "....", "ü.ü.ü", "e30.e30.e30"):
        response = _inspect(app, junk)
        assert response.status_code == 200 and "✘" in response.text, junk
    assert "Paste a JWT" in _inspect(app, "   ").text


def test_oversized_input_is_refused_politely(app: FastAPI) -> None:
    response = _inspect(app, "a" * 9000)
    assert response.status_code == 400 and "longer than 8192 characters" in response.text


def test_the_form_does_not_keep_the_token() -> None:
    from pathlib import Path

    from jwtgate.server import web

    html = (Path(web.__file__).parent / "templates" / "inspect.html").read_text()
    assert 'autocomplete="off"' in html and "{{ token" not in html


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
claim_sets = st.dictionaries(
    st.sampled_from(["exp", "nbf", "iat", "iss", "aud", "sub", "sid", "roles", "x"]),
    json_values | st.floats(min_value=-1e300, max_value=1e300),
    max_size=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=claim_sets, typ=st.sampled_from(["at+jwt", "JWT", None]))
def test_any_signed_claims_get_a_verdict_never_an_exception(claims: dict, typ: str | None) -> None:  # type: ignore[type-arg]
    auth = FakeAuth()
    token = encode(claims, auth.keys[0][0], headers={"typ": typ} if typ else None)
    result = inspect_token(token, auth=auth, audience=AUDIENCE, now=auth.clock(), leeway=30)  # type: ignore[arg-type]
    assert result.headline and result.reason
    assert result.claims == claims
    for check in result.checks:
        assert check.status in ("pass", "fail")


@settings(max_examples=150, deadline=None)
@given(
    st.text(max_size=300)
    | st.from_regex(r"[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}")
)
def test_any_text_gets_an_explanation(text: str) -> None:
    auth = _SHARED
    result = inspect_token(text, auth=auth, audience=AUDIENCE, now=auth.clock())  # type: ignore[arg-type]
    assert not result.valid and result.headline


_SHARED = FakeAuth()


def test_a_forged_far_future_expiry_renders(app: FastAPI, auth: FakeAuth) -> None:
    token = encode(
        {"exp": 1e300, "iat": -1e300, "sub": "2"}, auth.keys[0][0], headers={"typ": "at+jwt"}
    )
    page = _inspect(app, token)
    assert page.status_code == 200 and "not a representable date" in page.text


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_a_header_or_claims_nested_too_deeply_is_not_well_formed(
    app: FastAPI, auth: FakeAuth
) -> None:
    """Nesting past what orjson can write back (~255 levels) was a 500: the header skipped
    the depth bound. Now both parts are bounded, on the page as in verification."""
    key = auth.keys[0][0]
    genuine = encode({"sub": "2"}, key, headers={"typ": "at+jwt"})
    head, body, _ = genuine.split(".")
    for depth in (40, 300, 1200):
        kid = key.kid.encode()
        deep_header = b'{"alg":"ES256","kid":"' + kid + b'","x":' + _nested(depth) + b"}"
        deep_claims = b'{"sub":"2","x":' + _nested(depth) + b"}"
        for token in (
            f"{b64url_encode(deep_header)}.{body}.AAAA",
            f"{head}.{b64url_encode(deep_claims)}.AAAA",
        ):
            page = _inspect(app, token)
            assert page.status_code == 200, depth
            assert "Not a well-formed JWT" in page.text or "Not a JWT" in page.text, depth
            if depth < 1024:  # deeper still, orjson refuses to parse it at all
                assert "nested too deeply" in page.text, depth
