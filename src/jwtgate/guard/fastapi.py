"""FastAPI: ``Depends(guard.require(roles=..., scopes=..., any_role=...))`` gives the
request's :class:`Principal`, or answers 401/403 per RFC 6750 3.1 with a JSON
``{"error", "error_description"}`` body and the matching ``WWW-Authenticate`` challenge.

The dependency is an ``async`` callable taking only the request, so FastAPI runs it on the
event loop with no thread hop and no parameter parsing; a cached token costs a dictionary
lookup. It is also a FastAPI security scheme (HTTP bearer, JWT), so the OpenAPI document and
the docs' Authorize button know about it.

The answer for a turned-away request is a :class:`BearerError` (an ``HTTPException`` carrying
the status and ``WWW-Authenticate``). Its JSON body needs its own exception handler; the
dependency registers it with the running app the first time it turns a request away (through
the handler table Starlette keeps in the request scope), unless the app registered a handler
for :class:`BearerError` itself. :func:`install` registers it up front.
"""

# No ``from __future__ import annotations``: FastAPI reads the __call__ signature at run time.

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.responses import JSONResponse
from fastapi.security.base import SecurityBase
from starlette.responses import Response

from .bearer import Denial, Denied, deny
from .core import Guard
from .middleware import authenticate
from .policy import InsufficientScope, Requirement
from .principal import Principal

__all__ = ["BearerError", "Require", "annotated", "bearer_error_handler", "install"]

SCHEME_NAME = "jwtgate"


class BearerError(HTTPException):
    """A request turned away by a Guard: 401 or 403 with ``WWW-Authenticate``."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.status, denial.description, dict(denial.headers))
        self.denial = denial


async def bearer_error_handler(request: Request, exc: Exception) -> Response:
    """The RFC 6750 answer: JSON ``{"error", "error_description"}`` and the challenge."""
    denial = exc.denial if isinstance(exc, BearerError) else None
    if denial is None:  # registered for BearerError only; anything else is a bug upstream
        raise exc
    return JSONResponse(denial.body, status_code=denial.status, headers=dict(denial.headers))


def install(app: FastAPI) -> None:
    """Register :func:`bearer_error_handler` on ``app`` (optional: see the module docs)."""
    app.add_exception_handler(BearerError, bearer_error_handler)


def _register_handler(request: Request) -> None:
    handlers = request.scope.get("starlette.exception_handlers")
    if isinstance(handlers, tuple) and handlers and isinstance(handlers[0], dict):
        handlers[0].setdefault(BearerError, bearer_error_handler)


class Require(SecurityBase):
    """The dependency ``guard.require(...)`` returns; call it through ``Depends``."""

    def __init__(self, guard: Guard, requirement: Requirement) -> None:
        self.model = HTTPBearerModel(
            bearerFormat="JWT", description=f"An access token from {guard.issuer}"
        )
        self.scheme_name = SCHEME_NAME
        self.guard = guard
        self.requirement = requirement

    async def __call__(self, request: Request) -> Principal:
        """The request's principal; raises BearerError (401/403) when it has none."""
        scope = request.scope
        guard = self.guard
        try:
            if scope.get("jwtgate.guard") is guard:  # GuardMiddleware verified it already
                result = scope["jwtgate"]
                if type(result) is not Principal:
                    denial = result
                    raise Denied(denial)
                principal = result
            else:
                principal = await authenticate(guard, scope)
            self.requirement.check(principal)
            return principal
        except InsufficientScope as exc:
            denial = deny(exc, "dpop" if principal.jkt else "bearer", guard.dpop)
        except Denied as exc:
            denial = exc.denial
        _register_handler(request)
        raise BearerError(denial)

    def __repr__(self) -> str:
        return f"Require({self.requirement!r})"


def annotated(dependency: Require) -> Any:
    """``Annotated[Principal, Depends(dependency)]``, a reusable parameter type."""
    return Annotated[Principal, Depends(dependency)]
