"""Django REST framework: an authentication class and permission classes.

``JWTGateAuthentication`` reads ``Authorization: Bearer``; requests without one stay anonymous,
a bad token is answered 401 ``invalid_token``. On success ``request.user`` is a
:class:`TokenUser` and ``request.auth`` the :class:`Principal`. ``require(roles=...,
scopes=..., any_role=...)`` makes a permission class: 401 without a verified token, 403
``insufficient_scope`` without the roles or scopes, each with the RFC 6750 challenge and a JSON
``{"error", "error_description"}`` body.

The Guard comes from the class attribute ``guard`` (subclass, or ``authentication(guard)``),
else from the Django setting ``JWTGATE_GUARD``: a Guard, or the dotted path of one. Needs the
``django`` extra (``pip install 'jwtgate[django]'``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

try:
    from django.conf import settings
    from django.utils.module_loading import import_string
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied
    from rest_framework.permissions import BasePermission
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "jwtgate.guard.django needs Django REST framework: pip install 'jwtgate[django]'"
    ) from exc

from ..jose.errors import InvalidToken
from .bearer import Denial, Denied, authorize, credentials, deny
from .core import Guard
from .dpop import app_url
from .policy import InsufficientScope, Requirement
from .principal import Principal

__all__ = [
    "InsufficientScopeDenied",
    "InvalidBearer",
    "JWTGateAuthentication",
    "JWTGatePermission",
    "TokenUser",
    "authentication",
    "exception_handler",
    "require",
]

_DENIAL = "_jwtgate_denial"


class TokenUser:
    """``request.user`` for a verified token (no database row behind it)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def pk(self) -> str:
        return self.principal.sub

    id = pk

    @property
    def username(self) -> str:
        return self.principal.username or self.principal.sub

    def __str__(self) -> str:
        return self.username


class InvalidBearer(AuthenticationFailed):  # type: ignore[misc]
    """401 ``invalid_token`` with the RFC 6750 body."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(detail=denial.body)
        self.denial = denial


class InsufficientScopeDenied(PermissionDenied):  # type: ignore[misc]
    """403 ``insufficient_scope``; DRF copies ``auth_header`` into ``WWW-Authenticate``."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(detail=denial.body)
        self.auth_header = denial.challenge


def _configured_guard() -> Guard:
    value = getattr(settings, "JWTGATE_GUARD", None)
    if isinstance(value, str):
        value = import_string(value)
    if not isinstance(value, Guard):
        raise TypeError(
            "set JWTGATE_GUARD to a Guard (or its dotted path), or subclass "
            "JWTGateAuthentication with a guard attribute"
        )
    return value


class JWTGateAuthentication(BaseAuthentication):  # type: ignore[misc]
    """DRF authentication with a Guard (``guard`` attribute or ``JWTGATE_GUARD``)."""

    guard: Guard | None = None

    def get_guard(self) -> Guard:
        """The Guard to verify with. TypeError when none is configured."""
        return self.guard if self.guard is not None else _configured_guard()

    def authenticate(self, request: Any) -> tuple[TokenUser, Principal] | None:
        """(user, principal); None without Bearer or DPoP credentials; InvalidBearer when
        bad (a DPoP proof is checked against the request's method and absolute URL)."""
        guard = self.get_guard()
        authorization = request.META.get("HTTP_AUTHORIZATION")
        try:
            if credentials(authorization) is None:
                return None
            # Django joins repeated headers with commas: a proof never holds one.
            proof = request.META.get("HTTP_DPOP")
            principal = authorize(
                guard,
                Requirement(),
                authorization,
                method=request.method,
                url=lambda: app_url(
                    guard.dpop.external_url,
                    lambda: request.build_absolute_uri(request.path),
                    request.path_info,
                ),
                proofs=() if proof is None else (proof,),
            )
        except InvalidToken as exc:  # a malformed Authorization header
            denial = deny(exc, "bearer", guard.dpop)
            setattr(request, _DENIAL, denial)
            raise InvalidBearer(denial) from None
        except Denied as exc:
            setattr(request, _DENIAL, exc.denial)
            raise InvalidBearer(exc.denial) from None
        return TokenUser(principal), principal

    def authenticate_header(self, request: Any) -> str:
        """The ``WWW-Authenticate`` challenge for a 401 (RFC 6750 3, RFC 9449 7.1)."""
        denial = getattr(request, _DENIAL, None)
        if isinstance(denial, Denial):
            return denial.challenge
        try:
            policy = self.get_guard().dpop
        except TypeError:
            policy = None
        return deny(None, "bearer", policy).challenge


def exception_handler(exc: Exception, context: Any) -> Any:
    """DRF's exception handler, plus the ``DPoP-Nonce`` header of a ``use_dpop_nonce``
    refusal (RFC 9449 9), which DRF alone would drop. Set ``REST_FRAMEWORK =
    {"EXCEPTION_HANDLER": "jwtgate.guard.django.exception_handler"}`` with ``dpop_nonce``."""
    from rest_framework.views import exception_handler as drf_handler

    response = drf_handler(exc, context)
    denial = getattr(exc, "denial", None)
    if response is not None and isinstance(denial, Denial) and denial.nonce is not None:
        response["DPoP-Nonce"] = denial.nonce
    return response


def authentication(guard: Guard) -> type[JWTGateAuthentication]:
    """A JWTGateAuthentication class bound to ``guard``."""
    return type("JWTGateAuthentication", (JWTGateAuthentication,), {"guard": guard})


class JWTGatePermission(BasePermission):  # type: ignore[misc]
    """Needs a verified token meeting ``requirement`` (by default, any verified token)."""

    requirement = Requirement()

    def has_permission(self, request: Any, view: Any) -> bool:
        """True, or raises NotAuthenticated (401) / InsufficientScopeDenied (403)."""
        principal = getattr(request, "auth", None)
        if not isinstance(principal, Principal):
            raise NotAuthenticated(detail=deny(None).body)
        try:
            self.requirement.check(principal)
        except InsufficientScope as exc:
            raise InsufficientScopeDenied(deny(exc)) from None
        return True


def require(
    *,
    roles: str | Iterable[str] = (),
    scopes: str | Iterable[str] = (),
    any_role: str | Iterable[str] = (),
) -> type[JWTGatePermission]:
    """A permission class: ``permission_classes = [require(roles=["admin"])]``."""
    requirement = Requirement.of(roles, scopes, any_role)
    return type("JWTGatePermission", (JWTGatePermission,), {"requirement": requirement})
