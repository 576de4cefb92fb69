"""A Flask service that accepts jwtgate access tokens: GET /users needs a valid token,
GET /admin/report needs the role ``admin``. Needs the ``flask`` extra.

    python examples/flask_service.py [--port 8002]

Configuration: see guard_env.py (JWTGATE_ISSUER, JWTGATE_CLIENT_ID, ...).
"""

from __future__ import annotations

import argparse
from typing import Any

from flask import Flask, g
from guard_env import guard_from_env

from jwtgate import Guard
from jwtgate.guard.flask import require

USERS = [
    {"id": 1, "name": "Ada Lovelace"},
    {"id": 2, "name": "Grace Hopper"},
]


def create_app(guard: Guard | None = None) -> Flask:
    """The service, protected by ``guard`` (by default, one configured from the environment)."""
    guard = guard or guard_from_env()
    app = Flask(__name__)

    @app.get("/users")
    @require(guard)
    def list_users() -> dict[str, Any]:
        """Any valid access token."""
        return {"users": USERS, "requested_by": g.principal.sub}

    @app.get("/admin/report")
    @require(guard, roles="admin")
    def admin_report() -> dict[str, Any]:
        """Only tokens with the role admin; others get 403 insufficient_scope."""
        principal = g.principal
        return {
            "report": {"users": len(USERS)},
            "requested_by": principal.username or principal.sub,
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    create_app().run(host=args.host, port=args.port)  # the Flask development server


if __name__ == "__main__":
    main()
