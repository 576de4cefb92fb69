"""The authorization endpoint's rules (RFC 6749 4.1.1, RFC 7636, RFC 9700, RFC 9207, OIDC
Core 3.1.2), free of HTTP.

First the client and the redirect URI are verified: an unknown client, or a redirect URI that
is not exactly one registered for it (loopback ``http`` on any port, RFC 8252 7.3), raises
:class:`BadRedirect`, which the server shows as a page and never redirects to. Only then may an
error go back to the client, as :class:`AuthorizationError` with ``redirect_uri`` and
``state`` set. The decision then depends on the browser's sign-in (SSO) session:

- none, or ``prompt=login``, or older than ``max_age``: sign in (``prompt=none``:
  ``login_required``);
- a client not marked ``first_party`` whose remembered consent does not cover the scopes, or
  ``prompt=consent``: ask (``prompt=none``: ``consent_required``);
- else: a code, bound to everything it will be checked against at the token endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...jose.errors import InvalidToken
from ...store.records import ClientRecord, ConsentRecord, UserRecord
from ..context import AuthContext
from ..errors import AuthorizationError, BadRedirect, InvalidScope, InvalidTarget
from .clients import Clients
from .codes import AuthorizationCodes, NewCode
from .pkce import check_challenge
from .registration import redirect_uri_matches
from .resources import choose_audiences
from .scopes import grant_scope, parse_scope

__all__ = [
    "PROMPTS",
    "AuthorizationRequest",
    "Authorizer",
    "Decision",
    "SsoSession",
]

PROMPTS = ("none", "login", "consent")
_SINGLE = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "response_mode",
    "acr_values",
    "dpop_jkt",
    "display",
    "ui_locales",
)
_MAX = {"state": 2048, "nonce": 512, "login_hint": 256, "acr_values": 256, "scope": 1024}
_INT = re.compile(r"[0-9]{1,9}")
_JKT = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest


@dataclass(frozen=True, slots=True)
class SsoSession:
    """The browser's sign-in session: which user, since when (``auth_time``)."""

    sid: str
    user: UserRecord
    auth_time: float


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A verified authorization request."""

    client: ClientRecord
    redirect_uri: str
    redirect_uri_given: str | None
    state: str | None
    scope: str
    resources: tuple[str, ...]
    code_challenge: str
    nonce: str | None
    prompt: frozenset[str]
    max_age: int | None
    login_hint: str | None
    params: tuple[tuple[str, str], ...] = field(repr=False)
    dpop_jkt: str | None = None  # RFC 9449 10: the code is bound to this DPoP key

    def error(self, code: str, message: str) -> AuthorizationError:
        """An error to send back to the client's redirect URI."""
        return AuthorizationError(code, message, redirect_uri=self.redirect_uri, state=self.state)


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens next: ``login`` (``fresh``: even with an SSO session), ``consent``
    (with the scopes to show), or ``code`` (redirect with it)."""

    kind: str
    fresh: bool = False
    scopes: tuple[str, ...] = ()
    code: str | None = None


def _one(params: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    return values[0] if values else None


class Authorizer:
    """Verifies authorization requests and decides them."""

    def __init__(self, ctx: AuthContext, clients: Clients, codes: AuthorizationCodes) -> None:
        self._ctx = ctx
        self._clients = clients
        self._codes = codes

    # -- verifying -----------------------------------------------------------------------

    def target(self, params: Sequence[tuple[str, str]]) -> tuple[ClientRecord, str, str | None]:
        """The client, the redirect URI to answer at, and the one the request named.

        Raises BadRedirect (never redirect) for an unknown or disabled client, a missing
        redirect URI when the client registered several, or one that does not match.
        """
        ids = [v for k, v in params if k == "client_id"]
        if len(ids) != 1:
            raise BadRedirect("the request needs exactly one client_id")
        client = self._clients.find(ids[0])
        if client is None:
            raise BadRedirect("unknown client")
        given = [v for k, v in params if k == "redirect_uri"]
        if len(given) > 1:
            raise BadRedirect("redirect_uri is repeated")
        if not given:
            if len(client.redirect_uris) != 1:
                raise BadRedirect(
                    "redirect_uri is required: this client registered "
                    f"{len(client.redirect_uris)} redirect URIs"
                )
            return client, client.redirect_uris[0], None
        if not redirect_uri_matches(given[0], client.redirect_uris):
            raise BadRedirect("the redirect_uri is not one registered for this client")
        return client, given[0], given[0]

    def parse(self, params: Sequence[tuple[str, str]]) -> AuthorizationRequest:
        """A verified request. Raises BadRedirect (see :meth:`target`), else
        AuthorizationError carrying the redirect URI and state."""
        client, redirect_uri, given = self.target(params)
        state = _one(params, "state")
        if state is not None and len(state) > _MAX["state"]:
            # Not echoed back: the error says why.
            raise AuthorizationError(
                "invalid_request", "state is too long", redirect_uri=redirect_uri
            )
        try:
            return self._parse(params, client, redirect_uri, given, state)
        except (InvalidScope, InvalidTarget) as exc:
            raise _error(redirect_uri, state, exc.code, str(exc)) from None
        except AuthorizationError as exc:
            raise _error(redirect_uri, state, exc.code, str(exc)) from None

    def _parse(
        self,
        params: Sequence[tuple[str, str]],
        client: ClientRecord,
        redirect_uri: str,
        given: str | None,
        state: str | None,
    ) -> AuthorizationRequest:
        for name in _SINGLE:
            if sum(1 for k, _ in params if k == name) > 1:
                raise AuthorizationError("invalid_request", f"{name} is repeated (RFC 6749 3.1)")
        for name, limit in _MAX.items():
            value = _one(params, name)
            if value is not None and len(value) > limit:
                raise AuthorizationError("invalid_request", f"{name} is too long")
            if value is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
                # Stored with the code (nonce) or shown (login_hint): no control characters,
                # and PostgreSQL text cannot hold NUL.
                raise AuthorizationError("invalid_request", f"{name} holds control characters")
        if _one(params, "request") is not None:
            raise AuthorizationError("request_not_supported", "request objects are not supported")
        if _one(params, "request_uri") is not None:
            raise AuthorizationError("request_uri_not_supported", "request_uri is not supported")
        response_type = _one(params, "response_type")
        if response_type != "code":
            raise AuthorizationError(
                "unsupported_response_type" if response_type else "invalid_request",
                "response_type must be code",
            )
        mode = _one(params, "response_mode")
        if mode not in (None, "query"):
            raise AuthorizationError("invalid_request", "response_mode must be query")
        if "authorization_code" not in client.grant_types:
            raise AuthorizationError(
                "unauthorized_client", "this client may not use the authorization code flow"
            )
        challenge = check_challenge(
            _one(params, "code_challenge"), _one(params, "code_challenge_method")
        )
        scope = grant_scope(_one(params, "scope"), client.scopes)
        resources = choose_audiences(
            [v for k, v in params if k == "resource"],
            client.audiences,
            default=self._ctx.settings.audience,
        )
        prompt = frozenset((_one(params, "prompt") or "").split())
        if not prompt <= set(PROMPTS) or ("none" in prompt and len(prompt) > 1):
            raise AuthorizationError(
                "invalid_request", "prompt is none, or any of login and consent"
            )
        max_age_text = _one(params, "max_age")
        max_age = None
        if max_age_text is not None:
            if not _INT.fullmatch(max_age_text):
                raise AuthorizationError("invalid_request", "max_age is a number of seconds")
            max_age = int(max_age_text)
        dpop_jkt = _one(params, "dpop_jkt")
        if dpop_jkt is not None and not _JKT.fullmatch(dpop_jkt):
            raise AuthorizationError(
                "invalid_request", "dpop_jkt must be a JWK SHA-256 thumbprint (RFC 9449 10)"
            )
        return AuthorizationRequest(
            client=client,
            redirect_uri=redirect_uri,
            redirect_uri_given=given,
            state=state,
            scope=scope,
            resources=resources,
            code_challenge=challenge,
            nonce=_one(params, "nonce"),
            prompt=prompt,
            max_age=max_age,
            login_hint=_one(params, "login_hint"),
            params=tuple(params),
            dpop_jkt=dpop_jkt,
        )

    # -- deciding ------------------------------------------------------------------------

    def decide(
        self, request: AuthorizationRequest, sso: SsoSession | None, *, just_signed_in: bool
    ) -> Decision:
        """What to do with a verified request for this browser. ``just_signed_in``: the
        browser comes back from the sign-in this request asked for. Raises
        AuthorizationError (``login_required``, ``consent_required``)."""
        now = self._ctx.clock()
        quiet = "none" in request.prompt
        if sso is not None and not self._hint_fits(request, sso):
            # OIDC Core 3.1.2.1: the app names another user than the one signed in here.
            if quiet:
                raise request.error("login_required", "another user is signed in")
            if not just_signed_in:
                return Decision("login", fresh=True)
        fresh_needed = ("login" in request.prompt and not just_signed_in) or (
            sso is not None
            and request.max_age is not None
            and now - sso.auth_time > request.max_age
            and not just_signed_in
        )
        if sso is None or fresh_needed:
            if quiet:
                raise request.error("login_required", "the user is not signed in")
            return Decision("login", fresh=sso is not None)
        asked = tuple(parse_scope(request.scope))
        if request.client.first_party:
            return Decision("code", code=self._issue(request, sso))
        if "consent" not in request.prompt:
            code = self._issue(request, sso, if_consented=True)
            if code is not None:
                return Decision("code", code=code)
        if quiet:
            raise request.error("consent_required", "the user has not allowed this app")
        return Decision("consent", scopes=asked)

    def consent(self, request: AuthorizationRequest, sso: SsoSession, *, allow: bool) -> str:
        """The user's answer on the consent page: remembered and a code, or
        ``access_denied``. Raises AuthorizationError."""
        ctx = self._ctx
        if not allow:
            with ctx.store.write() as uow:
                ctx.audit(uow, "consent_denied", user=sso.user, client_id=request.client.client_id)
            raise request.error("access_denied", "the user did not allow this app")
        now = ctx.clock()
        with ctx.store.write() as uow:
            current = uow.consents.get(sso.user.id, request.client.client_id)
            scopes = list(parse_scope(current.scope)) if current else []
            for scope in parse_scope(request.scope):
                if scope not in scopes:
                    scopes.append(scope)
            uow.consents.put(
                ConsentRecord(
                    user_id=sso.user.id,
                    client_id=request.client.client_id,
                    scope=" ".join(scopes),
                    created_at=current.created_at if current else now,
                    updated_at=now,
                )
            )
            ctx.audit(
                uow,
                "consent_given",
                user=sso.user,
                client_id=request.client.client_id,
                scope=request.scope,
            )
        code = self._issue(request, sso)
        if code is None:  # cannot happen: no condition
            raise request.error("server_error", "no code was issued")
        return code

    def _hint_fits(self, request: AuthorizationRequest, sso: SsoSession) -> bool:
        """False when ``id_token_hint`` is an ID token of ours about another user (a hint
        that does not verify is ignored, as any unusable hint)."""
        hint = _one(request.params, "id_token_hint")
        if not hint:
            return True
        try:
            claims = self._ctx.id_tokens.verify_hint(hint)
        except InvalidToken:
            return True
        return claims.get("sub") == sso.user.id

    def _issue(
        self, request: AuthorizationRequest, sso: SsoSession, *, if_consented: bool = False
    ) -> str | None:
        """A code; with ``if_consented``, only if the user's remembered consent covers the
        scopes (checked in the transaction that stores the code), else None."""

        def covered(consent: ConsentRecord | None) -> bool:
            return consent is not None and set(parse_scope(request.scope)) <= set(
                parse_scope(consent.scope)
            )

        return self._codes.issue(
            NewCode(
                client_id=request.client.client_id,
                user_id=sso.user.id,
                redirect_uri=request.redirect_uri_given,
                code_challenge=request.code_challenge,
                scope=request.scope,
                resources=request.resources,
                nonce=request.nonce,
                auth_time=sso.auth_time,
                sso_sid=sso.sid,
                dpop_jkt=request.dpop_jkt,
            ),
            condition=(
                (lambda uow: covered(uow.consents.get(sso.user.id, request.client.client_id)))
                if if_consented
                else None
            ),
        )


def _error(redirect_uri: str, state: str | None, code: str, message: str) -> AuthorizationError:
    return AuthorizationError(code, message, redirect_uri=redirect_uri, state=state)
