"""ASGI middlewares of the API: the request-body limit, the catch-all 500 (503 when the
database cannot be reached), and the observer that times every request for the metrics and
writes one access-log line.

They are plain ASGI (not ``BaseHTTPMiddleware``) so that streaming bodies stay streaming and
no per-request task is spawned.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import TYPE_CHECKING

import sqlalchemy.exc
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response

if TYPE_CHECKING:
    from .metrics import Metrics

__all__ = ["BodyLimit", "BodyTooLarge", "CatchAll", "RequestObserver", "route_template"]

log = logging.getLogger("jwtgate.server")
access_log = logging.getLogger("jwtgate.access")


class BodyTooLarge(HTTPException):
    """The request body passed the configured limit (413). An HTTPException so that FastAPI's
    body parsing lets it through instead of turning it into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes: at once when Content-Length says so, and
    while reading when the body is streamed (chunked, or a Content-Length that lies)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                response = error_response(400, "invalid_request", "bad Content-Length header")
                await response(scope, receive, send)
                return
            if int(declared) > self.limit:
                response = error_response(413, "request_too_large", BodyTooLarge(self.limit).detail)
                await response(scope, receive, send)
                return
        received = 0
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


# The database could not be reached or could not answer in time (refused or dropped
# connection, pool exhausted, SQLite busy past its timeout): the request may be retried.
DATABASE_UNAVAILABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
)
RETRY_AFTER_SECONDS = 1


class CatchAll:
    """Answer any unexpected exception with 500 ``server_error`` in the JSON error body, or
    with 503 ``temporarily_unavailable`` and ``Retry-After`` when the database is unreachable
    (the request did not take effect and a retry may succeed).

    The log line names the exception type and where it was raised, never its message or the
    request (either may hold a password or a token). Nothing of the traceback reaches the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = [f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-8:]]
            unavailable = isinstance(exc, DATABASE_UNAVAILABLE)
            log.error(
                "database unavailable" if unavailable else "unhandled exception",
                extra={
                    "event": "database_unavailable" if unavailable else "unhandled_exception",
                    "exception": type(exc).__qualname__,
                    "route": route_template(scope),
                    "stack": where,
                },
            )
            if started:
                raise
            if unavailable:
                response = error_response(
                    503,
                    "temporarily_unavailable",
                    "the database cannot be reached; the request did not take effect, "
                    "try again shortly",
                    {"retry-after": str(RETRY_AFTER_SECONDS)},
                )
            else:
                response = error_response(
                    500,
                    "server_error",
                    "the server failed to handle this request; it has been logged",
                )
            await response(scope, receive, send)


def route_template(scope: Scope) -> str:
    """The path template of the matched route (``/admin/users/{id}``), bounded for labels."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    raw = scope.get("path", "")
    if isinstance(raw, str) and raw.startswith("/web/static/"):
        return "/web/static"
    return "unmatched"


class RequestObserver:
    """Time every HTTP request: the latency histogram by route template, and one JSON access
    line (method, route template, status, duration; never the query string or a header)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope.get("method", "")
            self.metrics.observe_request(method, route, status, elapsed)
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "event": "request",
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
