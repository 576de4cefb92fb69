"""The multi-factor API: the second sign-in step and the caller's own factors (JSON)."""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations
# of the route closures, which name local variables.
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from ...auth.errors import InvalidRequest
from ..context import (
    NO_STORE,
    ServerContext,
    bearer_scheme,
    client_ip,
    json_response,
    require_json,
    user_agent,
)
from ..mfa_schemas import (
    EnrolledOut,
    MfaLogin,
    MfaStatus,
    MfaTokenBody,
    PasskeyLogin,
    PasskeyRegistration,
    RecoveryCodes,
    TotpConfirm,
    TotpEnrolmentOut,
)
from ..schemas import TokenOut
from . import errors

__all__ = ["mfa_router"]

_STEP_UP = (
    "insufficient_user_authentication (RFC 9470): the sign-in is older than "
    "JWTGATE_REAUTH_MAX_AGE or, once a factor exists, without one; see WWW-Authenticate"
)


def mfa_router(ctx: ServerContext) -> APIRouter:
    """Routes under ``/auth/mfa`` and ``/auth/login/mfa``."""
    router = APIRouter(prefix="/auth", tags=["mfa"])
    auth = ctx.auth
    mfa = auth.mfa
    Claims = Annotated[dict[str, Any], Depends(ctx.bearer())]
    json_only = [Depends(require_json)]

    async def maybe_claims(
        token: Annotated[str | None, Depends(bearer_scheme)],
    ) -> dict[str, Any] | None:
        # A bearer, when sent, must be valid (401 otherwise); enrolment at sign-in has none.
        return None if token is None else auth.authenticate(token.strip())

    MaybeClaims = Annotated[dict[str, Any] | None, Depends(maybe_claims)]

    @router.post(
        "/login/mfa",
        response_model=TokenOut,
        dependencies=json_only,
        summary="Finish a sign-in with a second factor",
        responses=errors(
            400,
            401,
            415,
            429,
            s401="invalid_grant: a dead, used or expired mfa_token, or a wrong or replayed code",
            s429="too many wrong codes for this user or from this address; see Retry-After",
        ),
    )
    def login_mfa(body: MfaLogin, request: Request) -> Response:
        """The ``mfa_token`` of ``POST /auth/login``'s 401 ``mfa_required``, a ``method``
        (``totp``, ``recovery_code``) and its ``code``: the token pair, with ``amr``
        ``["pwd", "otp", "mfa"]`` and ``acr`` ``mfa``. The mfa_token works once, 5 minutes."""
        proof = body.credential if body.method == "webauthn" else body.code
        if proof is None:
            wanted = "credential" if body.method == "webauthn" else "code"
            raise InvalidRequest(f"{wanted}: required for the method {body.method}")
        pair = mfa.login(
            body.mfa_token,
            body.method,
            proof,
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
        return json_response(pair.to_dict(), headers=NO_STORE)

    @router.get(
        "/mfa",
        response_model=MfaStatus,
        summary="The caller's second factors",
        responses=errors(401, 404),
    )
    def status(claims: Claims) -> Response:
        """TOTP (if set up), passkeys, how many recovery codes are left, and whether the
        caller's role requires a factor. Never a secret."""
        return json_response(mfa.status(claims), headers=NO_STORE)

    @router.post(
        "/mfa/totp",
        response_model=TotpEnrolmentOut,
        summary="Start setting up an authenticator app",
        responses=errors(400, 401, 409, s401=_STEP_UP, s409="a confirmed TOTP exists"),
    )
    def totp_start(
        claims: MaybeClaims, body: Annotated[MfaTokenBody | None, Body()] = None
    ) -> Response:
        """A new TOTP secret: as text, as an ``otpauth://`` URI and as a QR code (SVG drawn
        by the server). Confirm it with a first code. With a bearer (a recent sign-in, with
        a factor once one exists), or with the ``mfa_token`` of ``mfa_enrollment_required``."""
        if claims is not None:
            enrolment = mfa.totp_start(claims)
        else:
            enrolment = mfa.enrol_start(body.mfa_token if body else None)
        return json_response(asdict(enrolment), headers=NO_STORE)

    @router.post(
        "/mfa/totp/confirm",
        response_model=RecoveryCodes | EnrolledOut,
        dependencies=json_only,
        summary="Confirm the authenticator app with a first code",
        responses=errors(400, 401, 404, 415, 429, s401=_STEP_UP),
    )
    def totp_confirm(body: TotpConfirm, request: Request, claims: MaybeClaims) -> Response:
        """Answers ten recovery codes, shown this once. With an ``mfa_token`` (enrolment at
        sign-in), also the session's tokens."""
        ip = client_ip(request)
        if claims is not None:
            codes = mfa.totp_confirm(claims, body.code, ip=ip)
            return json_response({"recovery_codes": codes}, headers=NO_STORE)
        done = mfa.enrol_confirm(body.mfa_token, body.code, ip=ip, user_agent=user_agent(request))
        out = {**done.tokens.to_dict(), "recovery_codes": done.recovery_codes}
        return json_response(out, headers=NO_STORE)

    @router.delete(
        "/mfa/totp",
        status_code=204,
        summary="Remove the authenticator app",
        responses=errors(401, 404, s401=_STEP_UP),
    )
    def totp_delete(claims: Claims) -> Response:
        """Removes TOTP (and the recovery codes when no other factor is left)."""
        mfa.totp_delete(claims)
        return Response(status_code=204)

    @router.post(
        "/mfa/recovery-codes",
        response_model=RecoveryCodes,
        summary="Replace the recovery codes",
        responses=errors(401, 404, s401=_STEP_UP),
    )
    def recovery_codes(claims: Claims, request: Request) -> Response:
        """Ten new codes; every earlier one stops working."""
        codes = mfa.regenerate_codes(claims, ip=client_ip(request))
        return json_response({"recovery_codes": codes}, headers=NO_STORE)

    @router.post(
        "/mfa/webauthn/register/options",
        summary="Start registering a passkey",
        responses=errors(400, 401, s401=_STEP_UP),
    )
    def passkey_options(claims: Claims) -> Response:
        """``PublicKeyCredentialCreationOptions`` as JSON for ``navigator.credentials.create``
        (discoverable, user verification required); the challenge lives 5 minutes."""
        return json_response(mfa.webauthn_register_options(claims), headers=NO_STORE)

    @router.post(
        "/mfa/webauthn/register/verify",
        dependencies=json_only,
        summary="Finish registering a passkey",
        responses=errors(400, 401, 415, s401=_STEP_UP),
    )
    def passkey_register(body: PasskeyRegistration, claims: Claims) -> Response:
        """The credential ``navigator.credentials.create`` made, and a name: ``{id, name}``.
        400 ``invalid_grant`` when it does not verify (origin, RP id, challenge, user
        verification)."""
        return json_response(
            mfa.webauthn_register(claims, body.credential, body.name), headers=NO_STORE
        )

    @router.delete(
        "/mfa/webauthn/{id}",
        status_code=204,
        summary="Remove a passkey",
        responses=errors(401, 404, s401=_STEP_UP),
    )
    def passkey_delete(id: str, claims: Claims) -> Response:
        """Removes one passkey of the caller."""
        mfa.webauthn_delete(claims, id)
        return Response(status_code=204)

    @router.post(
        "/login/webauthn/options",
        summary="Start a passwordless sign-in with a passkey",
        responses=errors(400),
    )
    def passwordless_options() -> Response:
        """``PublicKeyCredentialRequestOptions`` for any discoverable passkey of this site."""
        return json_response(mfa.passwordless_options(), headers=NO_STORE)

    @router.post(
        "/login/webauthn",
        response_model=TokenOut,
        dependencies=json_only,
        summary="Sign in with a passkey alone",
        responses=errors(400, 401, 415),
    )
    def passwordless(body: PasskeyLogin, request: Request) -> Response:
        """The assertion ``navigator.credentials.get`` made: the token pair, ``acr`` ``phr``.
        401 ``invalid_grant`` for an unknown passkey, another origin or RP id, a used
        challenge, or a counter that went back (a cloned authenticator)."""
        pair = mfa.passwordless(
            body.credential, ip=client_ip(request), user_agent=user_agent(request)
        )
        return json_response(pair.to_dict(), headers=NO_STORE)

    return router
