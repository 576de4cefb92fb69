"""The admin console (role ``admin``): users and their sessions, signing keys, OAuth clients,
and the audit log. Every action is a plain form post that the auth service carries out and
audits; this module only translates between forms and the service.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...auth.errors import AuthError, Conflict, NotFound
from ...auth.oauth import ClientMetadata
from ...auth.values import Page
from .context import WebContext, form_text

__all__ = ["ROTATION_ALGORITHMS", "admin_router", "split_words"]

ROLE = "admin"
ROTATION_ALGORITHMS = ("ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256")
_WORDS = re.compile(r"[\s,]+")


def split_words(text: str) -> list[str]:
    """Roles or scopes typed as "a, b c": split on commas and spaces, drop empties and repeats."""
    out: list[str] = []
    for word in _WORDS.split(text.strip()):
        if word and word not in out:
            out.append(word)
    return out


def _message(exc: AuthError) -> str:
    if isinstance(exc, Conflict):
        return "That username is taken."
    return str(exc)


def admin_router(ctx: WebContext) -> APIRouter:
    """Routes under /web/admin: users, users/{id}, sessions, keys, clients, events."""
    router = APIRouter(prefix="/web/admin", include_in_schema=False)

    def users_page(request: Request, status_code: int = 200, **extra: Any) -> Response:
        claims = ctx.require(request, ROLE)
        q = (request.query_params.get("q") or "").strip()[:200] or None
        cursor = request.query_params.get("cursor") or None
        try:
            page = ctx.auth.list_users(cursor=cursor, limit=50, q=q)
        except AuthError as exc:
            page, status_code = Page((), None), 400
            extra.setdefault("error", str(exc))
        return ctx.render(
            request, "admin_users.html", status_code, user=claims, page=page, q=q or "", **extra
        )

    @router.get("")
    @router.get("/")
    @router.get("/users")
    def users(request: Request) -> Response:
        return users_page(request)

    @router.post("/users")
    async def create_user(request: Request) -> Response:
        form, claims = await ctx.action(request, ROLE)
        username = form_text(form, "username")
        roles = split_words(form_text(form, "roles", strip=False))
        email = form_text(form, "email") or None
        invite = form.get("invite") == "yes"
        try:
            created = await run_in_threadpool(
                lambda: ctx.auth.create_user(
                    username,
                    "" if invite else form_text(form, "password", strip=False),
                    roles=roles,
                    email=email,
                    actor=claims,
                    email_verified=form.get("email_verified") == "yes",
                    invite=invite,
                )
            )
        except AuthError as exc:
            values = {"username": username, "roles": " ".join(roles), "email": email or ""}
            return await run_in_threadpool(
                users_page, request, 400, create_error=_message(exc), form=values
            )
        return ctx.redirect(
            f"/web/admin/users/{created.id}",
            conn=request,
            flash=f"User {created.username} created."
            + (f" An invitation is on its way to {created.email}." if invite else ""),
        )

    def user_page(request: Request, user_id: str, status_code: int = 200, **extra: Any) -> Response:
        claims = ctx.require(request, ROLE)
        try:
            target = ctx.auth.get_user(user_id)
            sessions = ctx.auth.list_sessions(user_id)
        except AuthError:  # NotFound, or an id that cannot be one (InvalidRequest)
            return ctx.error_page(request, 404, "Not found", "No such user.")
        return ctx.render(
            request,
            "admin_user.html",
            status_code,
            user=claims,
            target=target,
            sessions=sessions,
            invitation=ctx.auth.account_email.invitation_pending(target.id),
            **extra,
        )

    @router.get("/users/{user_id}")
    def user(request: Request, user_id: str) -> Response:
        return user_page(request, user_id)

    @router.post("/users/{user_id}")
    async def update_user(request: Request, user_id: str) -> Response:
        """One form per change: ``action`` is roles, disable, enable or password."""
        form, claims = await ctx.action(request, ROLE)
        action = form.get("action")
        changes: dict[str, Any]
        if action == "roles":
            changes = {"roles": split_words(form_text(form, "roles", strip=False))}
            done = "Roles saved; the user's sessions were signed out."
        elif action in ("disable", "enable"):
            changes = {"disabled": action == "disable"}
            done = (
                "User disabled; every session was signed out."
                if action == "disable"
                else ("User enabled.")
            )
        elif action == "password":
            changes = {"password": form_text(form, "password", strip=False)}
            done = "Password set; the user's sessions were signed out."
        elif action == "email":
            changes = {
                "email": form_text(form, "email") or None,
                "email_verified": form.get("email_verified") == "yes",
            }
            done = "Email address saved."
        elif action in ("invite", "uninvite"):
            return await _invitation(request, user_id, action == "invite", claims)
        else:
            return await run_in_threadpool(
                user_page, request, user_id, 400, error="Unknown action."
            )
        try:
            await run_in_threadpool(lambda: ctx.auth.update_user(user_id, **changes, actor=claims))
        except AuthError as exc:
            status = 404 if isinstance(exc, NotFound) else 400
            return await run_in_threadpool(user_page, request, user_id, status, error=_message(exc))
        return ctx.redirect(f"/web/admin/users/{user_id}", conn=request, flash=done)

    async def _invitation(
        request: Request, user_id: str, send: bool, claims: dict[str, Any]
    ) -> Response:
        mail = ctx.auth.account_email
        try:
            if send:
                await run_in_threadpool(lambda: mail.invite(user_id, actor=claims))
            else:
                await run_in_threadpool(lambda: mail.revoke_invite(user_id, actor=claims))
        except AuthError as exc:
            status = 404 if isinstance(exc, NotFound) else 400
            return await run_in_threadpool(user_page, request, user_id, status, error=_message(exc))
        done = "Invitation sent; an earlier one stops working." if send else "Invitation revoked."
        return ctx.redirect(f"/web/admin/users/{user_id}", conn=request, flash=done)

    @router.post("/users/{user_id}/delete")
    async def delete_user(request: Request, user_id: str) -> Response:
        form, claims = await ctx.action(request, ROLE)
        if form.get("confirm") != "yes":
            return await run_in_threadpool(
                user_page, request, user_id, 400, error="Tick the box to confirm the deletion."
            )
        try:
            await run_in_threadpool(lambda: ctx.auth.delete_user(user_id, actor=claims))
        except AuthError:
            return ctx.redirect("/web/admin/users", conn=request, flash="No such user.")
        return ctx.redirect("/web/admin/users", conn=request, flash="User deleted.")

    @router.post("/sessions/{sid}/revoke")
    async def revoke_session(request: Request, sid: str) -> Response:
        form, claims = await ctx.action(request, ROLE)
        back = form.get("user_id", "")
        target = f"/web/admin/users/{back}" if back.isalnum() else "/web/admin/users"
        try:
            await run_in_threadpool(lambda: ctx.auth.revoke_session(sid, actor=claims))
        except AuthError:
            return ctx.redirect(target, conn=request, flash="No such session.")
        return ctx.redirect(target, conn=request, flash="Session signed out.")

    def keys_page(request: Request, status_code: int = 200, **extra: Any) -> Response:
        claims = ctx.require(request, ROLE)
        return ctx.render(
            request,
            "admin_keys.html",
            status_code,
            user=claims,
            keys=ctx.auth.list_keys(),
            algorithms=ROTATION_ALGORITHMS,
            default_alg=ctx.settings.algorithm,
            **extra,
        )

    @router.get("/keys")
    def keys(request: Request) -> Response:
        return keys_page(request)

    @router.post("/keys/rotate")
    async def rotate(request: Request) -> Response:
        form, claims = await ctx.action(request, ROLE)
        alg = form.get("alg") or None
        try:
            info = await run_in_threadpool(lambda: ctx.auth.rotate_key(alg, actor=claims))
        except AuthError as exc:
            return await run_in_threadpool(keys_page, request, 400, error=str(exc))
        return ctx.redirect(
            "/web/admin/keys", conn=request, flash=f"Key {info.kid} ({info.alg}) now signs."
        )

    def clients_page(request: Request, status_code: int = 200, **extra: Any) -> Response:
        claims = ctx.require(request, ROLE)
        return ctx.render(
            request,
            "admin_clients.html",
            status_code,
            user=claims,
            clients=ctx.auth.list_clients(),
            **extra,
        )

    @router.get("/clients")
    def clients(request: Request) -> Response:
        return clients_page(request)

    @router.post("/clients")
    async def create_client(request: Request) -> Response:
        form, claims = await ctx.action(request, ROLE)
        name = form_text(form, "name")
        if not name:
            return await run_in_threadpool(
                clients_page, request, 400, error="Give the client a name."
            )
        public = form.get("type") == "public"
        meta = ClientMetadata(
            scopes=split_words(form_text(form, "scopes", strip=False)),
            redirect_uris=form.get("redirect_uris", "")[:8192].split(),  # URIs may hold commas
            audiences=split_words(form_text(form, "audiences", strip=False)),
            first_party=form.get("first_party") == "on",
        )
        try:
            client, secret = await run_in_threadpool(
                lambda: ctx.auth.create_client(name, public=public, meta=meta, actor=claims)
            )
        except AuthError as exc:
            return await run_in_threadpool(clients_page, request, 400, error=str(exc))
        # Shown once, on this response (not a redirect): the secret is never stored in clear.
        return await run_in_threadpool(clients_page, request, 201, created=client, secret=secret)

    @router.post("/clients/{client_id}/{action}")
    async def client_action(request: Request, client_id: str, action: str) -> Response:
        """Disable, enable, delete a client or rotate its secret (each audited)."""
        _, claims = await ctx.action(request, ROLE)
        client_id = client_id[:64]
        try:
            if action in ("disable", "enable"):
                client = await run_in_threadpool(
                    lambda: ctx.auth.update_client(
                        client_id, ClientMetadata(disabled=action == "disable"), actor=claims
                    )
                )
                done = (
                    "disabled: its sessions and tokens are revoked"
                    if action == "disable"
                    else "enabled"
                )
                message = f"Client {client.name} {done}."
            elif action == "delete":
                await run_in_threadpool(lambda: ctx.auth.delete_client(client_id, actor=claims))
                message = "Client deleted; its sessions and tokens are revoked."
            elif action == "secret":
                client, secret = await run_in_threadpool(
                    lambda: ctx.auth.rotate_client_secret(client_id, actor=claims)
                )
                return await run_in_threadpool(
                    clients_page, request, 200, created=client, secret=secret, rotated=True
                )
            else:
                return ctx.error_page(request, 404, "Not found", "No such action.")
        except NotFound:
            return ctx.error_page(request, 404, "Not found", "No such client.")
        except AuthError as exc:
            return await run_in_threadpool(clients_page, request, 400, error=str(exc))
        return ctx.redirect("/web/admin/clients", conn=request, flash=message)

    @router.get("/events")
    def events(request: Request) -> Response:
        claims = ctx.require(request, ROLE)
        params = request.query_params
        type_ = (params.get("type") or "").strip()[:100] or None
        who = (params.get("user") or "").strip()[:200] or None
        cursor = params.get("cursor") or None
        error = None
        try:
            page = ctx.auth.list_events(cursor=cursor, limit=50, type=type_, user=who)
        except AuthError as exc:
            error, page = str(exc), Page((), None)
        return ctx.render(
            request,
            "admin_events.html",
            400 if error else 200,
            user=claims,
            page=page,
            type=type_ or "",
            who=who or "",
            error=error,
        )

    return router
