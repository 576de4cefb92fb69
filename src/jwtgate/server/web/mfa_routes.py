"""The second step of the web sign-in and the factor pages of the account.

After the right password, a user with a factor gets the second-step page (a TOTP code or a
recovery code), a user who must enrol gets the enrolment page (the QR code drawn by the
server as inline SVG, the secret as text, a first code). The ``mfa_token`` travels in a
hidden field of these pages (never in a URL), which answer ``no-store``. On the account page
the user sets up, replaces or removes the authenticator app and regenerates recovery codes;
each needs a recent sign-in (``JWTGATE_REAUTH_MAX_AGE``), with the factor once there is one.
Plain forms: no script is needed, as the CSP allows none inline.
"""

from __future__ import annotations

from dataclasses import asdict

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from ...auth.errors import (
    AuthError,
    InsufficientUserAuthentication,
    MfaEnrollmentRequired,
    MfaRequired,
    Throttled,
)
from ...auth.sso import new_sso_token
from ...auth.values import TokenPair
from .context import WebContext, form_text, safe_next
from .cookies import set_session_cookies, set_sso_cookie

__all__ = ["mfa_router", "second_step_page"]

_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
MAX_CREDENTIAL = 16 * 1024
_REAUTH = "For your safety, sign in again (with your second factor, if you have one) first."


def _client(request: Request) -> dict[str, str | None]:
    return {
        "ip": request.client.host if request.client else None,
        "user_agent": (request.headers.get("user-agent") or "")[:256] or None,
    }


