"""The API documentation pages, served from the package: Swagger UI at ``/docs``, ReDoc at
``/redoc``, with no script, style or font from a CDN.

FastAPI's own pages load unpinned scripts from a CDN (a floating major version, no Subresource
Integrity) onto the origin that holds the browser-mode cookies, and are blank without
internet. Here the assets come from the ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2
builds, pinned in pyproject.toml) under ``/docs/assets/``, the pages' settings are data
attributes read by a script file (``/web/static/docs.js``), and the pages get the security
headers of the web pages (:class:`jwtgate.server.web.middleware.PageHeaders`: the same
Content-Security-Policy with ``script-src 'self'``, ``frame-ancestors 'none'``, and the rest).

Two exceptions, on ``/redoc`` only: ReDoc styles itself with styled-components, which inserts
``<style>`` elements at run time (no nonce can be handed to the bundled build), so that page's
policy adds ``'unsafe-inline'`` to ``style-src``; and its search index runs in a Web Worker
it builds from a ``blob:`` URL (``worker-src 'self' blob:``). Scripts stay ``'self'`` only (a
worker can only be started by a script already allowed); the page shows the public OpenAPI
document, and page script can read no token (the cookies are HttpOnly).
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

import orjson
from fastapi import FastAPI
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from .web.middleware import CSP

__all__ = ["ASSETS_PREFIX", "REDOC_CSP", "install_docs"]

ASSETS_PREFIX = "/docs/assets"
ASSETS = Path(str(files("fastapi_offline") / "static"))
REDOC_CSP = (
    CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    + "; worker-src 'self' blob:"
)


def _page(title: str, head: str, body: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<link rel="icon" href="{ASSETS_PREFIX}/favicon.png">\n{head}</head>\n'
        f"<body>\n{body}</body>\n</html>\n",
        headers=headers,
    )


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` for ``app``'s OpenAPI
    document. The app must be built with ``docs_url=None, redoc_url=None``."""
    openapi = app.openapi_url or "/openapi.json"
    redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    title = app.title
    app.mount(ASSETS_PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        init = app.swagger_ui_init_oauth
        attributes = (
            f'data-openapi-url="{html.escape(openapi)}" '
            f'data-oauth2-redirect-url="{html.escape(redirect)}"'
        )
        if init:
            attributes += f' data-init-oauth="{html.escape(orjson.dumps(init).decode())}"'
        return _page(
            f"{title} - Swagger UI",
            f'<link rel="stylesheet" href="{ASSETS_PREFIX}/swagger-ui.css">\n',
            f'<div id="swagger-ui" {attributes}></div>\n'
            f'<script src="{ASSETS_PREFIX}/swagger-ui-bundle.js"></script>\n'
            '<script src="/web/static/docs.js"></script>\n',
        )

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _page(
            "Swagger UI: OAuth2 Redirect",
            "",
            '<script src="/web/static/docs-oauth2-redirect.js"></script>\n',
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _page(
            f"{title} - ReDoc",
            "",
            f'<redoc spec-url="{html.escape(openapi)}"></redoc>\n'
            f'<script src="{ASSETS_PREFIX}/redoc.standalone.js"></script>\n',
            {"content-security-policy": REDOC_CSP},
        )
