"""Browser mode: the session cookies, their flags, and the CSRF defences.

Why cookies and not ``localStorage``: a token in storage is readable by any script that runs in
the page, so one XSS bug leaks it. Here both tokens live in ``HttpOnly`` cookies that no script
can read, ``SameSite=Strict`` keeps them off cross-site requests, and ``Secure`` keeps them off
plain HTTP (relaxed only for ``http://`` on a loopback host, where there is no network to sniff).
The refresh cookie is sent only under ``/web/session`` (refresh and sign-out), so ordinary
requests never carry it.

Cookies are sent automatically, so every state-changing request that authenticates by cookie
also needs proof that it came from our own pages (OWASP CSRF cheat sheet): a double-submit
token (a random value in a cookie that must be echoed in a form field or the ``X-CSRF-Token``
header) and an ``Origin`` (or, failing that, ``Referer``) that is this server or an allowed one.
When the cookies are ``Secure`` their names carry the ``__Host-``/``__Secure-`` prefixes, so a
sibling subdomain cannot plant them (RFC 6265bis 4.1.3).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from ...auth.values import TokenPair

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_PATH",
    "CookieNames",
    "CsrfRejected",
    "check_csrf",
    "clear_session_cookies",
    "cookie_names",
    "csrf_token",
    "is_loopback_http",
    "origin_of",
    "secure_cookies",
    "set_session_cookies",
    "set_sso_cookie",
]

# The only place the refresh cookie is sent: /web/session/refresh and /web/session/logout*.
SESSION_PATH = "/web/session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_CSRF_BYTES = 32
_MAX_CSRF_LEN = 128
_LOOPBACK_NAMES = frozenset({"localhost"})


class CsrfRejected(Exception):
    """A state-changing cookie request failed the CSRF check; ``reason`` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CookieNames:
    """The cookie names for one request (prefixed when the cookies are Secure)."""

    access: str
    refresh: str
    csrf: str
    flash: str
    sso: str


_SECURE_NAMES = CookieNames(
    access="__Host-jwtgate_at",
    refresh="__Secure-jwtgate_rt",
    csrf="__Host-jwtgate_csrf",
    flash="__Host-jwtgate_flash",
    sso="__Host-jwtgate_sso",
)
_PLAIN_NAMES = CookieNames(
    access="jwtgate_at",
    refresh="jwtgate_rt",
    csrf="jwtgate_csrf",
    flash="jwtgate_flash",
    sso="jwtgate_sso",
)


def is_loopback_http(conn: HTTPConnection) -> bool:
    """True when the request is plain ``http://`` to localhost, 127.0.0.0/8 or ``[::1]``."""
    if conn.url.scheme != "http":
        return False
    host = (conn.url.hostname or "").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secure_cookies(conn: HTTPConnection, *, configured: bool = True) -> bool:
    """Whether cookies for this request get ``Secure``: always, unless the request is plain
    HTTP to a loopback host, or ``JWTGATE_COOKIE_SECURE=false`` switched it off."""
    return configured and not is_loopback_http(conn)


def cookie_names(secure: bool) -> CookieNames:
    """The cookie names in force: ``__Host-``/``__Secure-`` prefixed when Secure."""
    return _SECURE_NAMES if secure else _PLAIN_NAMES


def _set(
    response: Response, name: str, value: str, *, max_age: int, path: str, secure: bool
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def set_session_cookies(response: Response, pair: TokenPair, *, secure: bool) -> None:
    """Put a token pair in HttpOnly, SameSite=Strict cookies; the refresh cookie is scoped to
    :data:`SESSION_PATH` and lives as long as the refresh token."""
    names = cookie_names(secure)
    _set(
        response, names.access, pair.access_token, max_age=pair.expires_in, path="/", secure=secure
    )
    if pair.refresh_token is not None:
        _set(
            response,
            names.refresh,
            pair.refresh_token,
            max_age=pair.refresh_expires_in or pair.expires_in,
            path=SESSION_PATH,
            secure=secure,
        )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    """Expire both token cookies and the SSO cookie (the CSRF cookie stays: it is not a
    credential)."""
    names = cookie_names(secure)
    for name, path in ((names.access, "/"), (names.refresh, SESSION_PATH)):
        response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="strict")
    response.delete_cookie(names.sso, path="/", secure=secure, httponly=True, samesite="lax")


def set_sso_cookie(response: Response, token: str, *, max_age: int, secure: bool) -> None:
    """The browser's sign-in (SSO) cookie: HttpOnly and ``SameSite=Lax``, because an app on
    another site sends the browser to ``/auth/authorize`` by a top-level navigation, which
    carries Lax cookies and not Strict ones. It authenticates nothing but the authorization
    endpoint, which changes no state on a GET beyond issuing a code to a registered redirect
    URI (and asks consent for third-party apps by a same-origin POST)."""
    response.set_cookie(
        cookie_names(secure).sso,
        token,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def csrf_token(conn: HTTPConnection, response: Response | None, *, secure: bool) -> str:
    """The CSRF token of this browser: the one in its cookie, or a new one set on ``response``.

    The cookie is HttpOnly too: pages get the value rendered into their forms (and a ``<meta>``
    tag for scripts), so nothing needs to read it from ``document.cookie``.
    """
    current = conn.cookies.get(cookie_names(secure).csrf)
    if current and _well_formed(current):
        return current
    token = secrets.token_urlsafe(_CSRF_BYTES)
    if response is not None:
        # A session cookie (no Max-Age): it outlives no browser session, and a page always
        # renders the current value into its forms.
        response.set_cookie(
            cookie_names(secure).csrf,
            token,
            path="/",
            secure=secure,
            httponly=True,
            samesite="strict",
        )
    return token


def _well_formed(token: str) -> bool:
    return 16 <= len(token) <= _MAX_CSRF_LEN and token.replace("-", "").replace("_", "").isalnum()


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased; None otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _own_origin(conn: HTTPConnection) -> str:
    return f"{conn.url.scheme}://{conn.url.netloc}".lower()


def check_csrf(
    conn: HTTPConnection,
    submitted: str | None,
    *,
    secure: bool,
    trusted_origins: Collection[str] = (),
) -> None:
    """Check a state-changing cookie request: its Origin (else Referer) is this server or a
    trusted origin, and ``submitted`` equals the CSRF cookie (constant-time compare).

    Raises :class:`CsrfRejected` with the reason. A request without Origin and Referer is
    rejected: every browser sends one of them on a POST.
    """
    headers: Mapping[str, str] = conn.headers
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        origin = origin_of(referer) if referer else None
        if origin is None:
            raise CsrfRejected("the request has no Origin or Referer header")
    origin = origin.lower()
    if origin != _own_origin(conn) and origin not in trusted_origins:
        raise CsrfRejected("the request comes from another site")
    cookie = conn.cookies.get(cookie_names(secure).csrf)
    if not cookie:
        raise CsrfRejected("the CSRF cookie is missing")
    if not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise CsrfRejected("the CSRF token is missing or does not match")
