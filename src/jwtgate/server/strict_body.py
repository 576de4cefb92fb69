"""One meaning per request body: the edge refuses, for every route, bodies that two parsers
could read two ways.

- JSON (``application/json``, ``+json``, or no content type, which FastAPI reads as JSON) must
  be UTF-8 without a byte order mark (RFC 8259 8.1: UTF-16 and UTF-32, with or without a
  BOM, are refused; Python's ``json.loads`` would silently accept them), and no object may
  repeat a member name at any depth (RFC 8259 4: the last one would win, so
  ``{"username":"nobody","username":"alice"}`` would log in as alice while a log or a proxy
  that reads the first saw "nobody").
- Form bodies (``application/x-www-form-urlencoded``) must not repeat a parameter (RFC 6749
  3.1 and 3.2: "Request and response parameters MUST NOT be included more than once"); this
  covers ``/auth/token``, ``/auth/revoke``, ``/auth/introspect`` and every web page's form,
  and every form route added later. Nor may a query string repeat one (RFC 6749 3.1). The
  one exception is ``resource`` (RFC 8707 2: "MAY be used multiple times"), in
  :data:`REPEATABLE`.
- ``multipart/form-data`` is refused (415): no route takes a file, and its fields would
  bypass the check above.

Each refusal is 400 ``invalid_request`` (415 for multipart) with the JSON error body, before
any route runs. The body is read once here (the body limit, inside, bounds it) and replayed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response
from .middleware import BodyTooLarge

__all__ = ["REPEATABLE", "StrictBodies", "body_problem", "query_problem"]

FORM = "application/x-www-form-urlencoded"
REPEATABLE = frozenset({"resource"})
"""Parameters a request may repeat (RFC 8707 2); every other one appears at most once."""
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class _Duplicate(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise _Duplicate(name)
        out[name] = value
    return out


def _shown(name: str) -> str:
    return repr(name[:40])


def _json_problem(body: bytes) -> str | None:
    if body.startswith(_BOMS):
        return "a JSON body is UTF-8 without a byte order mark (RFC 8259 8.1)"
    if len(body) >= 2 and (body[0] == 0 or body[1] == 0):
        return "a JSON body is UTF-8, not UTF-16 or UTF-32 (RFC 8259 8.1)"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "a JSON body is UTF-8 (RFC 8259 8.1)"
    try:
        json.loads(text, object_pairs_hook=_unique)
    except _Duplicate as dup:
        return f"the JSON member {_shown(dup.name)} appears more than once"
    except (ValueError, RecursionError):
        return None  # not JSON at all: the route's own validation answers
    return None


def _pairs_problem(pairs: list[tuple[str, str]], where: str) -> str | None:
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen and name not in REPEATABLE:
            return f"the {where} parameter {_shown(name)} appears more than once (RFC 6749 3.1)"
        seen.add(name)
    return None


def query_problem(query: bytes) -> str | None:
    """Why this query string is refused (a repeated parameter), or None."""
    if not query or b"&" not in query:
        return None
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return _pairs_problem(pairs, "query")


def body_problem(media_type: str, body: bytes) -> str | None:
    """Why this body is refused (see the module docstring), or None."""
    if not body:
        return None
    if media_type == FORM:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return _pairs_problem(pairs, "form")
    if not media_type or media_type == "application/json" or media_type.endswith("+json"):
        return _json_problem(body)
    return None


class StrictBodies:
    """Refuse ambiguous bodies and query strings on every route (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = query_problem(scope.get("query_string", b""))
        if problem is not None:
            await error_response(400, "invalid_request", problem)(scope, receive, send)
            return
        media = Headers(scope=scope).get("content-type", "").split(";", 1)[0].strip().lower()
        if media == "multipart/form-data":
            response = error_response(
                415,
                "invalid_request",
                "multipart bodies are not accepted; send application/x-www-form-urlencoded "
                "or application/json",
            )
            await response(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        try:
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break  # the client went away; the route sees the disconnect next
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
        except BodyTooLarge as exc:  # a streamed body past the limit (see BodyLimit)
            await error_response(413, "request_too_large", exc.detail)(scope, receive, send)
            return
        body = b"".join(chunks)
        problem = body_problem(media, body)
        if problem is not None:
            await error_response(400, "invalid_request", problem)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
