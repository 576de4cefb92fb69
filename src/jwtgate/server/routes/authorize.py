"""``GET/POST /auth/authorize``: the authorization endpoint (RFC 6749 4.1), its consent page
and its error page. Thin: every rule is in :mod:`jwtgate.auth.oauth.authorize`.

What real browsers need here (each one breaks the flow when missed):

- the SSO cookie is ``SameSite=Lax``: an app on another site sends the browser here by a
  top-level navigation, which does not carry Strict cookies;
- the pages' CSP ``form-action`` allows the app's redirect URI origin: browsers apply it to
  the redirect that follows the consent (and sign-in) form post;
- ``Referrer-Policy: same-origin``, not ``no-referrer``: with the latter browsers post forms
  with ``Origin: null``, which the CSRF check must refuse;
- a POST that ends in a redirect answers 303, so the browser follows with a GET.

Errors never redirect to an unverified URI: an unknown client or a redirect URI that is not
exactly registered gets the error page (400). Every other error, and success, redirects to
the client with ``state`` and ``iss`` (RFC 9207).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...auth.errors import AuthorizationError, BadRedirect
from ...auth.oauth.authorize import AuthorizationRequest, SsoSession
from ..web.context import WebContext
from ..web.cookies import CSRF_FIELD
from ..web.middleware import PAGE_HEADERS, csp_allowing_forms_to

__all__ = ["POPUP_COOP", "authorize_router", "form_action_source", "login_url", "page_headers"]

_LOOPBACK = ("127.0.0.1", "[::1]", "localhost")
# Fields of the consent form that are not part of the authorization request.
_FORM_ONLY = frozenset({CSRF_FIELD, "decision"})
# Dropped when the browser is sent to sign in again: the sign-in it asks for happens then.
_DONE_BY_SIGN_IN = ("max_age",)


def form_action_source(redirect_uri: str) -> str:
    """The CSP source that allows a form post to end at ``redirect_uri``: its origin, any
    port for loopback http (RFC 8252 7.3), its scheme for a native app's private scheme."""
    parts = urlsplit(redirect_uri)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        if parts.scheme == "http" and (host in _LOOPBACK or f"[{host}]" in _LOOPBACK):
            shown = f"[{host}]" if ":" in host else host
            return f"http://{shown}:*"
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"


POPUP_COOP = "unsafe-none"
"""Cross-Origin-Opener-Policy of the sign-in pages of a flow: apps that sign in in a popup
(Swagger UI, SPA libraries in popup mode) need the popup to keep its opener, which
``same-origin`` would sever as soon as the popup reaches jwtgate."""


def page_headers(response: Response, redirect_uri: str | None) -> Response:
    """The headers of the sign-in, consent, error and logout pages (see the module
    docstring); ``redirect_uri``: the form may end at its origin."""
    extra = (form_action_source(redirect_uri),) if redirect_uri else ()
    response.headers["content-security-policy"] = csp_allowing_forms_to(*extra)
    response.headers["cross-origin-opener-policy"] = POPUP_COOP
    for name, value in PAGE_HEADERS:
        response.headers.setdefault(name, value)
    response.headers["cache-control"] = "no-store"
    return response


def _to_client(redirect_uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return redirect_uri + ("&" if "?" in redirect_uri else "?") + query


def login_url(params: Sequence[tuple[str, str]], *, fresh: bool, login_hint: str | None) -> str:
    """``/web/login?next=<the authorization request>``; for a forced sign-in, ``prompt=login``
    and ``max_age`` leave the resumed request (the sign-in satisfies them) and the form is
    shown even to a signed-in browser."""
    kept: list[tuple[str, str]] = []
    for name, value in params:
        if name in _FORM_ONLY or name in _DONE_BY_SIGN_IN:
            continue
        if name == "prompt":
            value = " ".join(p for p in value.split() if p != "login")
            if not value:
                continue
        kept.append((name, value))
    query: list[tuple[str, str]] = [("next", "/auth/authorize?" + urlencode(kept))]
    if fresh:
        query.append(("fresh", "1"))
    if login_hint:
        query.append(("login_hint", login_hint))
    return "/web/login?" + urlencode(query)


_HTML: dict[str, object] = {"content": {"text/html": {}}}
RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "The consent page (HTML)", **_HTML},
    303: {
        "description": "To the sign-in page, or to the app's redirect URI with code or "
        "error, state and iss"
    },
    400: {
        "description": "Unknown client or redirect URI: an error page (HTML), never a redirect",
        **_HTML,
    },
    403: {"description": "The consent form failed the CSRF check (HTML)", **_HTML},
    413: {"description": "The request body is too large"},
}


