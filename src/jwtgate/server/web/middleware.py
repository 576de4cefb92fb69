"""Two small ASGI middlewares of browser mode.

:class:`PageHeaders` adds the security headers to every response under ``/web`` (the pages)
and at ``/`` (the landing page):
a Content-Security-Policy with no inline script or style, ``frame-ancestors 'none'``, no
Referer leaving the site, no MIME sniffing, and ``no-store`` on everything but static files.

:class:`CookieBearer` lets the JSON API authenticate by cookie: on the protected API paths, a
request with no ``Authorization`` header but with the access cookie gets the cookie's token as
``Authorization: Bearer``, after the CSRF check for state-changing methods (a failure answers
403 with the JSON error body). Requests that carry a bearer header are never touched. When a
cookie-authenticated logout succeeds, the cookies are cleared on its response.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .cookies import CSRF_HEADER, CsrfRejected, check_csrf, clear_session_cookies, cookie_names

__all__ = [
    "COOKIE_AUTH_PATHS",
    "CSP",
    "PAGE_HEADERS",
    "CookieBearer",
    "PageHeaders",
    "csp_allowing_forms_to",
    "csrf_error_response",
]


def csp_allowing_forms_to(*sources: str) -> str:
    """The pages' CSP with ``form-action`` also allowing ``sources``: browsers apply
    form-action to the redirect that follows a form post, so a page whose form ends in a
    redirect to an app (sign-in, consent) must allow that app's origin."""
    actions = " ".join(("'self'", *sources))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action {actions}; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    )


CSP = csp_allowing_forms_to()
PAGE_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CSP),
    ("referrer-policy", "same-origin"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
PAGES_PREFIX = "/web"
OTHER_PAGES = frozenset({"/auth/authorize"})
"""Pages outside /web: the authorization endpoint's consent and error pages."""
STATIC_PREFIX = "/web/static/"
PAGE_PREFIXES = (PAGES_PREFIX, "/docs", "/redoc")
STATIC_PREFIXES = (STATIC_PREFIX, "/docs/assets/")

# API paths that take a bearer token and may take it from the cookie instead. Everything
# else (login, refresh, token, revoke, introspect, discovery...) never reads the cookie.
COOKIE_AUTH_PATHS = ("/auth/me", "/auth/logout", "/auth/logout-all", "/auth/password", "/admin/")
_LOGOUT_PATHS = frozenset({"/auth/logout", "/auth/logout-all"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PageHeaders:
    """Add the security headers of the pages to every response under ``/web``, and to the
    API documentation pages (``/docs``, ``/redoc``) that share the pages' origin and cookies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        page = path == "/" or any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)
        if not page and path not in OTHER_PAGES:
            await self.app(scope, receive, send)
            return
        static = path.startswith(STATIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS:
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_cookie_auth_path(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in COOKIE_AUTH_PATHS)


class CookieBearer:
    """Authenticate protected API requests by the access cookie, with CSRF for writes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secure: Callable[[HTTPConnection], bool],
        trusted_origins: frozenset[str],
    ) -> None:
        self.app = app
        self.secure = secure
        self.trusted_origins = trusted_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_cookie_auth_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        secure = self.secure(conn)
        token = conn.cookies.get(cookie_names(secure).access)
        if not token or "authorization" in conn.headers:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if method not in _SAFE_METHODS:
            try:
                check_csrf(
                    conn,
                    conn.headers.get(CSRF_HEADER),
                    secure=secure,
                    trusted_origins=self.trusted_origins,
                )
            except CsrfRejected as exc:
                await csrf_error_response(exc)(scope, receive, send)
                return
        scope = dict(scope)
        scope["headers"] = [*scope["headers"], (b"authorization", f"Bearer {token}".encode())]
        if scope["path"] in _LOGOUT_PATHS:
            send = _clear_cookies_on_success(send, secure)
        await self.app(scope, receive, send)


def csrf_error_response(exc: CsrfRejected) -> Response:
    """403 with the JSON error body for a request that failed the CSRF check."""
    body = {"error": "invalid_request", "error_description": f"CSRF check failed: {exc.reason}"}
    return Response(orjson.dumps(body), status_code=403, media_type="application/json")


def _clear_cookies_on_success(send: Send, secure: bool) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
            carrier = Response()
            clear_session_cookies(carrier, secure=secure)
            headers = MutableHeaders(scope=message)
            for name, value in carrier.raw_headers:
                if name == b"set-cookie":
                    headers.append("set-cookie", value.decode("latin-1"))
        await send(message)

    return wrapped
