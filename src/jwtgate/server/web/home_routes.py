"""The root URL and the favicon.

``GET /`` is what someone who only knows the server's address opens. A browser (an ``Accept``
that prefers HTML over JSON) gets a short page saying what this server is, with links to
sign in, the API docs, discovery, the JWKS and the token inspector; every other client gets
the same links as JSON. ``GET /favicon.ico`` is the icon browsers ask for on their own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, JSONResponse, Response

from ... import __version__
from .context import WebContext

__all__ = ["home_router", "prefers_html"]

_HTML = frozenset({"text/html", "application/xhtml+xml"})
_ICON_CACHE = {"cache-control": "public, max-age=86400"}


def prefers_html(accept: str) -> bool:
    """Whether an ``Accept`` header (RFC 9110 12.5.1) ranks HTML above JSON.

    Browsers send ``text/html,...,*/*;q=0.8``; curl sends ``*/*`` and API clients
    ``application/json``: only the first is HTML. Malformed quality values count as 0.
    """
    html = json = 0.0
    for item in accept.split(",")[:50]:
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media in _HTML:
            html = max(html, quality)
        elif media == "application/json":
            json = max(json, quality)
    return html > json


def home_router(ctx: WebContext, static: Path) -> APIRouter:
    """Routes: ``/`` (HTML for browsers, JSON otherwise) and ``/favicon.ico``."""
    router = APIRouter(include_in_schema=False)
    icon = static / "favicon.ico"

    def links() -> dict[str, str]:
        base = ctx.auth.issuer.rstrip("/")
        return {
            "service": "jwtgate",
            "version": __version__,
            "issuer": ctx.auth.issuer,
            "discovery": base + "/.well-known/openid-configuration",
            "jwks_uri": base + "/.well-known/jwks.json",
            "docs": base + "/docs",
            "openapi": base + "/openapi.json",
            "sign_in": base + "/web/login",
            "token_inspector": base + "/web/inspect",
        }

    @router.get("/")
    def home(request: Request) -> Response:
        vary = {"vary": "Accept"}
        if prefers_html(request.headers.get("accept", "")):
            page = ctx.render(request, "home.html", issuer=ctx.auth.issuer)
            page.headers.update(vary)
            return page
        return JSONResponse(links(), headers=vary)

    @router.get("/favicon.ico")
    def favicon() -> Response:
        return FileResponse(icon, media_type="image/x-icon", headers=_ICON_CACHE)

    return router
