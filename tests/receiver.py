"""A relying party's back-channel logout endpoint on 127.0.0.1 (OpenID Connect Back-Channel
Logout 1.0, 2.5), for the tests of logout token delivery."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = ["Receiver"]


class Receiver:
    """A relying party's back-channel logout endpoint: records every POST and answers with
    the next of ``statuses`` (then 200); ``hold`` makes it wait until released."""

    def __init__(self, statuses: tuple[int, ...] = (), location: str | None = None) -> None:
        self.bodies: list[dict[str, list[str]]] = []
        self.headers: list[dict[str, str]] = []
        self.statuses = list(statuses)
        self.location = location
        self.hold = threading.Event()
        self.hold.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                receiver.bodies.append(parse_qs(body))
                receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                receiver.arrived.set()
                receiver.hold.wait(30)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/backchannel"

    def tokens(self) -> list[str]:
        return [b["logout_token"][0] for b in self.bodies]

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
