"""The app factory: ``create_app(settings)`` builds the whole auth server as a FastAPI app.

Nothing happens at import time. The factory wires the auth service (built from the settings
unless one is given), the JSON API routes, the web pages (:func:`jwtgate.server.web.install`),
the error mapping, the body limit, metrics and access logs, and a lifespan task that pulls
other processes' revocations and key rotations (``auth.sync()``) every
``settings.revocation_poll_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..auth import build_auth
from ..auth.service import DOCS_CLIENT_ID, AuthService
from ..config import Settings
from . import web
from .context import ServerContext
from .docs import install_docs
from .errors import install_error_handlers
from .logging import configure_logging
from .memory import IdleTrimmer, tune_allocator
from .metrics import Metrics
from .middleware import BodyLimit, CatchAll, RequestObserver
from .routes.account_email import account_email_router
from .routes.admin import admin_router
from .routes.auth import auth_router
from .routes.mfa import mfa_router
from .routes.oauth import oauth_router
from .routes.ops import ops_router
from .routes.userinfo import userinfo_router
from .routes.wellknown import wellknown_router
from .routing import include_routes
from .strict_body import StrictBodies

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("jwtgate.server")

DOCS_REDIRECT_PATH = "/docs/oauth2-redirect"
"""Swagger UI's OAuth 2.0 redirect page, served by FastAPI."""

DESCRIPTION = """\
JWT authentication: log in, get a short-lived access token and a rotating refresh token,
call APIs with `Authorization: Bearer <token>`, refresh, log out.

Click **Authorize** and sign in on jwtgate's own page (the authorization code flow with PKCE,
through the built-in client `jwtgate-docs`); Swagger UI then sends the access token with every
request.
Errors are `{"error": CODE, "error_description": TEXT}` (RFC 6749 5.2, RFC 6750 3).
"""

TAGS = [
    {"name": "auth", "description": "The JSON login API."},
    {"name": "oauth", "description": "OAuth 2.0 endpoints (form-encoded, RFC 6749/7009/7662)."},
    {"name": "oidc", "description": "OpenID Connect: userinfo, end-session."},
    {"name": "admin", "description": "Administration; needs a bearer with role admin."},
    {"name": "discovery", "description": "Public keys and server metadata."},
    {"name": "ops", "description": "Liveness and metrics."},
]


async def _poll_revocations(auth: AuthService, interval: float) -> None:
    """Call ``auth.sync()`` every ``interval`` seconds until cancelled; failures are logged
    (by type only) and retried on the next tick, so a database hiccup never stops the loop."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(auth.sync)
        except Exception as exc:
            log.warning(
                "revocation sync failed",
                extra={"event": "sync_failed", "exception": type(exc).__qualname__},
            )


TRIM_INTERVAL = 2.0
"""Seconds between two looks at the allocator's free memory (see server.memory.IdleTrimmer)."""


async def _trim_idle_memory(interval: float) -> None:
    """Give argon2's reused blocks back to the system once a login burst is over; the startup
    hashes' at once."""
    trimmer = IdleTrimmer()
    if not trimmer.available:
        return
    trimmer.trim()
    while True:
        await asyncio.sleep(interval)
        trimmer.tick()


MAIL_INTERVAL = 1.0
"""Seconds between two looks at the mail outbox (sending right after a commit would need a
signal between instances; one second is well within what a user waits for a mail)."""


async def _deliver_mail(auth: AuthService, interval: float) -> None:
    """Deliver due mail from the outbox until cancelled; a failure (the database down) is
    logged by type and retried on the next tick. Failed deliveries are the outbox's business:
    retried with back-off and audited."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(auth.deliver_mail)
        except Exception as exc:
            log.warning(
                "mail outbox check failed",
                extra={"event": "outbox_failed", "exception": type(exc).__qualname__},
            )


def create_app(settings: Settings, *, auth: AuthService | None = None) -> FastAPI:
    """Build the auth server for ``settings``.

    ``auth`` is built with :func:`jwtgate.auth.build_auth` (schema upgraded, signing key
    loaded or created) when not given; an auth built here is closed when the app shuts down.
    Raises ValueError for unusable settings (see build_auth and ``cors_origins``).
    """
    owned = auth is None
    service = build_auth(settings) if auth is None else auth

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_poll_revocations(service, settings.revocation_poll_interval))
        mailer = asyncio.create_task(_deliver_mail(service, MAIL_INTERVAL))
        trimmer = asyncio.create_task(_trim_idle_memory(TRIM_INTERVAL))
        service.start_background()  # back-channel logout deliveries
        try:
            yield
        finally:
            for running in (task, mailer, trimmer):
                running.cancel()
                with suppress(asyncio.CancelledError):
                    await running
            if owned:
                service.close()

    app = FastAPI(
        title="jwtgate",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_docs, not from a CDN
        redoc_url=None,
        swagger_ui_init_oauth={
            "clientId": DOCS_CLIENT_ID,
            "usePkceWithAuthorizationCodeGrant": True,
        },
    )
    try:
        service.ensure_docs_client(service.issuer.rstrip("/") + DOCS_REDIRECT_PATH)
    except BaseException:
        if owned:
            service.close()
        raise
    metrics = Metrics()
    ctx = ServerContext(auth=service, settings=settings, metrics=metrics)
    app.state.auth = service
    app.state.settings = settings
    app.state.metrics = metrics

    install_error_handlers(app)
    include_routes(app, auth_router(ctx))
    include_routes(app, account_email_router(ctx))
    include_routes(app, mfa_router(ctx))
    include_routes(app, oauth_router(ctx))
    include_routes(app, userinfo_router(ctx))
    include_routes(app, admin_router(ctx))
    include_routes(app, wellknown_router(ctx))
    include_routes(app, ops_router(ctx))
    install_docs(app)

    # Innermost first: the body limit sits inside CORS so that its 413 carries CORS headers;
    # the strict-body check inside the limit, so what it reads is bounded.
    app.add_middleware(StrictBodies)
    app.add_middleware(BodyLimit, limit=settings.max_body_size)
    try:
        web.install(app, service, settings)
    except BaseException:
        if owned:
            service.close()
        raise
    app.add_middleware(CatchAll)
    app.add_middleware(RequestObserver, metrics=metrics)
    return app


def app_from_env() -> FastAPI:
    """The app from the environment (``JWTGATE_*``), for ``uvicorn --factory`` and
    ``jwtgate serve --workers N``; logs go to stderr as JSON lines."""
    configure_logging()
    tune_allocator()
    return create_app(Settings())
