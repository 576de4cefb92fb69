"""What the Guard reads from an ASGI request scope, without any framework: the credentials
headers in one pass, and the URL the client used (for a DPoP proof's ``htu``).

Shared by :mod:`jwtgate.guard.middleware`, the FastAPI dependency and the Starlette backend.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote

from .dpop import app_url

__all__ = ["credentials_headers", "scope_url"]

Scope = MutableMapping[str, Any]
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SAFE = "/:@!$&'()*+,;="


def credentials_headers(scope: Scope) -> tuple[str | None, list[str]]:
    """The ``Authorization`` header (the first) and every ``DPoP`` header value."""
    authorization = None
    proofs: list[str] = []
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == b"dpop":
            proofs.append(value.decode("latin-1"))
    return authorization, proofs


def _paths(scope: Scope) -> tuple[str, str]:
    """(the full path, the path within the app) from ``path`` and ``root_path``."""
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):  # servers that put root_path into path
        return path, path[len(root) :] or "/"
    return root + path, path


def scope_url(scope: Scope, external_url: str | None) -> str:
    """The request's URL without query: ``external_url`` + the path within the app, else
    scheme, ``Host`` header (or the server address) and the full path."""
    full, in_app = _paths(scope)
    return app_url(
        external_url, lambda: _base(scope) + quote(full, safe=_SAFE), quote(in_app, safe=_SAFE)
    )


def _base(scope: Scope) -> str:
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    for name, value in scope["headers"]:
        if name == b"host":
            return f"{scheme}://{value.decode('latin-1')}"
    server = scope.get("server")
    if server:
        host, port = server[0], server[1]
        if port is None or port == _DEFAULT_PORTS.get(scheme):
            return f"{scheme}://{host}"
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://localhost"
