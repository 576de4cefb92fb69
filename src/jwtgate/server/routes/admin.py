"""The admin API (role ``admin``): users, sessions, signing keys, the audit log, clients."""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from starlette.responses import Response

from ...auth.oauth import ClientMetadata
from ..context import NO_STORE, ServerContext, json_response, require_json
from ..schemas import (
    ClientCreated,
    ClientFields,
    ClientOut,
    ClientPage,
    CreateClient,
    CreateUser,
    EventPage,
    KeyOut,
    KeyPage,
    NoNul,
    RotateKey,
    SessionPage,
    UpdateClient,
    UpdateUser,
    UserOut,
    UserPage,
)
from . import errors

__all__ = ["admin_router"]

Id = Annotated[str, Path(min_length=1, max_length=64), NoNul]
Cursor = Annotated[
    str | None, Query(max_length=128, description="next_cursor of the last page"), NoNul
]
Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]


def _items(values: list[Any]) -> dict[str, Any]:
    return {"items": [v.to_dict() for v in values], "next_cursor": None}


def _metadata(body: ClientFields) -> ClientMetadata:
    return ClientMetadata(
        scopes=body.scopes,
        redirect_uris=body.redirect_uris,
        post_logout_redirect_uris=body.post_logout_redirect_uris,
        grant_types=body.grant_types,
        audiences=body.audiences,
        first_party=body.first_party,
        token_endpoint_auth_method=body.token_endpoint_auth_method,
        backchannel_logout_uri=body.backchannel_logout_uri,
        id_token_signed_response_alg=body.id_token_signed_response_alg,
        dpop_bound_access_tokens=body.dpop_bound_access_tokens,
    )


