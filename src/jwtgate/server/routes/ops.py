"""Operations: liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..context import ServerContext
from ..metrics import CONTENT_TYPE_LATEST

__all__ = ["ops_router"]


def ops_router(ctx: ServerContext) -> APIRouter:
    """``/healthz`` and ``/metrics``."""
    router = APIRouter(tags=["ops"])
    metrics = ctx.metrics
    ok = b'{"status":"ok"}'

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> Response:
        """200 ``{"status": "ok"}`` while the process serves requests."""
        return Response(ok, media_type="application/json")

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
    )
    async def prometheus() -> Response:
        """Logins, refreshes, rejected tokens, and request latency by route template."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
