"""The auth layer: login, sessions, refresh rotation, revocation, keys, throttling, audit.

Free of HTTP. The server and the CLI build one :class:`AuthService` with :func:`build_auth`
and call its methods; errors come from :mod:`jwtgate.auth.errors`.
"""

from __future__ import annotations

from .errors import (
    AuthError,
    Conflict,
    EmailNotVerified,
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
from .factory import build_auth, default_issuer
from .service import AuthService, Claims
from .values import Client, Event, KeyInfo, Page, Session, TokenPair, User

__all__ = [
    "AuthError",
    "AuthService",
    "Claims",
    "Client",
    "Conflict",
    "EmailNotVerified",
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
    "default_issuer",
]
