"""A FastAPI service that accepts jwtgate access tokens: GET /users needs a valid token,
GET /admin/report needs the role ``admin``. No call to the auth server per request: keys come
from its JWKS (cached), revocations from its feed (polled in the background).

    python examples/fastapi_service.py [--port 8001]

Configuration: see guard_env.py (JWTGATE_ISSUER, JWTGATE_CLIENT_ID, ...).
"""

# No "from __future__ import annotations": FastAPI reads the route signatures at run time.

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI
from guard_env import guard_from_env

from jwtgate import Guard, Principal

USERS = [
    {"id": 1, "name": "Ada Lovelace"},
    {"id": 2, "name": "Grace Hopper"},
]


def create_app(guard: Guard | None = None) -> FastAPI:
    """The service, protected by ``guard`` (by default, one configured from the environment)."""
    guard = guard or guard_from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with guard:  # follows the revocation feed while the service runs
            yield

    app = FastAPI(title="jwtgate example: FastAPI", lifespan=lifespan)
    CurrentUser = Annotated[Principal, Depends(guard.require())]
    Admin = Annotated[Principal, Depends(guard.require(roles=["admin"]))]

    @app.get("/users")
    async def list_users(user: CurrentUser) -> dict[str, Any]:
        """Any valid access token."""
        return {"users": USERS, "requested_by": user.sub}

    @app.get("/admin/report")
    async def admin_report(user: Admin) -> dict[str, Any]:
        """Only tokens with the role admin; others get 403 insufficient_scope."""
        return {"report": {"users": len(USERS)}, "requested_by": user.username or user.sub}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
