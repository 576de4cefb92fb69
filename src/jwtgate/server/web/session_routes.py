"""Browser sign-in, sign-up, sign-out and the silent refresh.

Plain HTML forms with POST-redirect-GET, so they work without JavaScript. Only a same-origin
POST renews a session (rotates its refresh token): ``GET /web/session/refresh`` answers a page
whose form does it. ``POST /web/login`` and ``POST /web/session/refresh`` also speak JSON (for
a single-page app on an allowed origin): the tokens then go into cookies and the body carries
only lifetimes, never a token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from ... import InvalidToken
from ...auth.errors import (
    AuthError,
    Conflict,
    EmailNotVerified,
    InvalidGrant,
    InvalidRequest,
    RegistrationDisabled,
    Throttled,
    WeakPassword,
)
from ...auth.sso import BrowserSignIn
from ...auth.values import TokenPair
from ..routes.authorize import POPUP_COOP, form_action_source
from .context import AUTHORIZE_NEXT, WebContext, form_text, safe_next
from .cookies import (
    CSRF_HEADER,
    clear_session_cookies,
    csrf_token,
    set_session_cookies,
    set_sso_cookie,
)
from .middleware import csp_allowing_forms_to

__all__ = ["session_router"]

_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def _wants_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _form_post(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media in _FORM_TYPES


def _json_error(
    status: int, code: str, text: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        {"error": code, "error_description": text},
        status_code=status,
        headers={**_NO_STORE, **(headers or {})},
    )


def _client(request: Request) -> dict[str, str | None]:
    return {
        "client_ip": request.client.host if request.client else None,
        "user_agent": (request.headers.get("user-agent") or "")[:256] or None,
    }


def _token_body(pair: TokenPair) -> dict[str, Any]:
    return {
        "token_type": "cookie",
        "expires_in": pair.expires_in,
        "refresh_expires_in": pair.refresh_expires_in,
        "scope": pair.scope,
        "renewed": True,
    }


_RECENT = 10.0


def _fresh_for(claims: dict[str, Any] | None, now: float) -> int | None:
    """Seconds left on a valid access token issued moments ago (within a tenth of its life,
    at most 10 s), else None: a tab that asks right after another tab renewed gets the
    current lifetime instead of a second rotation."""
    if claims is None:
        return None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        return None
    if now - iat >= min(_RECENT, (exp - iat) / 10):
        return None
    return int(exp - now)


async def _json_credentials(ctx: WebContext, request: Request) -> tuple[str, str]:
    ctx.check_csrf(request, request.headers.get(CSRF_HEADER))
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidRequest("username and password must be strings")
    return username, password


def session_router(ctx: WebContext) -> APIRouter:
    """Routes: /web/, /web/login, /web/register, /web/csrf, and under /web/session (where the
    refresh cookie goes): refresh, logout, logout-all."""
    router = APIRouter(prefix="/web", include_in_schema=False)

    @router.get("/")
    def home(request: Request) -> Response:
        target = "/web/account" if ctx.claims(request) else "/web/login"
        return RedirectResponse(target, status_code=303)

    def _login_form(request: Request, status: int = 200, **values: Any) -> Response:
        """The sign-in page; when it resumes an authorization request, its CSP form-action
        also allows that app's redirect URI (the post ends in a redirect there)."""
        response = ctx.render(request, "login.html", status, **values)
        next_path = str(values.get("next") or "")
        if next_path.startswith(AUTHORIZE_NEXT):
            response.headers["cross-origin-opener-policy"] = POPUP_COOP
            params = parse_qsl(next_path[len(AUTHORIZE_NEXT) :], keep_blank_values=True)
            try:
                _, redirect_uri = ctx.auth.authorization_target(params)
            except AuthError:
                return response
            response.headers["content-security-policy"] = csp_allowing_forms_to(
                form_action_source(redirect_uri)
            )
        return response

    @router.get("/login")
    def login_page(
        request: Request,
        next: str | None = None,
        ended: int = 0,
        fresh: int = 0,
        login_hint: str | None = None,
    ) -> Response:
        target = safe_next(next)
        # An authorization request sends the browser here only when it has no sign-in (SSO)
        # session: show the form even if the access cookie is valid, or the two would
        # redirect to each other (a browser signed in before the SSO cookie existed).
        if ctx.claims(request) and not fresh and not target.startswith(AUTHORIZE_NEXT):
            return RedirectResponse(target, status_code=303)
        notice = "Your session has ended. Please sign in again." if ended else None
        if fresh:
            notice = "Please sign in again to continue."
        hint = login_hint[:256] if login_hint else None
        return _login_form(request, next=target, notice=notice, username=hint)

    def _login_failed(request: Request, exc: AuthError, username: str, next_path: str) -> Response:
        status, headers = 401, {}
        message = "Wrong username or password."
        unverified = isinstance(exc, EmailNotVerified)
        if unverified:
            status = 403
            message = (
                "Confirm your email address first: open the link in the mail we sent, "
                "or send a new one."
            )
        elif isinstance(exc, Throttled):
            status, headers = 429, {"retry-after": str(exc.retry_after)}
            message = (
                "Too many failed sign-in attempts. "
                f"Please wait {exc.retry_after} seconds before trying again."
            )
        elif not isinstance(exc, InvalidGrant):
            status, message = 400, str(exc)
        response = _login_form(
            request,
            status,
            error=message,
            username=username,
            next=next_path,
            unverified=unverified,
        )
        response.headers.update(headers)
        return response

    @router.post("/login")
    async def login(request: Request) -> Response:
        if _wants_json(request):
            return await _login_json(request)
        form = await ctx.checked_form(request)
        username = form_text(form, "username", strip=False)
        password = form_text(form, "password", strip=False)
        next_path = safe_next(form.get("next"))
        if not username or not password:
            return _login_form(
                request,
                400,
                error="Enter your username and password.",
                username=username,
                next=next_path,
            )
        try:
            signed_in = await run_in_threadpool(
                lambda: ctx.auth.browser_sign_in(username, password, **_client(request))
            )
        except AuthError as exc:
            return _login_failed(request, exc, username, next_path)
        response = ctx.redirect(next_path, conn=request)
        _set_cookies(response, signed_in, request)
        return response

    def _set_cookies(response: Response, signed_in: BrowserSignIn, request: Request) -> None:
        secure = ctx.secure(request)
        set_session_cookies(response, signed_in.pair, secure=secure)
        set_sso_cookie(
            response,
            signed_in.sso_token,
            max_age=ctx.settings.refresh_absolute_ttl,
            secure=secure,
        )

    async def _login_json(request: Request) -> Response:
        try:
            username, password = await _json_credentials(ctx, request)
            signed_in = await run_in_threadpool(
                lambda: ctx.auth.browser_sign_in(username, password, **_client(request))
            )
        except Throttled as exc:
            return _json_error(429, exc.code, str(exc), {"retry-after": str(exc.retry_after)})
        except InvalidGrant as exc:
            return _json_error(401, exc.code, str(exc))
        except EmailNotVerified as exc:
            return _json_error(403, exc.code, str(exc))
        except AuthError as exc:
            return _json_error(400, exc.code, str(exc))
        response = JSONResponse(_token_body(signed_in.pair), headers=_NO_STORE)
        _set_cookies(response, signed_in, request)
        return response

    @router.get("/register")
    def register_page(request: Request) -> Response:
        if not ctx.settings.allow_registration:
            return ctx.error_page(
                request, 404, "Not found", "Self sign-up is not enabled on this server."
            )
        return ctx.render(request, "register.html")

    @router.post("/register")
    async def register(request: Request) -> Response:
        form = await ctx.checked_form(request)
        username = form_text(form, "username", strip=False)
        email = form_text(form, "email") or None
        password = form_text(form, "password", strip=False)
        if password != form_text(form, "password_repeat", strip=False):
            return ctx.render(
                request,
                "register.html",
                400,
                username=username,
                email=email,
                error="The two passwords differ.",
            )
        try:
            await run_in_threadpool(
                lambda: ctx.auth.register(
                    username, password, email, client_ip=_client(request)["client_ip"]
                )
            )
        except RegistrationDisabled:
            return ctx.error_page(
                request, 404, "Not found", "Self sign-up is not enabled on this server."
            )
        except Throttled as exc:
            response = ctx.render(
                request,
                "register.html",
                429,
                username=username,
                email=email,
                error=f"Too many sign-ups from this address. Please wait {exc.retry_after} "
                "seconds before trying again.",
            )
            response.headers["retry-after"] = str(exc.retry_after)
            return response
        except (Conflict, WeakPassword, InvalidRequest) as exc:
            message = "That username is taken." if isinstance(exc, Conflict) else str(exc)
            return ctx.render(
                request, "register.html", 400, username=username, email=email, error=message
            )
        done = f"Account {username} created. You can sign in now."
        if email:
            done = f"Account {username} created. We sent a confirmation to {email}."
            if ctx.settings.require_verified_email:
                done += " Open its link to be able to sign in."
        return ctx.redirect("/web/login", conn=request, flash=done)

    def _session_claims(request: Request) -> dict[str, Any] | None:
        """The access cookie's claims; failing that (expired), those of a renewal through the
        refresh cookie, so "sign out everywhere" works on a page left open for hours."""
        claims = ctx.claims(request)
        token = request.cookies.get(ctx.names(request).refresh)
        if claims is not None or not token:
            return claims
        try:
            pair = ctx.auth.refresh(token, **_client(request))
            return ctx.auth.authenticate(pair.access_token)
        except (AuthError, InvalidToken):
            return None

    def _signed_out(request: Request, message: str) -> Response:
        response = ctx.redirect("/web/login", conn=request, flash=message)
        clear_session_cookies(response, secure=ctx.secure(request))
        return response

    @router.post("/session/logout")
    async def logout(request: Request) -> Response:
        """Sign out: revoke this browser's session, even when its access cookie has expired
        (the refresh cookie is sent here too), and clear the cookies."""
        await ctx.checked_form(request)
        claims = ctx.claims(request)
        token = request.cookies.get(ctx.names(request).refresh)
        if claims is not None:
            await run_in_threadpool(ctx.auth.logout, claims, token)
        elif token:
            await run_in_threadpool(ctx.auth.revoke, token, "refresh_token")
        return _signed_out(request, "You have signed out.")

    @router.post("/session/logout-all")
    async def logout_all(request: Request) -> Response:
        """Sign out every session of the signed-in user."""
        await ctx.checked_form(request)
        claims = await run_in_threadpool(_session_claims, request)
        if claims is None:
            return _signed_out(request, "Your session had already ended.")
        await run_in_threadpool(ctx.auth.logout_all, claims)
        return _signed_out(request, "You have signed out on every device.")

    @router.get("/session/refresh")
    async def refresh_page(request: Request, next: str | None = None) -> Response:
        """Where a page without a valid access cookie sends the browser: a GET changes
        nothing (an ``<img>`` on any page of the site can make one), so it answers a page
        whose form POSTs the renewal (submitted by app.js at once; a button without it)."""
        target = safe_next(next)
        if ctx.claims(request) is not None:  # another tab renewed the cookies meanwhile
            return RedirectResponse(target, status_code=303)
        if not request.cookies.get(ctx.names(request).refresh):
            return RedirectResponse(f"/web/login?next={quote(target)}", status_code=303)
        return ctx.render(request, "refresh.html", next=target)

    def _session_ended(request: Request, target: str) -> Response:
        response = RedirectResponse(f"/web/login?ended=1&next={quote(target)}", status_code=303)
        clear_session_cookies(response, secure=ctx.secure(request))
        return response

    async def _refresh_form(request: Request) -> Response:
        """The renewal form: same-origin POST (CSRF checked), rotate, back to ``next``."""
        form = await ctx.checked_form(request)
        target = safe_next(form.get("next"))
        if ctx.claims(request) is not None:
            return RedirectResponse(target, status_code=303)
        token = request.cookies.get(ctx.names(request).refresh)
        if not token:
            return RedirectResponse(f"/web/login?next={quote(target)}", status_code=303)
        try:
            pair = await run_in_threadpool(ctx.auth.refresh, token, **_client(request))
        except AuthError:
            return _session_ended(request, target)
        response = RedirectResponse(target, status_code=303)
        set_session_cookies(response, pair, secure=ctx.secure(request))
        return response

    @router.post("/session/refresh")
    async def refresh(request: Request) -> Response:
        """Renew the cookies: the form of the renewal page (form-encoded), or scripts
        (``X-CSRF-Token`` header; answers lifetimes, no token). Only a same-origin POST
        rotates the refresh token."""
        if _form_post(request):
            return await _refresh_form(request)
        ctx.check_csrf(request, request.headers.get(CSRF_HEADER))
        claims = ctx.claims(request)
        left = _fresh_for(claims, ctx.clock())
        if left is not None:
            # Another tab has just renewed the cookies: do not rotate again (the server's
            # reuse interval would answer the same successor, but there is nothing to do).
            return JSONResponse(
                {"token_type": "cookie", "expires_in": left, "renewed": False},
                headers=_NO_STORE,
            )
        token = request.cookies.get(ctx.names(request).refresh)
        if not token:
            return _json_error(401, "invalid_grant", "no refresh cookie")
        try:
            pair = await run_in_threadpool(ctx.auth.refresh, token, **_client(request))
        except AuthError as exc:
            response = _json_error(401, "invalid_grant", str(exc))
            clear_session_cookies(response, secure=ctx.secure(request))
            return response
        response = JSONResponse(_token_body(pair), headers=_NO_STORE)
        set_session_cookies(response, pair, secure=ctx.secure(request))
        return response

    @router.get("/csrf")
    def csrf(request: Request) -> Response:
        """The CSRF token for scripts (allowed origins read it through CORS)."""
        response = Response(media_type="application/json", headers=_NO_STORE)
        value = csrf_token(request, response, secure=ctx.secure(request))
        response.body = orjson.dumps({"csrf_token": value})
        response.headers["content-length"] = str(len(response.body))
        return response

    return router
