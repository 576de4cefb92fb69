"""The account-email pages: forgot password, reset, verify an address, accept an invitation,
and the account's address (verify it, change it).

A link from a mail opens a page with a button; only the button's POST uses the token, so a
mail scanner that fetches links burns nothing. Pages that carry a token in their URL are sent
with ``no-store``; like every page, with ``Referrer-Policy: same-origin``, so the token never
leaves in a Referer to another site (and ``no-referrer`` would make the form's own POST carry
``Origin: null``, which the CSRF check rightly refuses).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...auth.accounts.flows import VERIFY_PURPOSES, BadLink
from ...auth.errors import AuthError, InvalidGrant, Throttled, WeakPassword
from .context import WebContext, form_text

__all__ = ["email_router"]

_TOKEN_PAGE = {"cache-control": "no-store"}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def email_router(ctx: WebContext) -> APIRouter:
    """Routes: /web/password/forgot, /web/password/reset, /web/invite, /web/email/verify,
    /web/email/verify/request, /web/account/email."""
    router = APIRouter(prefix="/web", include_in_schema=False)

    class _Mail:
        # Looked up per request: the web layer's tests run on a fake service.
        def __getattr__(self, name: str) -> Any:
            return getattr(ctx.auth.account_email, name)

    mail = _Mail()

    def page(request: Request, template: str, status: int = 200, **values: object) -> Response:
        response = ctx.render(request, template, status, **values)
        response.headers.update(_TOKEN_PAGE)
        return response

    def throttled(request: Request, exc: Throttled) -> Response:
        response = ctx.error_page(
            request,
            429,
            "Too many requests",
            f"Too many requests from your address. Please wait {exc.retry_after} seconds.",
        )
        response.headers["retry-after"] = str(exc.retry_after)
        return response

    def bad_link(request: Request, template: str) -> Response:
        return page(
            request,
            template,
            400,
            invalid=True,
            error="This link or code is not valid any more: it was used, replaced by a newer "
            "one, or has expired.",
        )

    # -- forgot and reset -------------------------------------------------------------------

    @router.get("/password/forgot")
    def forgot_page(request: Request) -> Response:
        return ctx.render(request, "password_forgot.html")

    @router.post("/password/forgot")
    async def forgot(request: Request) -> Response:
        form = await ctx.checked_form(request)
        login = form_text(form, "login")
        if not login:
            return ctx.render(
                request, "password_forgot.html", 400, error="Enter your username or email."
            )
        try:
            await run_in_threadpool(mail.forgot, login, ip=_ip(request))
        except Throttled as exc:
            return throttled(request, exc)
        except AuthError as exc:
            return ctx.render(request, "password_forgot.html", 400, error=str(exc), login=login)
        return ctx.render(request, "password_forgot.html", sent=True, login=login)

    @router.get("/password/reset")
    def reset_page(request: Request, token: str | None = None) -> Response:
        if token is None:  # enter the code from the mail instead
            return page(request, "password_reset.html", token=None)
        try:
            user = mail.check_link(("reset",), token)
        except BadLink:
            return bad_link(request, "password_reset.html")
        return page(request, "password_reset.html", token=token, username=user.username)

    async def _set_password(request: Request, template: str, purposes: tuple[str, ...]) -> Response:
        form = await ctx.checked_form(request)
        token = form_text(form, "token") or None
        code, login = form_text(form, "code") or None, form_text(form, "login") or None
        new = form_text(form, "new_password", strip=False)
        keep = {"token": token, "login": login}
        if new != form_text(form, "new_password_repeat", strip=False):
            return page(request, template, 400, error="The two passwords differ.", **keep)
        if token is None and (code is None or login is None):
            return page(request, template, 400, error="Enter your username and the code.", **keep)
        try:
            if token is not None:
                await run_in_threadpool(mail.check_link, purposes, token)
            await run_in_threadpool(
                lambda: mail.reset(new, token=token, code=code, login=login, ip=_ip(request))
            )
        except Throttled as exc:
            return throttled(request, exc)
        except InvalidGrant:
            return bad_link(request, template)
        except WeakPassword as exc:
            return page(request, template, 400, error=str(exc), **keep)
        except AuthError as exc:
            return page(request, template, 400, error=str(exc), **keep)
        return ctx.redirect(
            "/web/login", conn=request, flash="Your password is set. You can sign in with it now."
        )

    @router.post("/password/reset")
    async def reset(request: Request) -> Response:
        return await _set_password(request, "password_reset.html", ("reset",))

    @router.get("/invite")
    def invite_page(request: Request, token: str | None = None) -> Response:
        try:
            user = mail.check_link(("invite",), token or "")
        except BadLink:
            return bad_link(request, "invite.html")
        return page(request, "invite.html", token=token, username=user.username)

    @router.post("/invite")
    async def accept_invite(request: Request) -> Response:
        return await _set_password(request, "invite.html", ("invite",))

    # -- address verification ---------------------------------------------------------------

    @router.get("/email/verify")
    def verify_page(request: Request, token: str | None = None) -> Response:
        if token is None:
            return page(request, "email_verify.html", token=None, signed_in=ctx.claims(request))
        try:
            user = mail.check_link(VERIFY_PURPOSES, token)
        except BadLink:
            return bad_link(request, "email_verify.html")
        return page(request, "email_verify.html", token=token, username=user.username)

    @router.post("/email/verify")
    async def verify(request: Request) -> Response:
        form = await ctx.checked_form(request)
        token = form_text(form, "token") or None
        code = form_text(form, "code") or None
        claims = ctx.claims(request) if token is None else None
        if token is None and (code is None or claims is None):
            return page(
                request,
                "email_verify.html",
                400,
                error="Sign in and enter the code.",
                signed_in=claims,
            )
        try:
            await run_in_threadpool(
                lambda: mail.verify(token=token, code=code, claims=claims, ip=_ip(request))
            )
        except Throttled as exc:
            return throttled(request, exc)
        except InvalidGrant:
            return bad_link(request, "email_verify.html")
        target = "/web/account" if ctx.claims(request) else "/web/login"
        return ctx.redirect(target, conn=request, flash="Your email address is confirmed.")

    @router.post("/email/verify/request")
    async def verify_request(request: Request) -> Response:
        """Resend a verification mail: for the signed-in user, or by login from the sign-in
        page (the same answer whatever the account)."""
        form = await ctx.checked_form(request)
        claims = ctx.claims(request)
        try:
            if claims is not None:
                await run_in_threadpool(mail.request_verification, claims, ip=_ip(request))
            else:
                login = form_text(form, "login")
                await run_in_threadpool(mail.request_verification_for, login, ip=_ip(request))
        except Throttled as exc:
            return throttled(request, exc)
        except AuthError as exc:
            return ctx.error_page(request, 400, "Not sent", str(exc))
        return ctx.render(request, "email_sent.html")

    # -- the account's address --------------------------------------------------------------

    def _email_page(request: Request, status: int = 200, **values: object) -> Response:
        claims = ctx.require(request)
        user = ctx.auth.get_user(str(claims["sub"]))
        return ctx.render(
            request, "account_email.html", status, user=claims, account=user, **values
        )

    @router.get("/account/email")
    def email_page(request: Request) -> Response:
        return _email_page(request)

    @router.post("/account/email")
    async def change_email(request: Request) -> Response:
        form, claims = await ctx.action(request)
        new = form_text(form, "email")
        password = form_text(form, "current_password", strip=False)
        try:
            await run_in_threadpool(
                lambda: mail.change_email(claims, new, password, ip=_ip(request))
            )
        except Throttled as exc:
            return throttled(request, exc)
        except InvalidGrant:
            return await run_in_threadpool(
                _email_page, request, 400, error="The current password is wrong.", email=new
            )
        except AuthError as exc:
            return await run_in_threadpool(_email_page, request, 400, error=str(exc), email=new)
        return ctx.redirect(
            "/web/account/email",
            conn=request,
            flash=f"We sent a confirmation to {new}. Your address changes once you confirm it.",
        )

    return router