def authorize_router(ctx: WebContext) -> APIRouter:
    """``GET /auth/authorize`` and ``POST /auth/authorize`` (a request, or the consent)."""
    router = APIRouter(prefix="/auth", tags=["oauth"])
    auth = ctx.auth
    issuer = auth.issuer

    def error_page(request: Request, exc: BadRedirect) -> Response:
        response = ctx.error_page(
            request,
            400,
            "Sign-in request refused",
            f"The app that sent you here could not be verified ({exc}), so you were not sent "
            "back to it. Go back to the app and try again, or tell its developers.",
        )
        return page_headers(response, None)

    def to_client(exc: AuthorizationError) -> Response:
        target = exc.redirect_uri or ""
        location = _to_client(
            target,
            {"error": exc.code, "error_description": str(exc), "state": exc.state, "iss": issuer},
        )
        return page_headers(RedirectResponse(location, status_code=303), None)

    def sso(request: Request) -> SsoSession | None:
        return auth.sso_session(request.cookies.get(ctx.names(request).sso))

    def consent_page(
        request: Request, req: AuthorizationRequest, scopes: Sequence[str], account: str
    ) -> Response:
        hidden = [(k, v) for k, v in req.params if k not in _FORM_ONLY]
        response = ctx.render(
            request,
            "consent.html",
            client_name=req.client.name,
            account=account,
            scopes=list(scopes),
            hidden=hidden,
            redirect_host=urlsplit(req.redirect_uri).netloc or req.redirect_uri,
        )
        return page_headers(response, req.redirect_uri)

    def handle(request: Request, params: list[tuple[str, str]]) -> Response:
        try:
            req = auth.authorization_request(params)
            session = sso(request)
            decision = auth.authorize(req, session)
        except BadRedirect as exc:
            return error_page(request, exc)
        except AuthorizationError as exc:
            return to_client(exc)
        if decision.kind == "login":
            url = login_url(params, fresh=decision.fresh, login_hint=req.login_hint)
            return page_headers(RedirectResponse(url, status_code=303), None)
        if decision.kind == "consent" and session is not None:
            return consent_page(request, req, decision.scopes, session.user.username)
        location = _to_client(
            req.redirect_uri, {"code": decision.code, "state": req.state, "iss": issuer}
        )
        return page_headers(RedirectResponse(location, status_code=303), None)

    def consent(request: Request, params: list[tuple[str, str]], allow: bool) -> Response:
        request_params = [(k, v) for k, v in params if k not in _FORM_ONLY]
        try:
            req = auth.authorization_request(request_params)
            session = sso(request)
            if session is None:
                url = login_url(request_params, fresh=False, login_hint=req.login_hint)
                return page_headers(RedirectResponse(url, status_code=303), None)
            code = auth.answer_consent(req, session, allow=allow)
        except BadRedirect as exc:
            return error_page(request, exc)
        except AuthorizationError as exc:
            return to_client(exc)
        location = _to_client(req.redirect_uri, {"code": code, "state": req.state, "iss": issuer})
        return page_headers(RedirectResponse(location, status_code=303), None)

    @router.get(
        "/authorize",
        summary="Authorization endpoint (RFC 6749 4.1.1)",
        response_class=Response,
        responses=RESPONSES,
    )
    async def authorize_get(request: Request) -> Response:
        """Starts the authorization code flow: ``response_type=code``, ``client_id``,
        ``redirect_uri``, ``scope``, ``state``, ``code_challenge`` with
        ``code_challenge_method=S256``, ``nonce``, ``prompt``, ``max_age``, ``login_hint``,
        ``resource``. Answers 303 to the sign-in page, a consent page, the error page (400),
        or a redirect to the app with ``code``, ``state`` and ``iss``."""
        params = list(request.query_params.multi_items())
        return await run_in_threadpool(handle, request, params)

    @router.post(
        "/authorize",
        summary="Authorization endpoint by form post, and consent",
        response_class=Response,
        responses=RESPONSES,
    )
    async def authorize_post(request: Request) -> Response:
        """The same request as a form post, or the consent page's answer (``decision`` =
        ``allow`` or ``deny``, with the CSRF token). Answers 303."""
        form = await request.form()
        params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        decisions = [v for k, v in params if k == "decision"]
        if not decisions:
            return await run_in_threadpool(handle, request, params)
        ctx.check_csrf(request, next((v for k, v in params if k == CSRF_FIELD), None))
        if decisions not in (["allow"], ["deny"]):
            return page_headers(
                ctx.error_page(request, 400, "Bad request", "Choose Allow or Deny."), None
            )
        return await run_in_threadpool(consent, request, params, decisions == ["allow"])

    return router
