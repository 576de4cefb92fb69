"""The resource-server side: :class:`Guard` verifies the issuer's access tokens in any Python
service, with a verified-token cache, a JWKS client and the issuer's revocation feed.

Framework integrations live in their own modules, imported only when used:
``jwtgate.guard.fastapi`` (also through ``guard.require()``), ``jwtgate.guard.starlette``,
``jwtgate.guard.flask`` (extra ``flask``) and ``jwtgate.guard.django`` (extra ``django``).
Importing this package imports no web framework and no HTTP client.
"""

from .core import Guard, GuardStats
from .health import GuardHealth
from .policy import InsufficientScope, Requirement
from .principal import Principal

__all__ = ["Guard", "GuardHealth", "GuardStats", "InsufficientScope", "Principal", "Requirement"]
