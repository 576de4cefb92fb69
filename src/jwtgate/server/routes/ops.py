"""Operations: liveness and Prometheus metrics.

The metrics say how many logins fail, which routes are slow and which token errors happen:
reconnaissance for an attacker, so they are not public. With ``JWTGATE_METRICS_TOKEN`` set,
``GET /metrics`` needs ``Authorization: Bearer <that token>`` (compared in constant time) from
everyone; without it only a direct loopback peer may read them. A request that came through a
proxy is never direct, whatever address the proxy vouches for: a proxy on the same machine
makes every outside request arrive from loopback, so any forwarding header refuses it.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ...config import Settings
from ..context import ServerContext
from ..errors import bearer_challenge
from ..metrics import CONTENT_TYPE_LATEST
from . import errors

__all__ = ["FORWARDING_HEADERS", "metrics_access", "ops_router"]

FORWARDING_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
)
"""Headers a proxy adds (RFC 7239 and the de-facto ones): their presence means "not direct"."""


def _direct_loopback(request: Request) -> bool:
    if request.client is None or any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def metrics_access(settings: Settings) -> Callable[[Request], None]:
    """The check in front of ``/metrics`` (see the module docstring). Raises HTTPException:
    401 with a Bearer challenge (token configured, absent or wrong), 403 (no token
    configured and not a direct loopback peer)."""
    secret = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    def check(request: Request) -> None:
        if secret is None:
            if not _direct_loopback(request):
                raise HTTPException(
                    403,
                    "the metrics are served to direct loopback peers only; set "
                    "JWTGATE_METRICS_TOKEN to scrape them from elsewhere",
                )
            return
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise HTTPException(
                401, "the metrics need a bearer token", {"www-authenticate": bearer_challenge()}
            )
        if not hmac.compare_digest(value.strip().encode(), secret):
            challenge = bearer_challenge("invalid_token", "wrong metrics token")
            raise HTTPException(401, "wrong metrics token", {"www-authenticate": challenge})

    return check


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
        dependencies=[Depends(metrics_access(ctx.settings))],
        responses={
            200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"},
            **errors(
                401,
                403,
                s401="JWTGATE_METRICS_TOKEN is set and the bearer is absent or wrong",
                s403="no JWTGATE_METRICS_TOKEN, and the caller is not a direct loopback peer",
            ),
        },
    )
    async def prometheus() -> Response:
        """Logins, refreshes, rejected tokens, and request latency by route template. Needs
        ``Authorization: Bearer $JWTGATE_METRICS_TOKEN``, or, without that setting, a direct
        connection from a loopback address."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
