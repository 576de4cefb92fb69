"""The account-email API: password reset, address verification, email change (JSON)."""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from ...auth.errors import InvalidRequest
from ..account_schemas import EmailChange, ForgotRequest, ResetRequest, VerifyRequest, VerifySend
from ..context import ServerContext, bearer_scheme, client_ip, require_json
from . import errors

__all__ = ["account_email_router"]


def account_email_router(ctx: ServerContext) -> APIRouter:
    """Routes under ``/auth/password`` and ``/auth/email``."""
    router = APIRouter(prefix="/auth", tags=["auth"])
    auth = ctx.auth
    mail = auth.account_email
    Claims = Annotated[dict[str, Any], Depends(ctx.bearer())]
    json_only = [Depends(require_json)]

    async def maybe_claims(
        token: Annotated[str | None, Depends(bearer_scheme)],
    ) -> dict[str, Any] | None:
        # A bearer, when sent, must be valid (401 otherwise); no bearer is fine here.
        return None if token is None else auth.authenticate(token.strip())

    MaybeClaims = Annotated[dict[str, Any] | None, Depends(maybe_claims)]

    @router.post(
        "/password/forgot",
        status_code=202,
        response_class=Response,
        dependencies=json_only,
        summary="Mail a password-reset link and code",
        responses=errors(400, 415, 429, s429="20 requests from this address in 15 minutes"),
    )
    def forgot(body: ForgotRequest, request: Request) -> Response:
        """Answers 202 whether or not the account exists, after the same work; the account's
        address (if any) gets a link and a code valid 15 minutes. At most 3 such mails per
        account per 15 minutes."""
        mail.forgot(body.login, ip=client_ip(request))
        return Response(status_code=202)

    @router.post(
        "/password/reset",
        status_code=204,
        dependencies=json_only,
        summary="Set a new password with a reset or invitation token, or a code",
        responses=errors(
            400,
            415,
            429,
            s400="invalid_grant (bad, used or expired token or code), "
            "weak_password or invalid_request",
        ),
    )
    def reset(body: ResetRequest, request: Request) -> Response:
        """``{token, new_password}`` or ``{code, login, new_password}``. Every session and
        refresh token of the user is revoked; a notice is mailed."""
        if (body.token is None) == (body.code is None):
            raise InvalidRequest("send either token, or code and login")
        mail.reset(
            body.new_password,
            token=body.token,
            code=body.code,
            login=body.login,
            ip=client_ip(request),
        )
        return Response(status_code=204)

    @router.post(
        "/email/verify/request",
        status_code=202,
        response_class=Response,
        dependencies=json_only,
        summary="Mail an address-verification link and code",
        responses=errors(400, 401, 404, 415, 429),
    )
    def verify_request(
        request: Request,
        claims: MaybeClaims,
        body: Annotated[VerifySend | None, Body()] = None,
    ) -> Response:
        """With a bearer: to the caller's address. Without one, ``{"login"}``: the resend path
        of a user whose sign-in waits for verification (202 whatever the account)."""
        ip = client_ip(request)
        if claims is not None:
            mail.request_verification(claims, ip=ip)
        elif body is not None and body.login is not None:
            mail.request_verification_for(body.login, ip=ip)
        else:
            raise InvalidRequest('send a bearer token, or {"login"}')
        return Response(status_code=202)

    @router.post(
        "/email/verify",
        status_code=204,
        dependencies=json_only,
        summary="Confirm an address with the mailed token, or code and bearer",
        responses=errors(400, 401, 415, 429),
    )
    def verify(body: VerifyRequest, request: Request, claims: MaybeClaims) -> Response:
        """``{"token"}`` alone, or ``{"code"}`` with the bearer of the account; marks the
        address verified (or, for an email change, makes the new address the account's)."""
        if (body.token is None) == (body.code is None):
            raise InvalidRequest("send either token, or code (with a bearer token)")
        if body.code is not None and claims is None:
            raise InvalidRequest("a code needs the bearer token of its account")
        mail.verify(token=body.token, code=body.code, claims=claims, ip=client_ip(request))
        return Response(status_code=204)

    @router.post(
        "/email",
        status_code=202,
        response_class=Response,
        dependencies=json_only,
        summary="Change the caller's email address",
        responses=errors(400, 401, 415, 429),
    )
    def change_email(body: EmailChange, claims: Claims, request: Request) -> Response:
        """A confirmation goes to the new address, a notice to the old one; the address
        changes once the new one is confirmed (``POST /auth/email/verify``)."""
        mail.change_email(claims, body.email, body.current_password, ip=client_ip(request))
        return Response(status_code=202)

    return router