def second_step_page(
    ctx: WebContext,
    request: Request,
    step: MfaRequired | MfaEnrollmentRequired,
    next_path: str,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    """The page after a right password: the code form, or enrolment."""
    if isinstance(step, MfaRequired):
        response = ctx.render(
            request,
            "login_mfa.html",
            status_code,
            mfa_token=step.mfa_token,
            methods=step.methods,
            webauthn=step.webauthn,
            next=next_path,
            error=error,
        )
    else:
        enrolment = ctx.auth.mfa.enrol_start(step.mfa_token)
        response = ctx.render(
            request,
            "login_enrol.html",
            status_code,
            mfa_token=step.mfa_token,
            enrolment=asdict(enrolment),
            next=next_path,
            error=error,
        )
    response.headers.update(_NO_STORE)
    return response


def _credential(form: dict[str, str]) -> object:
    """The ``credential`` field (the JSON app.js put there), or None; bounded."""
    text = form.get("credential", "")
    if not text or len(text) > MAX_CREDENTIAL:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _failure(exc: AuthError) -> tuple[int, str, dict[str, str]]:
    if isinstance(exc, Throttled):
        text = f"Too many wrong codes. Please wait {exc.retry_after} seconds."
        return 429, text, {"retry-after": str(exc.retry_after)}
    return 401, "That code is wrong or was already used.", {}


def mfa_router(ctx: WebContext) -> APIRouter:
    """Routes: /web/login/mfa, /web/login/enrol, /web/account/mfa/*."""
    router = APIRouter(prefix="/web", include_in_schema=False)

    def signed_in(response: Response, pair: TokenPair, sso_token: str, request: Request) -> None:
        # The browser's sign-in session too, so /auth/authorize knows this sign-in (its acr).
        secure = ctx.secure(request)
        set_session_cookies(response, pair, secure=secure)
        set_sso_cookie(
            response, sso_token, max_age=ctx.settings.refresh_absolute_ttl, secure=secure
        )

    @router.post("/login/mfa")
    async def login_mfa(request: Request) -> Response:
        form = await ctx.checked_form(request)
        token = form_text(form, "mfa_token")
        method = form_text(form, "method") or "totp"
        next_path = safe_next(form.get("next"))
        proof = _credential(form) if method == "webauthn" else form_text(form, "code")
        sso_token, sso_hash = new_sso_token()
        try:
            pair = await run_in_threadpool(
                lambda: ctx.auth.mfa.login(
                    token, method, proof, sso_hash=sso_hash, **_client(request)
                )
            )
        except AuthError as exc:
            status, text, headers = _failure(exc)
            try:
                methods = ctx.auth.mfa.pending_methods(token)  # the same token, still usable?
            except AuthError:
                return ctx.redirect(
                    "/web/login", conn=request, flash="That sign-in has expired. Start again."
                )
            step = MfaRequired(token, methods)
            response = second_step_page(
                ctx, request, step, next_path, status_code=status, error=text
            )
            response.headers.update(headers)
            return response
        response = ctx.redirect(next_path, conn=request)
        signed_in(response, pair, sso_token, request)
        return response

    @router.post("/login/passkey")
    async def login_passkey(request: Request) -> Response:
        form = await ctx.checked_form(request)
        next_path = safe_next(form.get("next"))
        sso_token, sso_hash = new_sso_token()
        try:
            pair = await run_in_threadpool(
                lambda: ctx.auth.mfa.passwordless(
                    _credential(form), sso_hash=sso_hash, **_client(request)
                )
            )
        except AuthError:
            return ctx.redirect(
                "/web/login", conn=request, flash="That passkey did not sign you in."
            )
        response = ctx.redirect(next_path, conn=request)
        signed_in(response, pair, sso_token, request)
        return response

    @router.post("/login/enrol")
    async def login_enrol(request: Request) -> Response:
        form = await ctx.checked_form(request)
        token = form_text(form, "mfa_token")
        next_path = safe_next(form.get("next"))
        sso_token, sso_hash = new_sso_token()
        try:
            done = await run_in_threadpool(
                lambda: ctx.auth.mfa.enrol_confirm(
                    token, form_text(form, "code"), sso_hash=sso_hash, **_client(request)
                )
            )
        except AuthError as exc:
            status, text, headers = _failure(exc)
            response = ctx.render(
                request,
                "login_enrol.html",
                status,
                mfa_token=token,
                enrolment=None,
                next=next_path,
                error=text + " Enter the code your app shows now.",
            )
            response.headers.update({**_NO_STORE, **headers})
            return response
        response = ctx.render(
            request, "recovery_codes.html", codes=done.recovery_codes, next=next_path
        )
        response.headers.update(_NO_STORE)
        signed_in(response, done.tokens, sso_token, request)
        return response

    # -- the account's factors -----------------------------------------------------------------

    @router.get("/account/mfa")
    def factors_page(request: Request) -> Response:
        claims = ctx.require(request)
        response = ctx.render(request, "account_mfa.html", status=ctx.auth.mfa.status(claims))
        response.headers.update(_NO_STORE)
        return response

    @router.post("/account/mfa/totp")
    async def totp_start(request: Request) -> Response:
        _, claims = await ctx.action(request)
        try:
            enrolment = await run_in_threadpool(ctx.auth.mfa.totp_start, claims)
        except InsufficientUserAuthentication:
            return ctx.redirect("/web/account/mfa", conn=request, flash=_REAUTH)
        except AuthError as exc:
            return ctx.redirect("/web/account/mfa", conn=request, flash=str(exc))
        response = ctx.render(request, "account_totp.html", enrolment=asdict(enrolment))
        response.headers.update(_NO_STORE)
        return response

    @router.post("/account/mfa/totp/confirm")
    async def totp_confirm(request: Request) -> Response:
        form, claims = await ctx.action(request)
        try:
            codes = await run_in_threadpool(
                ctx.auth.mfa.totp_confirm,
                claims,
                form_text(form, "code"),
                ip=_client(request)["ip"],
            )
        except InsufficientUserAuthentication:
            return ctx.redirect("/web/account/mfa", conn=request, flash=_REAUTH)
        except AuthError as exc:
            _, text, _ = _failure(exc)
            return ctx.redirect(
                "/web/account/mfa", conn=request, flash=text + " Set up the app again."
            )
        response = ctx.render(request, "recovery_codes.html", codes=codes, next="/web/account/mfa")
        response.headers.update(_NO_STORE)
        return response

    @router.post("/account/mfa/totp/delete")
    async def totp_delete(request: Request) -> Response:
        _, claims = await ctx.action(request)
        try:
            await run_in_threadpool(ctx.auth.mfa.totp_delete, claims)
        except InsufficientUserAuthentication:
            return ctx.redirect("/web/account/mfa", conn=request, flash=_REAUTH)
        except AuthError as exc:
            return ctx.redirect("/web/account/mfa", conn=request, flash=str(exc))
        return ctx.redirect("/web/account/mfa", conn=request, flash="Authenticator app removed.")

    @router.post("/account/mfa/passkeys/options")
    async def passkey_options(request: Request) -> Response:
        _, claims = await ctx.action(request)
        try:
            options = await run_in_threadpool(ctx.auth.mfa.webauthn_register_options, claims)
        except AuthError as exc:
            return JSONResponse(
                {"error": exc.code, "error_description": str(exc)}, 401, headers=_NO_STORE
            )
        return JSONResponse(options, headers=_NO_STORE)

    @router.post("/account/mfa/passkeys")
    async def passkey_add(request: Request) -> Response:
        form, claims = await ctx.action(request)
        try:
            await run_in_threadpool(
                ctx.auth.mfa.webauthn_register, claims, _credential(form), form_text(form, "name")
            )
        except InsufficientUserAuthentication:
            return ctx.redirect("/web/account/mfa", conn=request, flash=_REAUTH)
        except AuthError as exc:
            return ctx.redirect("/web/account/mfa", conn=request, flash=str(exc))
        return ctx.redirect("/web/account/mfa", conn=request, flash="Passkey added.")

    @router.post("/account/mfa/passkeys/{factor_id}/delete")
    async def passkey_delete(request: Request, factor_id: str) -> Response:
        _, claims = await ctx.action(request)
        try:
            await run_in_threadpool(ctx.auth.mfa.webauthn_delete, claims, factor_id)
        except InsufficientUserAuthentication:
            return ctx.redirect("/web/account/mfa", conn=request, flash=_REAUTH)
        except AuthError as exc:
            return ctx.redirect("/web/account/mfa", conn=request, flash=str(exc))
        return ctx.redirect("/web/account/mfa", conn=request, flash="Passkey removed.")

    @router.post("/account/mfa/recovery-codes")
    async def recovery_codes(request: Request) -> Response:
        _, claims = await ctx.action(request)
        try:
            codes = await run_in_threadpool(
                ctx.auth.mfa.regenerate_codes, claims, ip=_client(request)["ip"]
            )
        except InsufficientUserAuthentication:
            return ctx.redirect("/web/account/mfa", conn=request, flash=_REAUTH)
        except AuthError as exc:
            return ctx.redirect("/web/account/mfa", conn=request, flash=str(exc))
        response = ctx.render(request, "recovery_codes.html", codes=codes, next="/web/account/mfa")
        response.headers.update(_NO_STORE)
        return response

    return router
