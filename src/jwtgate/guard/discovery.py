"""The issuer's discovery document: where a Guard given only ``issuer=`` finds its keys.

Like ASP.NET Core's ``Authority``: the Guard reads ``{issuer}/.well-known/openid-configuration``
(OpenID Connect Discovery 1.0 section 4), and when that is not there (404, or not a usable
document) the RFC 8414 section 3 address, ``/.well-known/oauth-authorization-server`` put
between the host and the issuer's path. The document's ``issuer`` must equal the configured
issuer exactly (OIDC Discovery 4.3, RFC 8414 3.3): a document that names another issuer is a
mix-up or an impersonation, and its keys are not used. ``jwks_uri`` is then followed by the
usual JWKS client, under the same URL rules (https, or http on loopback or when allowed).

jwtgate's own discovery also names its revocation feed (``revocation_feed_endpoint``); a Guard
given client credentials follows it.

The document is read once, on first use (never in the constructor: a Guard is made at import
time of many apps, when the issuer may not be up yet). A failed read is retried on a later
request after a backoff (1 s, doubling, up to 30 s), and meanwhile every token is refused with
UnknownKey, as when a JWK Set cannot be fetched.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from .fetch import FetchError, check_url, get_bounded, sync_client

__all__ = ["MAX_DISCOVERY_BYTES", "Discovered", "DiscoveryClient", "discovery_urls"]

MAX_DISCOVERY_BYTES = 64 * 1024
MAX_BACKOFF = 30.0

log = logging.getLogger("jwtgate.guard")


@dataclass(frozen=True, slots=True)
class Discovered:
    """What a Guard uses from an issuer's discovery document."""

    jwks_uri: str
    revocation_feed_endpoint: str | None


def discovery_urls(issuer: str) -> tuple[str, str]:
    """The OpenID Connect and RFC 8414 discovery URLs of ``issuer``."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    oidc = issuer.rstrip("/") + "/.well-known/openid-configuration"
    oauth = urlunsplit(
        (parts.scheme, parts.netloc, "/.well-known/oauth-authorization-server" + path, "", "")
    )
    return oidc, oauth


def parse_discovery(body: bytes, issuer: str, *, allow_insecure_http: bool) -> Discovered:
    """The parts of a discovery document the Guard uses. FetchError when it is not JSON, names
    another issuer, or has no usable ``jwks_uri``."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise FetchError("the discovery document is not JSON") from None
    if not isinstance(document, dict):
        raise FetchError("the discovery document is not a JSON object")
    named = document.get("issuer")
    if named != issuer:  # exact string comparison: OIDC Discovery 4.3, RFC 8414 3.3
        raise FetchError(f"the discovery document names another issuer ({str(named)[:100]!r})")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise FetchError("the discovery document has no jwks_uri")
    feed = document.get("revocation_feed_endpoint")
    try:
        check_url(jwks_uri, what="jwks_uri", allow_insecure_http=allow_insecure_http)
        if isinstance(feed, str):
            check_url(
                feed, what="revocation_feed_endpoint", allow_insecure_http=allow_insecure_http
            )
        else:
            feed = None
    except ValueError as exc:
        raise FetchError(str(exc)) from None
    return Discovered(jwks_uri, feed)


class DiscoveryClient:
    """Reads one issuer's discovery document once (retrying failures after a backoff).

    ``on_discovered`` is called, once, with the document's :class:`Discovered` parts.
    """

    def __init__(
        self,
        issuer: str,
        *,
        clock: Callable[[], float],
        on_discovered: Callable[[Discovered], None],
        timeout: float,
        allow_insecure_http: bool,
    ) -> None:
        self.issuer = issuer
        self.urls = tuple(
            check_url(url, what="issuer", allow_insecure_http=allow_insecure_http)
            for url in discovery_urls(issuer)
        )
        self._clock = clock
        self._on_discovered = on_discovered
        self._timeout = timeout
        self._insecure = allow_insecure_http
        self._lock = threading.Lock()
        self._retry_at = -math.inf
        self._failures = 0
        self.result: Discovered | None = None
        self.fetches = 0

    def resolve(self) -> bool:
        """Read the document unless known or backing off; True once it is known. Never
        raises. Blocking (the async Guard runs it in a thread)."""
        if self.result is not None:
            return True
        with self._lock:  # one reader at a time; the others find the result after it
            if self.result is not None:
                return True
            if self._clock() < self._retry_at:
                return False
            self.fetches += 1
            errors: list[str] = []
            with sync_client(self._timeout) as client:
                for url in self.urls:
                    try:
                        fetched = get_bounded(client, url, MAX_DISCOVERY_BYTES, self._timeout)
                        found = parse_discovery(
                            fetched.body, self.issuer, allow_insecure_http=self._insecure
                        )
                    except FetchError as exc:
                        errors.append(f"{url}: {exc}")
                        continue
                    except Exception as exc:  # never break verification; retry later
                        errors.append(f"{url}: unexpected {type(exc).__name__}")
                        continue
                    self.result = found
                    self._on_discovered(found)
                    return True
            self._failures += 1
            backoff = min(2.0 ** (self._failures - 1), MAX_BACKOFF)
            self._retry_at = self._clock() + backoff
            log.warning(
                "discovery of %s failed (%s); retrying in %.0f s",
                self.issuer,
                "; ".join(errors),
                backoff,
            )
            return False
