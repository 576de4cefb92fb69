"""Putting routers' routes on the app itself.

FastAPI 0.16x keeps an included router as a nested branch: each request walks every branch,
matching its routes, and the chosen branch matches them again to dispatch (measured here:
about half of an in-process ``GET /healthz``). A router included with no options of its own
(no prefix, tags or dependencies at the include) gains nothing from the branch: its prefix,
tags and dependencies are already part of each route, added when the route was declared.
:func:`include_routes` appends those routes to the app's own router, where matching is one
flat loop.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route

__all__ = ["include_routes"]


def include_routes(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes to ``app`` directly (as ``app.include_router(router)`` would,
    without the branch). Raises ValueError for a router this cannot include faithfully: one
    with startup or shutdown handlers, a lifespan, or a route that is not a plain HTTP route
    (an included router, a mount, a websocket)."""
    if router.on_startup or router.on_shutdown:
        raise ValueError("include_routes: the router has startup or shutdown handlers")
    routes: list[BaseRoute] = list(router.routes)
    for route in routes:
        if type(route) not in (APIRoute, Route):
            raise ValueError(f"include_routes: {type(route).__name__} needs include_router")
    app.router.routes.extend(routes)
