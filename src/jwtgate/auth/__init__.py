"""The auth layer: login, sessions, refresh rotation, revocation, keys, throttling, audit.

Free of HTTP. The server and the CLI build one :class:`AuthService` with :func:`build_auth`
and call its methods; errors come from :mod:`jwtgate.auth.errors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..config import Settings
from .errors import (
    AuthError,
    Conflict,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    NotFound,
    RegistrationDisabled,
    Throttled,
    UnsupportedGrantType,
    WeakPassword,
)
from .service import AuthService, Claims
from .values import Client, Event, KeyInfo, Page, Session, TokenPair, User

__all__ = [
    "AuthError",
    "AuthService",
    "Claims",
    "Client",
    "Conflict",
    "Event",
    "InsufficientScope",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "KeyInfo",
    "NotFound",
    "Page",
    "RegistrationDisabled",
    "Session",
    "Throttled",
    "TokenPair",
    "UnsupportedGrantType",
    "User",
    "WeakPassword",
    "build_auth",
]


def build_auth(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    upgrade: bool = True,
) -> AuthService:
    """Build the auth service from settings: engine, schema (``upgrade``: run the Alembic
    migrations first), key ring (a key is generated on first start), revocation state.

    Nothing runs at import time. Raises ValueError for unusable settings (a bad master key).
    """
    raise NotImplementedError
