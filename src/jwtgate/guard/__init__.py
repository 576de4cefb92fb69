"""The resource-server side: :class:`Guard` verifies the issuer's access tokens in any Python
service, with a verified-token cache, a JWKS client and the issuer's revocation feed.

Framework integrations live in their own modules, imported only when used:
``jwtgate.guard.fastapi`` (also through ``guard.require()``), ``jwtgate.guard.starlette``,
``jwtgate.guard.middleware`` (``GuardMiddleware``, also importable from here: loaded on first
use), ``jwtgate.guard.flask`` (extra ``flask``) and ``jwtgate.guard.django`` (extra
``django``). Importing this package imports no web framework and no HTTP client.
"""

from typing import TYPE_CHECKING, Any

from .core import Guard, GuardStats
from .health import GuardHealth
from .policy import InsufficientScope, Requirement
from .principal import Principal

if TYPE_CHECKING:
    from .middleware import GuardMiddleware

__all__ = [
    "Guard",
    "GuardHealth",
    "GuardMiddleware",
    "GuardStats",
    "InsufficientScope",
    "Principal",
    "Requirement",
]


def __getattr__(name: str) -> Any:
    """``GuardMiddleware`` on first use (it needs Starlette, which ``import jwtgate`` does
    not load)."""
    if name == "GuardMiddleware":
        from .middleware import GuardMiddleware

        return GuardMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
