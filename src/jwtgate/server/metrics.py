"""Prometheus metrics of one app, in its own registry (two apps in one process never mix).

Counters for logins, refreshes and rejected tokens, and a latency histogram by route template
(never by raw path, so a scanner cannot create unbounded series). ``GET /metrics`` renders
:meth:`Metrics.render`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from ..auth.errors import Throttled

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_SERIES_CACHE = 1024
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters and histogram of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.logins = Counter(
            "jwtgate_logins",
            "Password logins (/auth/login and the password grant) by result.",
            ["result"],
            registry=self.registry,
        )
        self.refreshes = Counter(
            "jwtgate_refreshes",
            "Refresh-token exchanges by result.",
            ["result"],
            registry=self.registry,
        )
        self.token_errors = Counter(
            "jwtgate_token_errors",
            "Access tokens rejected on protected routes, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.requests = Counter(
            "jwtgate_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "jwtgate_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        for result in ("success", "failure", "throttled"):
            self.logins.labels(result)
        for result in ("success", "failure"):
            self.refreshes.labels(result)

    @contextmanager
    def counting(self, counter: Counter) -> Iterator[None]:
        """Count the block under ``success``, ``throttled`` or ``failure`` (then re-raise)."""
        try:
            yield
        except Throttled:
            counter.labels("throttled").inc()
            raise
        except Exception:
            counter.labels("failure").inc()
            raise
        counter.labels("success").inc()

    def token_error(self, exc: Exception) -> None:
        """Count a rejected access token under its error class (a bounded set)."""
        self.token_errors.labels(type(exc).__name__).inc()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request.

        The labelled series are looked up once per (method, route, status) and kept (at most
        ``_SERIES_CACHE`` of them; a method the client made up past that is looked up each
        time): ``labels()`` takes a lock and builds its key on every call.
        """
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            if len(self._series) < _SERIES_CACHE:
                self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
