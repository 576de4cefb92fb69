"""/docs and /redoc are served from the package: same-origin assets only, with the pages'
security headers (they run on the origin that holds the browser-mode cookies)."""

from __future__ import annotations

import re

import httpx

DOC_PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")
_REFERENCE = re.compile(r'\b(?:src|href)="([^"]*)"')
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


async def test_doc_pages_reference_only_same_origin_assets_that_are_served(
    client: httpx.AsyncClient,
) -> None:
    for path in DOC_PAGES:
        page = await client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        references = _REFERENCE.findall(page.text)
        assert path == "/docs/oauth2-redirect" or len(references) >= 2, path
        for reference in references:
            assert reference.startswith("/") and not reference.startswith("//"), reference
            asset = await client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.headers["x-content-type-options"] == "nosniff", reference
            assert "no-store" not in asset.headers.get("cache-control", ""), reference
        assert not _INLINE_SCRIPT.search(page.text), path
        assert "cdn" not in page.text.lower() and "http" not in page.text.split("<body>")[1]
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert len(bundle.content) > 500_000  # the real Swagger UI, not a stub
    redoc = await client.get("/docs/assets/redoc.standalone.js")
    assert len(redoc.content) > 500_000


async def test_doc_pages_carry_the_pages_security_headers(client: httpx.AsyncClient) -> None:
    for path in DOC_PAGES:
        headers = (await client.get(path)).headers
        csp = dict(
            directive.strip().split(" ", 1)
            for directive in headers["content-security-policy"].split(";")
        )
        assert csp["script-src"] == "'self'" and csp["default-src"] == "'self'", path
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'", path
        assert csp["img-src"] == "'self' data:" and csp["connect-src"] == "'self'", path
        # ReDoc's styled-components need inline <style> elements; nothing else is widened.
        assert csp["style-src"] == ("'self' 'unsafe-inline'" if path == "/redoc" else "'self'")
        assert "unsafe-eval" not in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    swagger = (await client.get("/docs")).text
    assert 'data-openapi-url="/openapi.json"' in swagger
    assert (await client.get("/openapi.json")).status_code == 200