def admin_router(ctx: ServerContext) -> APIRouter:
    """Every route under ``/admin``; each needs a bearer with role admin."""
    router = APIRouter(
        prefix="/admin",
        tags=["admin"],
        responses=errors(401, 403),
    )
    auth = ctx.auth
    Admin = Annotated[dict[str, Any], Depends(ctx.admin())]
    json_only = [Depends(require_json)]

    @router.get("/users", response_model=UserPage, summary="List users", responses=errors(400))
    def list_users(
        _: Admin,
        cursor: Cursor = None,
        limit: Limit = 50,
        q: Annotated[
            str | None, Query(max_length=256, description="username/email contains"), NoNul
        ] = None,
    ) -> Response:
        """Users in creation order, paginated; ``q`` filters on username or email."""
        return json_response(auth.list_users(cursor, limit, q).to_dict())

    @router.post(
        "/users",
        status_code=201,
        response_model=UserOut,
        dependencies=json_only,
        summary="Create a user",
        responses=errors(400, 409, 415),
    )
    def create_user(body: CreateUser, admin: Admin) -> Response:
        """Create a user with roles; the password must pass the password policy. With
        ``"invite": true`` and no password, the address gets a link to choose one (7 days).
        The address is unverified unless ``email_verified`` is true."""
        user = auth.create_user(
            body.username,
            body.password or "",
            body.roles,
            body.email,
            actor=admin,
            email_verified=body.email_verified,
            invite=body.invite,
        )
        return json_response(user.to_dict(), 201)

    @router.post(
        "/users/{id}/invitation",
        status_code=202,
        response_class=Response,
        summary="Send the invitation again",
        responses=errors(400, 404),
    )
    def resend_invitation(id: Id, admin: Admin) -> Response:
        """A new invitation mail (7 days); the earlier link and code stop working."""
        auth.account_email.invite(id, actor=admin)
        return Response(status_code=202)

    @router.delete(
        "/users/{id}/invitation",
        status_code=204,
        summary="Revoke the invitation",
        responses=errors(404),
    )
    def revoke_invitation(id: Id, admin: Admin) -> Response:
        """The invitation's link and code stop working (the account stays)."""
        auth.account_email.revoke_invite(id, actor=admin)
        return Response(status_code=204)

    @router.get("/users/{id}", response_model=UserOut, summary="Read a user", responses=errors(404))
    def get_user(id: Id, _: Admin) -> Response:
        """One user by id."""
        return json_response(auth.get_user(id).to_dict())

    @router.patch(
        "/users/{id}",
        response_model=UserOut,
        dependencies=json_only,
        summary="Change roles, disable or enable, set the password",
        responses=errors(400, 404, 415),
    )
    def update_user(id: Id, body: UpdateUser, admin: Admin) -> Response:
        """Only the fields sent change. Disabling, a role change or a new password revoke every
        session of the user. Answers the updated user."""
        email = body.email if "email" in body.model_fields_set else ...
        user = auth.update_user(
            id,
            roles=body.roles,
            disabled=body.disabled,
            password=body.password,
            actor=admin,
            email=email,
            email_verified=body.email_verified,
        )
        return json_response(user.to_dict())

    @router.delete("/users/{id}", status_code=204, summary="Delete a user", responses=errors(404))
    def delete_user(id: Id, admin: Admin) -> Response:
        """Delete the user and revoke every token it holds."""
        auth.delete_user(id, actor=admin)
        return Response(status_code=204)

    @router.get(
        "/users/{id}/sessions",
        response_model=SessionPage,
        summary="A user's sessions",
        responses=errors(404),
    )
    def list_sessions(id: Id, _: Admin) -> Response:
        """The user's sessions, newest first, revoked ones included."""
        return json_response(_items(auth.list_sessions(id)))

    @router.delete(
        "/sessions/{sid}", status_code=204, summary="Revoke a session", responses=errors(404)
    )
    def revoke_session(sid: Id, admin: Admin) -> Response:
        """Revoke one session: its refresh token dies and its access tokens are rejected."""
        auth.revoke_session(sid, actor=admin)
        return Response(status_code=204)

    @router.get("/keys", response_model=KeyPage, summary="List signing keys")
    def list_keys(_: Admin) -> Response:
        """Every signing key, the active one first, with its status and public JWK."""
        return json_response(_items(auth.list_keys()))

    @router.post(
        "/keys/rotate",
        status_code=201,
        response_model=KeyOut,
        dependencies=json_only,
        summary="Rotate the signing key",
        responses=errors(400, 415),
    )
    def rotate_key(admin: Admin, body: Annotated[RotateKey | None, Body()] = None) -> Response:
        """A new key signs from now on; the old one stays in the JWKS until the last token it
        signed has expired (no downtime). ``alg`` defaults to the configured algorithm;
        ``use: "id_token"`` rotates the ID-token key of ``alg`` (default RS256) instead."""
        key = auth.rotate_key(
            body.alg if body else None, use=body.use if body else "access", actor=admin
        )
        return json_response(key.to_dict(), 201)

    @router.get("/events", response_model=EventPage, summary="The audit log", responses=errors(400))
    def list_events(
        _: Admin,
        cursor: Cursor = None,
        limit: Limit = 50,
        type: Annotated[str | None, Query(max_length=64, description="event type"), NoNul] = None,
        user: Annotated[
            str | None, Query(max_length=64, description="user id or username"), NoNul
        ] = None,
    ) -> Response:
        """Audit events, newest first, paginated; filter by type or user."""
        return json_response(auth.list_events(cursor, limit, type, user).to_dict())

    @router.get("/clients", response_model=ClientPage, summary="List OAuth clients")
    def list_clients(_: Admin) -> Response:
        """Every client, oldest first (never their secrets)."""
        return json_response(_items(auth.list_clients()))

    @router.post(
        "/clients",
        status_code=201,
        response_model=ClientCreated,
        dependencies=json_only,
        summary="Create an OAuth client",
        responses=errors(400, 415),
    )
    def create_client(body: CreateClient, admin: Admin) -> Response:
        """A public client (SPA, mobile app: ``"type": "public"``, no secret) or a
        confidential one (server apps, services). A confidential client's secret is in this
        answer only; it is stored hashed. Without ``grant_types``: authorization_code and
        refresh_token when redirect URIs are given, else client_credentials."""
        client, secret = auth.create_client(
            body.name, public=body.type == "public", meta=_metadata(body), actor=admin
        )
        out = client.to_dict()
        if secret is not None:
            out["client_secret"] = secret
        return json_response(out, 201, NO_STORE)

    @router.get(
        "/clients/{client_id}",
        response_model=ClientOut,
        summary="Read a client",
        responses=errors(404),
    )
    def get_client(client_id: Id, _: Admin) -> Response:
        """One client (never its secret)."""
        return json_response(auth.get_client(client_id).to_dict())

    @router.patch(
        "/clients/{client_id}",
        response_model=ClientOut,
        dependencies=json_only,
        summary="Change, disable or enable a client",
        responses=errors(400, 404, 415),
    )
    def update_client(client_id: Id, body: UpdateClient, admin: Admin) -> Response:
        """Only the fields sent change. ``"disabled": true`` revokes every session and token
        of the client, and its credentials are refused until it is enabled again."""
        meta = replace(_metadata(body), name=body.name, disabled=body.disabled)
        return json_response(auth.update_client(client_id, meta, actor=admin).to_dict())

    @router.delete(
        "/clients/{client_id}", status_code=204, summary="Delete a client", responses=errors(404)
    )
    def delete_client(client_id: Id, admin: Admin) -> Response:
        """Delete the client; every session and token it holds is revoked."""
        auth.delete_client(client_id, actor=admin)
        return Response(status_code=204)

    @router.post(
        "/clients/{client_id}/secret",
        response_model=ClientCreated,
        summary="Rotate a client's secret",
        responses=errors(400, 404),
    )
    def rotate_secret(client_id: Id, admin: Admin) -> Response:
        """A new secret for a confidential client, in this answer only; the old one stops
        working at once."""
        client, secret = auth.rotate_client_secret(client_id, actor=admin)
        return json_response({**client.to_dict(), "client_secret": secret}, 200, NO_STORE)

    return router
