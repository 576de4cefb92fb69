"""Flask: ``@require(guard, roles=..., scopes=..., any_role=...)`` on a view.

The view runs with ``flask.g.principal`` set to the request's :class:`Principal`; otherwise
the request is answered 401 (no or bad token) or 403 ``insufficient_scope`` with the RFC 6750
challenge and a JSON ``{"error", "error_description"}`` body. Needs the ``flask`` extra
(``pip install 'jwtgate[flask]'``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

try:
    from flask import Response, g, jsonify, request
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("jwtgate.guard.flask needs Flask: pip install 'jwtgate[flask]'") from exc

from .bearer import Denial, Denied, authorize
from .core import Guard
from .dpop import app_url
from .policy import Requirement
from .principal import Principal

__all__ = ["current_principal", "denial_response", "require"]

View = TypeVar("View", bound=Callable[..., Any])


def denial_response(denial: Denial) -> Response:
    """The JSON response for ``denial``."""
    response = jsonify(denial.body)
    response.status_code = denial.status
    response.headers.update(denial.headers)
    return response


def require(
    guard: Guard,
    *,
    roles: str | Iterable[str] = (),
    scopes: str | Iterable[str] = (),
    any_role: str | Iterable[str] = (),
) -> Callable[[View], View]:
    """Protect a view with ``guard``; ValueError for malformed role or scope names."""
    requirement = Requirement.of(roles, scopes, any_role)

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                g.principal = authorize(
                    guard,
                    requirement,
                    request.headers.get("Authorization"),
                    method=request.method,
                    url=lambda: app_url(
                        guard.dpop.external_url, lambda: request.base_url, request.path
                    ),
                    proofs=request.headers.getlist("DPoP"),
                )
            except Denied as exc:
                return denial_response(exc.denial)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def current_principal() -> Principal:
    """The principal of the request being served by a protected view.

    RuntimeError outside one (a programming error, not a client's).
    """
    principal = g.get("principal")
    if not isinstance(principal, Principal):
        raise RuntimeError("no principal: the view is not protected by jwtgate's require()")
    return principal
