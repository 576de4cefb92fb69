"""My account (who, roles, sessions, change password) and the token inspector."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...auth.errors import AuthError, InvalidGrant, Throttled
from .context import WebContext, form_text
from .cookies import clear_session_cookies
from .inspector import inspect_token

__all__ = ["account_router"]


def account_router(ctx: WebContext) -> APIRouter:
    """Routes: /web/account, /web/account/password, /web/account/sessions/{sid}/revoke,
    /web/account/apps/{client_id}/revoke, /web/inspect."""
    router = APIRouter(prefix="/web", include_in_schema=False)

    def _account(request: Request, status_code: int = 200, **extra: object) -> Response:
        claims = ctx.require(request)
        me = ctx.auth.me(claims)
        now = ctx.clock()
        sessions = [
            s
            for s in ctx.auth.list_sessions(str(claims["sub"]))
            if s.active and s.expires_at.timestamp() > now
        ]
        names = {c.client_id: c.name for c in ctx.auth.list_clients()}
        apps_of: dict[str, list[str]] = {}
        for s in sessions:
            if s.sso_sid is not None and s.client_id is not None:
                apps_of.setdefault(s.sso_sid, []).append(names.get(s.client_id, s.client_id))
        return ctx.render(
            request,
            "account.html",
            status_code,
            user=claims,
            me=me,
            sessions=sessions,
            apps_of=apps_of,
            apps=ctx.auth.apps_with_access(str(claims["sub"])),
            current_sid=claims.get("sid"),
            **extra,
        )

    @router.get("/account")
    def account(request: Request) -> Response:
        return _account(request)

    @router.post("/account/password")
    async def change_password(request: Request) -> Response:
        form, claims = await ctx.action(request)
        new = form_text(form, "new_password", strip=False)
        if new != form_text(form, "new_password_repeat", strip=False):
            return await run_in_threadpool(
                _account,
                request,
                400,
                password_error="The two new passwords differ.",  # noqa: S106
            )
        try:
            await run_in_threadpool(
                ctx.auth.change_password,
                claims,
                form_text(form, "current_password", strip=False),
                new,
            )
        except InvalidGrant:
            message = "The current password is wrong."
            return await run_in_threadpool(_account, request, 400, password_error=message)
        except Throttled as exc:
            message = f"Too many wrong attempts. Please wait {exc.retry_after} seconds."
            response = await run_in_threadpool(_account, request, 429, password_error=message)
            response.headers["retry-after"] = str(exc.retry_after)
            return response
        except AuthError as exc:
            return await run_in_threadpool(_account, request, 400, password_error=str(exc))
        return ctx.redirect(
            "/web/account",
            conn=request,
            flash="Password changed. Your other sessions have been signed out.",
        )

    @router.post("/account/sessions/{sid}/revoke")
    async def revoke_own_session(request: Request, sid: str) -> Response:
        _, claims = await ctx.action(request)
        own = await run_in_threadpool(ctx.auth.list_sessions, str(claims["sub"]))
        # Only the caller's own sessions: another user's sid answers as if it did not exist.
        if not any(s.sid == sid for s in own):
            return ctx.error_page(request, 404, "Not found", "No such session.")
        # A sign-out by the user (audited as "logout"); the service checks the owner again.
        await run_in_threadpool(ctx.auth.logout, {"sub": claims["sub"], "sid": sid})
        if sid == claims.get("sid"):
            response = ctx.redirect("/web/login", conn=request, flash="You have signed out.")
            clear_session_cookies(response, secure=ctx.secure(request))
            return response
        return ctx.redirect("/web/account", conn=request, flash="That session has been signed out.")

    @router.post("/account/apps/{client_id}/revoke")
    async def revoke_app(request: Request, client_id: str) -> Response:
        """Withdraw an app's access: its consent, and its sessions of this user."""
        _, claims = await ctx.action(request)
        removed = await run_in_threadpool(
            ctx.auth.withdraw_consent, str(claims["sub"]), client_id[:64]
        )
        if not removed:
            return ctx.error_page(request, 404, "Not found", "That app has no access.")
        return ctx.redirect(
            "/web/account", conn=request, flash="Access withdrawn; that app has been signed out."
        )

    @router.get("/inspect")
    def inspect_page(request: Request) -> Response:
        return _no_store(ctx.render(request, "inspect.html", result=None))

    @router.post("/inspect")
    async def inspect(request: Request) -> Response:
        form = await ctx.checked_form(request)
        token = form.get("token", "")
        if len(token) > ctx.settings.max_token_size:
            return _no_store(
                ctx.render(
                    request,
                    "inspect.html",
                    400,
                    result=None,
                    error=f"That is longer than {ctx.settings.max_token_size} characters, "
                    "the largest token this server accepts.",
                )
            )
        result = await run_in_threadpool(
            lambda: inspect_token(
                token,
                auth=ctx.auth,
                audience=ctx.settings.audience,
                now=ctx.clock(),
                leeway=ctx.settings.leeway,
            )
        )
        # The token is not echoed back into the form: the page shows what it says, not it.
        return _no_store(ctx.render(request, "inspect.html", result=result))

    return router


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response
