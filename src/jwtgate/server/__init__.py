"""The HTTP server: the FastAPI app of the auth server, built by :func:`create_app`."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
