"""Guard(issuer=..., audience=...) alone: the issuer's discovery document names the JWK Set
(OpenID Connect Discovery 4, RFC 8414 3) and, for jwtgate, the revocation feed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jwtgate import Guard, RevokedToken, UnknownKey

from .guardkit import AUD, FakeClock, Issuer, Served, TestServer, wait_until

OIDC = "/.well-known/openid-configuration"
OAUTH = "/.well-known/oauth-authorization-server"


@pytest.fixture
def site(issuer: Issuer) -> Iterator[TestServer]:
    srv = TestServer(Served(jwks=issuer.jwks()))
    yield srv
    srv.stop()


def document(site: TestServer, issuer: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"issuer": issuer or site.base, "jwks_uri": site.jwks_url, **extra}


def test_openid_configuration_names_the_keys(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    site.served.documents[OIDC] = document(site)
    guard = make_guard(issuer=site.base)
    principal = guard.verify(issuer.token(iss=site.base))
    assert principal.sub == "user-1"
    assert site.served.hits[OIDC] == 1 and site.jwks_fetches() == 1
    guard.verify(issuer.token(iss=site.base))
    assert site.served.hits[OIDC] == 1  # read once


async def test_async_verify_discovers_too(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    site.served.documents[OIDC] = document(site)
    guard = make_guard(issuer=site.base)
    assert (await guard.averify(issuer.token(iss=site.base))).sub == "user-1"


def test_rfc8414_address_when_there_is_no_openid_configuration(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    tenant = site.base + "/tenant/a"
    site.served.documents[OAUTH + "/tenant/a"] = document(site, tenant)
    guard = make_guard(issuer=tenant)
    assert guard.verify(issuer.token(iss=tenant)).sub == "user-1"
    assert site.served.hits["/tenant/a" + OIDC] == 1  # tried first, 404


@pytest.mark.parametrize(
    "named",
    ["https://evil.example", "{base}/", "{base}/other", None, 42],
    ids=["other host", "trailing slash", "other path", "missing", "not a string"],
)
def test_a_document_naming_another_issuer_is_not_used(
    site: TestServer,
    issuer: Issuer,
    make_guard: Callable[..., Guard],
    named: Any,
) -> None:
    doc = document(site)
    doc["issuer"] = named.format(base=site.base) if isinstance(named, str) else named
    site.served.documents[OIDC] = doc
    guard = make_guard(issuer=site.base)
    with pytest.raises(UnknownKey, match="discovery document could not be read"):
        guard.verify(issuer.token(iss=site.base))
    assert site.jwks_fetches() == 0  # its keys were never fetched


@pytest.mark.parametrize(
    "jwks_uri",
    ["http://keys.example/jwks.json", "ftp://127.0.0.1/jwks", "/jwks.json", None],
)
def test_a_jwks_uri_the_guard_may_not_fetch_is_refused(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard], jwks_uri: Any
) -> None:
    site.served.documents[OIDC] = {"issuer": site.base, "jwks_uri": jwks_uri}
    guard = make_guard(issuer=site.base)
    with pytest.raises(UnknownKey, match="discovery"):
        guard.verify(issuer.token(iss=site.base))


def test_not_json_and_too_large_are_failures(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    site.served.documents[OIDC] = b"<html>not json</html>"
    site.served.documents[OAUTH] = b'{"issuer": "' + b"x" * 70_000 + b'"}'
    guard = make_guard(issuer=site.base)
    with pytest.raises(UnknownKey):
        guard.verify(issuer.token(iss=site.base))


def test_a_failed_read_is_retried_after_a_backoff(
    site: TestServer,
    issuer: Issuer,
    clock: FakeClock,
    make_guard: Callable[..., Guard],
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = make_guard(issuer=site.base)
    token = issuer.token(iss=site.base)
    with caplog.at_level(logging.WARNING, "jwtgate.guard"), pytest.raises(UnknownKey):
        guard.verify(token)
    assert "discovery of" in caplog.text
    with pytest.raises(UnknownKey):
        guard.verify(token)  # backing off: no second read
    assert site.served.hits[OIDC] == 1
    site.served.documents[OIDC] = document(site)
    clock.advance(1.5)
    assert guard.verify(token).sub == "user-1"
    assert site.served.hits[OIDC] == 2


def test_jwtgate_revocation_feed_is_followed_with_client_credentials(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    site.served.documents[OIDC] = document(site, revocation_feed_endpoint=site.feed_url)
    site.served.feed_pages.append(
        {"cursor": "1", "sessions": ["session-1"], "tokens": [], "users": {}, "more": False}
    )
    client_id, secret = site.served.client
    guard = make_guard(issuer=site.base, client_id=client_id, client_secret=secret)
    with pytest.raises(RevokedToken):
        guard.verify(issuer.token(iss=site.base))
    assert wait_until(lambda: guard.stats().feed_polls >= 1)
    assert guard.verify(issuer.token(iss=site.base, sid="session-2")).sid == "session-2"


def test_no_feed_in_the_document_warns_and_still_verifies(
    site: TestServer,
    issuer: Issuer,
    make_guard: Callable[..., Guard],
    caplog: pytest.LogCaptureFixture,
) -> None:
    site.served.documents[OIDC] = document(site)
    guard = make_guard(issuer=site.base, client_id="c", client_secret="s3cret-value")
    with caplog.at_level(logging.WARNING, "jwtgate.guard"):
        assert guard.verify(issuer.token(iss=site.base)).sub == "user-1"
    assert "revocation_feed_endpoint" in caplog.text
    assert "s3cret-value" not in caplog.text
    assert guard.stats().feed_polls == 0


def test_without_credentials_the_feed_is_not_followed(
    site: TestServer, issuer: Issuer, make_guard: Callable[..., Guard]
) -> None:
    site.served.documents[OIDC] = document(site, revocation_feed_endpoint=site.feed_url)
    guard = make_guard(issuer=site.base)
    assert guard.verify(issuer.token(iss=site.base)).sub == "user-1"
    assert site.served.hits["/revocations"] == 0


def test_a_public_issuer_url_must_be_https_unless_allowed(issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="https"):
        Guard(issuer="http://auth.example", audience=AUD)
    guard = Guard(issuer="http://auth.example", audience=AUD, allow_insecure_http=True)
    assert "discovery" in repr(guard)
