"""``GET/POST /auth/end-session``: RP-initiated logout (OpenID Connect RP-Initiated Logout
1.0). Thin: the rules are in :mod:`jwtgate.auth.oidc.logout`.

With a valid ``id_token_hint`` (and a registered ``post_logout_redirect_uri``, or none) the
user is signed out at once and sent back with ``state``; otherwise a confirmation page asks
first (hidden ``csrf_token``, ``decision=logout``), and only a registered URI of the client
the request names is ever redirected to. The browser's session cookies are cleared.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...auth.oauth.authorize import SsoSession
from ...auth.oidc.logout import LogoutRequest
from ..web.context import WebContext
from ..web.cookies import CSRF_FIELD, clear_session_cookies
from .authorize import page_headers

__all__ = ["end_session_router"]

_MAX_FIELDS = 16
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "The confirmation page, or the signed-out page (HTML)", **_HTML},
    303: {"description": "Signed out: to the registered post_logout_redirect_uri with state"},
    400: {"description": "A confirmation answer other than decision=logout (HTML)", **_HTML},
    403: {"description": "The confirmation failed the CSRF check (HTML)", **_HTML},
    413: {"description": "The request body is too large"},
}


def end_session_router(ctx: WebContext) -> APIRouter:
    """``GET /auth/end-session`` and ``POST /auth/end-session`` (a request, or the answer)."""
    router = APIRouter(prefix="/auth", tags=["oidc"])
    auth = ctx.auth

    def sso(request: Request) -> SsoSession | None:
        return auth.sso_session(request.cookies.get(ctx.names(request).sso))

    def confirm_page(request: Request, req: LogoutRequest) -> Response:
        response = ctx.render(
            request,
            "end_session.html",
            client_name=req.client_name,
            hidden=list(req.params),
            redirects=req.redirect_uri is not None,
        )
        return page_headers(response, req.redirect_uri)

    def sign_out(request: Request, req: LogoutRequest, session: SsoSession | None) -> Response:
        count = auth.end_session(req, session)
        if req.redirect_uri is not None:
            query = urlencode({"state": req.state} if req.state is not None else {})
            sep = "&" if "?" in req.redirect_uri else "?"
            target = req.redirect_uri + (sep + query if query else "")
            response: Response = RedirectResponse(target, status_code=303)
        else:
            response = ctx.render(request, "signed_out.html", user=None, count=count)
        clear_session_cookies(response, secure=ctx.secure(request))
        return page_headers(response, None)

    def handle(request: Request, params: list[tuple[str, str]], confirmed: bool) -> Response:
        session = sso(request)
        req = auth.logout_request(params, session)
        if req.confirm and not confirmed:
            return confirm_page(request, req)
        return sign_out(request, req, session)

    @router.get(
        "/end-session",
        summary="RP-initiated logout (OpenID Connect)",
        response_class=Response,
        responses=RESPONSES,
    )
    async def end_session_get(request: Request) -> Response:
        """``id_token_hint``, ``client_id``, ``post_logout_redirect_uri`` (registered, exact),
        ``state``. Signs out at once with a valid hint, else asks first."""
        params = list(request.query_params.multi_items())[:_MAX_FIELDS]
        return await run_in_threadpool(handle, request, params, False)

    @router.post(
        "/end-session",
        summary="RP-initiated logout by form post, and its answer",
        response_class=Response,
        responses=RESPONSES,
    )
    async def end_session_post(request: Request) -> Response:
        """The same request as a form post, or the confirmation page's answer
        (``decision=logout`` with the CSRF token)."""
        form = await request.form(max_files=0, max_fields=_MAX_FIELDS + 2)
        params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        decisions = [v for k, v in params if k == "decision"]
        if not decisions:
            return await run_in_threadpool(handle, request, params, False)
        ctx.check_csrf(request, next((v for k, v in params if k == CSRF_FIELD), None))
        if decisions != ["logout"]:
            page = ctx.error_page(request, 400, "Bad request", "Choose Sign out or stay.")
            return page_headers(page, None)
        request_params = [(k, v) for k, v in params if k not in (CSRF_FIELD, "decision")]
        return await run_in_threadpool(handle, request, request_params, True)

    return router
