"""Bounded HTTP/1.1 for ``jwtgate serve``: header size, header time and connections.

uvicorn's httptools protocol buffers whatever a client sends before the end of the headers
(one 200 MB ``Authorization`` header took the server from 127 to 537 MB) and has no timeout
for headers (a client sending a header line every few seconds keeps its connection forever,
since each byte cancels the keep-alive timer). Its h11 protocol can bound the buffer
(``h11_max_incomplete_event_size``) but not the time, and parses in pure Python. So this is
httptools' protocol with three bounds of its own, checked before the parser sees a byte:

- the request line and headers together may not exceed ``max_header_size`` bytes: past it
  the answer is 431 and the connection closes, so no connection ever buffers more than that;
- they must be complete ``header_timeout`` seconds after their first byte (after the
  connection opens, for the first request): else 408 and the connection closes, however
  steadily the bytes trickle;
- a worker holds at most ``max_connections`` connections; one more is closed at once.

Together they bound what a client can make a worker hold: ``max_connections`` x
``max_header_size`` bytes of headers, each for ``header_timeout`` seconds at most.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

__all__ = ["BoundedHttpToolsProtocol", "ConnectionLimits"]

_END = b"\r\n\r\n"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The bounds of :class:`BoundedHttpToolsProtocol` (from the settings of the same names)."""

    max_header_size: int
    header_timeout: float
    max_connections: int


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds of the module docstring. Give it to
    uvicorn as ``http=functools.partial(BoundedHttpToolsProtocol, limits=...)``."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._in_headers = True  # between the end of one message and the next one's headers
        self._header_bytes = 0
        self._tail = b""  # the last bytes seen, for a terminator split between two reads
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections:
            self._in_headers = False
            transport.close()  # over the cap: refused before a byte is read
            return
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # refused: nothing more reaches the parser
        if self._in_headers:
            if self._header_timer is None:
                self._start_header_timer()
            window = self._tail + data
            end = window.find(_END)
            size = self._header_bytes + (len(data) if end < 0 else end + 4 - len(self._tail))
            if size > self._limits.max_header_size:
                self._refuse(
                    431,
                    "request_header_fields_too_large",
                    f"the request line and headers exceed {self._limits.max_header_size} bytes",
                )
                return
            self._header_bytes = size
            self._tail = window[-3:]
        super().data_received(data)

    # Parser callbacks (called by httptools from within data_received)
    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_headers = True  # the next request's headers are counted and timed afresh
        self._header_bytes = 0
        self._tail = b""

    # -- the bounds -------------------------------------------------------------------------

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(
            self._limits.header_timeout, self._headers_too_slow
        )

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self._in_headers or self.transport.is_closing():
            return
        if self._header_bytes == 0:
            self.transport.close()  # an idle connection: nothing to answer
            return
        self._refuse(
            408,
            "request_timeout",
            f"the request headers did not arrive within {self._limits.header_timeout:g} s",
        )

    def _refuse(self, status: int, error: str, description: str) -> None:
        """Answer ``status`` with a JSON error and close; the parser sees nothing more."""
        self._in_headers = False
        self._cancel_header_timer()
        body = orjson.dumps({"error": error, "error_description": description})
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(head))
        self.transport.close()
