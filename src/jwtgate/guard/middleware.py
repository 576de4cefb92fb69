"""``GuardMiddleware``: authenticate every request in ASGI, before routing, for the fastest
protected endpoints (``app.add_middleware(GuardMiddleware, guard=guard)``).

It verifies the request's credentials (Bearer, or DPoP with its proof) once and puts the
result in the scope: ``scope["jwtgate"]`` is the :class:`Principal`, or the
:class:`~jwtgate.guard.bearer.Denial` saying how to refuse (also for a request with no
credentials). It refuses nothing itself: public routes still answer. Route policies read the
result without verifying again:

- FastAPI: ``Depends(guard.require(roles=...))``, the usual dependency, sees the scope entry
  of its own Guard and only applies its rule;
- any ASGI framework: ``@requires(roles=..., scopes=...)`` on an endpoint (FastAPI or
  Starlette, sync or async) answers 401/403 itself with the RFC 6750 / RFC 9449 challenge
  and skips dependency injection altogether, the cheapest protection there is;
- :func:`principal_of` gives the principal to an endpoint.

``scope["jwtgate.guard"]`` names the Guard that wrote the entry, so a dependency of another
Guard (another audience) never trusts it. Lifespan and other scope types pass untouched.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from .asgi import credentials_headers, scope_url
from .bearer import Denial, Denied, aauthorize, deny
from .core import Guard
from .policy import InsufficientScope, Requirement
from .principal import Principal

__all__ = ["GuardMiddleware", "authenticate", "principal_of", "requires"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_ANYONE = Requirement()


async def authenticate(guard: Guard, scope: Scope) -> Principal:
    """The principal of an ASGI request; raises Denied. The hot path of every ASGI
    integration: a cached Bearer token costs one pass over the headers and a dict lookup."""
    authorization, proofs = credentials_headers(scope)
    if authorization is not None and authorization[:7].lower() == "bearer " and not proofs:
        principal = guard._cached_bearer(authorization[7:])
        if principal is not None:
            return principal
    return await aauthorize(
        guard,
        _ANYONE,
        authorization,
        method=scope.get("method", "GET"),
        url=lambda: scope_url(scope, guard.dpop.external_url),
        proofs=proofs,
    )


class GuardMiddleware:
    """ASGI middleware: ``app.add_middleware(GuardMiddleware, guard=guard)``."""

    def __init__(self, app: ASGIApp, *, guard: Guard) -> None:
        if not isinstance(guard, Guard):
            raise TypeError("GuardMiddleware needs guard=Guard(...)")
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" or kind == "websocket":
            try:
                scope["jwtgate"] = await authenticate(self.guard, scope)
            except Denied as exc:
                scope["jwtgate"] = exc.denial
            scope["jwtgate.guard"] = self.guard
        await self.app(scope, receive, send)


def principal_of(request: HTTPConnection) -> Principal:
    """The principal GuardMiddleware found for ``request``. Denied when it found none (or
    refused the credentials); RuntimeError when no GuardMiddleware ran (a programming error,
    not a client's)."""
    if "jwtgate" not in request.scope:
        raise RuntimeError("no GuardMiddleware ran for this request: app.add_middleware(...)")
    result = request.scope["jwtgate"]
    if type(result) is Principal:
        return result
    raise Denied(result)


def _answer(denial: Denial) -> Response:
    return JSONResponse(denial.body, status_code=denial.status, headers=dict(denial.headers))


def _check(scope: Scope, requirement: Requirement) -> Response | None:
    if "jwtgate" not in scope:
        raise RuntimeError("@requires needs GuardMiddleware: app.add_middleware(GuardMiddleware)")
    result = scope["jwtgate"]
    if type(result) is not Principal:
        return _answer(result)
    try:
        requirement.check(result)
    except InsufficientScope as exc:
        guard = scope.get("jwtgate.guard")
        policy = guard.dpop if isinstance(guard, Guard) else None
        return _answer(deny(exc, "dpop" if result.jkt else "bearer", policy))
    return None


def _request_parameter(signature: inspect.Signature) -> str | None:
    for name, parameter in signature.parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, type) and issubclass(annotation, HTTPConnection):
            return name
    return None


def requires(
    *,
    roles: str | Iterable[str] = (),
    scopes: str | Iterable[str] = (),
    any_role: str | Iterable[str] = (),
) -> Callable[[Endpoint], Endpoint]:
    """Decorate an endpoint behind GuardMiddleware: 401 without a verified token (with the
    reason the middleware found), 403 ``insufficient_scope`` without the roles or scopes.

    Works for Starlette endpoints ``f(request)`` and FastAPI path operations (put it below
    the route decorator); a FastAPI endpoint without a ``Request`` parameter gets one added
    to its signature, invisible to the endpoint. ValueError for malformed names."""
    requirement = Requirement.of(roles, scopes, any_role)

    def decorator(endpoint: Endpoint) -> Endpoint:
        # eval_str: string annotations (from __future__ import annotations) resolved in the
        # endpoint's module, since FastAPI would resolve them in this one.
        signature = inspect.signature(endpoint, eval_str=True)
        named = _request_parameter(signature)
        added = named is None
        name = named or "_jwtgate_request"
        is_async = inspect.iscoroutinefunction(endpoint)

        @functools.wraps(endpoint)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = kwargs.pop(name, None) if added else kwargs.get(name)
            if request is None:
                request = next(a for a in args if isinstance(a, HTTPConnection))
            refused = _check(request.scope, requirement)
            if refused is not None:
                return refused
            if is_async:
                return await endpoint(*args, **kwargs)
            return await run_in_threadpool(endpoint, *args, **kwargs)

        if added:
            extra = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
            params = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
            tail = [p for p in signature.parameters.values() if p.kind == p.VAR_KEYWORD]
            wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[*params, extra, *tail]
            )
        return wrapper  # type: ignore[return-value]

    return decorator
