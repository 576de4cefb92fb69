"""Browser mode and the web pages of the auth server.

:func:`install` adds to an app: the landing page at ``/`` and the favicon, the pages under
``/web`` (sign-in, sign-up, my account, the
admin console, the token inspector), their static files, the security headers of the pages,
cookie authentication (with CSRF) for the protected JSON API, and CORS for the configured
origins. Nothing here holds a business rule: every action is a call to the auth service.
See docs/web.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from ...auth.service import AuthService
from ...config import Settings
from ..routes.authorize import authorize_router
from ..routes.end_session import end_session_router
from ..routing import include_routes
from .account_routes import account_router
from .admin_routes import admin_router
from .context import FieldTooLong, Forbidden, SignInRequired, WebContext
from .cookies import CSRF_HEADER, CsrfRejected, origin_of
from .email_routes import email_router
from .home_routes import home_router
from .mfa_routes import mfa_router
from .middleware import CookieBearer, PageHeaders, csrf_error_response
from .session_routes import session_router

__all__ = ["install", "normalize_origins"]

STATIC = Path(__file__).parent / "static"


def normalize_origins(origins: Iterable[str]) -> frozenset[str]:
    """Validate configured origins (``scheme://host[:port]``, no path, no wildcard).

    Raises ValueError for ``*``, ``null`` or anything that is not an http(s) origin: with
    credentials allowed, a wildcard would let every site act as the signed-in user.
    """
    out = set()
    for raw in origins:
        text = raw.strip().rstrip("/")
        origin = origin_of(text)
        if origin is None or origin != text.lower():
            raise ValueError(f"not an origin (scheme://host[:port]): {raw!r}")
        out.add(origin)
    return frozenset(out)


def install(
    app: FastAPI,
    auth: AuthService,
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    """Mount the pages, static files, page security headers, cookie auth and CORS on ``app``.

    Call it from the app factory before the app starts. Raises ValueError for a bad entry in
    ``settings.cors_origins``.
    """
    cors = normalize_origins(settings.cors_origins)
    trusted = set(cors)
    issuer_origin = origin_of(settings.issuer) if settings.issuer else None
    if issuer_origin:
        trusted.add(issuer_origin)
    ctx = WebContext(auth=auth, settings=settings, clock=clock, trusted_origins=frozenset(trusted))

    include_routes(app, home_router(ctx, STATIC))
    include_routes(app, session_router(ctx))
    include_routes(app, authorize_router(ctx))
    include_routes(app, end_session_router(ctx))
    include_routes(app, account_router(ctx))
    include_routes(app, mfa_router(ctx))
    include_routes(app, admin_router(ctx))
    include_routes(app, email_router(ctx))
    app.mount("/web/static", StaticFiles(directory=STATIC), name="web-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(
            f"/web/session/refresh?next={quote(exc.next_path)}", status_code=303
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return ctx.error_page(request, 403, "Not allowed", f"This page needs the role {exc}.")

    @app.exception_handler(FieldTooLong)
    async def _too_long(request: Request, exc: FieldTooLong) -> Response:
        return ctx.error_page(
            request,
            400,
            "Too long",
            f"The field {exc.name} holds at most {exc.limit:,} characters, so the form was not "
            "carried out (nothing was cut or changed). Go back and enter a shorter value.",
        )

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        if request.headers.get(CSRF_HEADER) is not None or "json" in request.headers.get(
            "content-type", ""
        ):
            return csrf_error_response(exc)
        return ctx.error_page(
            request,
            403,
            "Request rejected",
            "This form did not come from a page of this site, so it was not "
            f"carried out (CSRF protection: {exc.reason}). Go back, reload the page and try "
            "again.",
        )

    app.add_middleware(CookieBearer, secure=ctx.secure, trusted_origins=ctx.trusted_origins)
    app.add_middleware(PageHeaders)
    if cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(cors),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
            expose_headers=["WWW-Authenticate", "Retry-After"],
            max_age=600,
        )
