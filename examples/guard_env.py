"""The Guard of the example services, configured from the environment.

| variable | default |
|---|---|
| JWTGATE_ISSUER | http://127.0.0.1:8000 (what `make serve` signs as) |
| JWTGATE_AUDIENCE | api |
| JWTGATE_JWKS_URL | the issuer + /.well-known/jwks.json |
| JWTGATE_CLIENT_ID, JWTGATE_CLIENT_SECRET | unset: no revocation feed (`jwtgate clients add`) |
| JWTGATE_REVOCATION_URL | the issuer + /auth/revocations |
| JWTGATE_REVOCATION_INTERVAL | 5 (seconds) |
| JWTGATE_LEEWAY | 30 (seconds of clock skew, as the server) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from jwtgate import Guard

DEFAULT_ISSUER = "http://127.0.0.1:8000"


def guard_from_env(environ: Mapping[str, str] = os.environ) -> Guard:
    """A Guard for the server named by the environment. ValueError for unusable values."""
    issuer = environ.get("JWTGATE_ISSUER", DEFAULT_ISSUER)
    base = issuer.rstrip("/")
    client_id = environ.get("JWTGATE_CLIENT_ID") or None
    client_secret = environ.get("JWTGATE_CLIENT_SECRET") or None
    feed = client_id is not None and client_secret is not None
    return Guard(
        issuer=issuer,
        audience=environ.get("JWTGATE_AUDIENCE", "api"),
        jwks_url=environ.get("JWTGATE_JWKS_URL", base + "/.well-known/jwks.json"),
        leeway=float(environ.get("JWTGATE_LEEWAY", "30")),
        revocation_url=environ.get("JWTGATE_REVOCATION_URL", base + "/auth/revocations")
        if feed
        else None,
        client_id=client_id if feed else None,
        client_secret=client_secret if feed else None,
        revocation_interval=float(environ.get("JWTGATE_REVOCATION_INTERVAL", "5")),
    )
