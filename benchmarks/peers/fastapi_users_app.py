"""fastapi-users as its docs set it up ("Full example", SQLAlchemy): async SQLite through
aiosqlite, a UUID user table, BearerTransport + JWTStrategy (which has no refresh tokens and
cannot revoke), the auth router, a route behind ``current_user(active=True)`` (which loads
the user from the database on every request).

    uvicorn fastapi_users_app:app --workers 1          (BENCH_DB, BENCH_HASHER)
    python fastapi_users_app.py setup N FILE            (no refresh tokens: FILE stays empty)
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncGenerator

from _common import ACCESS_TTL, ARGON2, EMAIL, PASSWORD, SECRET, database, hasher
from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


engine = create_async_engine(f"sqlite+aiosqlite:///{database()}")


@event.listens_for(engine.sync_engine, "connect")
def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async_session_maker = async_sessionmaker(engine, expire_on_commit=False)
# The library's default (pwdlib's recommended: argon2-cffi's defaults, then bcrypt), or
# argon2id at jwtgate's parameters.
PASSWORDS = (
    PasswordHelper(PasswordHash((Argon2Hasher(**ARGON2),)))
    if hasher() == "argon2"
    else PasswordHelper()
)


async def get_async_session() -> AsyncGenerator[AsyncSession, None]:
    async with async_session_maker() as session:
        yield session


async def get_user_db(session: AsyncSession = Depends(get_async_session)):  # type: ignore[no-untyped-def]
    yield SQLAlchemyUserDatabase(session, User)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


async def get_user_manager(user_db=Depends(get_user_db)):  # type: ignore[no-untyped-def]
    yield UserManager(user_db, PASSWORDS)


bearer_transport = BearerTransport(tokenUrl="auth/jwt/login")


def get_jwt_strategy() -> JWTStrategy:  # type: ignore[type-arg]
    return JWTStrategy(secret=SECRET, lifetime_seconds=ACCESS_TTL)


auth_backend = AuthenticationBackend(
    name="jwt", transport=bearer_transport, get_strategy=get_jwt_strategy
)
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])
current_active_user = fastapi_users.current_user(active=True)

app = FastAPI()
app.include_router(fastapi_users.get_auth_router(auth_backend), prefix="/auth/jwt")


@app.get("/me")
async def me(user: User = Depends(current_active_user)) -> dict[str, str]:
    return {"email": user.email}


async def _setup() -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with async_session_maker() as session:
        manager = UserManager(SQLAlchemyUserDatabase(session, User), PASSWORDS)
        await manager.create(UserCreate(email=EMAIL, password=PASSWORD))
    await engine.dispose()


if __name__ == "__main__" and sys.argv[1:2] == ["setup"]:
    asyncio.run(_setup())
    open(sys.argv[3], "w").close()
