"""The API routes, one module per area; each exposes a ``*_router(ctx)`` factory."""

from __future__ import annotations

from typing import Any

from ..schemas import ErrorOut

__all__ = ["errors"]

_MEANING = {
    400: "The request is malformed (invalid_request) or refused by a rule",
    401: "Authentication failed or is missing (see WWW-Authenticate)",
    403: "Authenticated, but without the needed role (insufficient_scope)",
    404: "No such resource",
    409: "Conflict: the name is taken",
    413: "The request body is too large",
    415: "Wrong content type",
    429: "Too many failed attempts; see Retry-After",
}


def errors(*statuses: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, all with the JSON error body."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = meanings.get(f"s{status}", _MEANING.get(status, "Error"))
        out[status] = {"model": ErrorOut, "description": description}
    return out
