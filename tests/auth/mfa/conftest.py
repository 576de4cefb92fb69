"""MFA fixtures: the auth fixtures (fake clock, cheap argon2), a user with TOTP set up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest

from jwtgate.auth import AuthService
from jwtgate.auth.errors import MfaRequired

from ..authkit import PASSWORD, FakeClock


@dataclass
class Enrolled:
    """A user with a confirmed TOTP: its id, secret and recovery codes."""

    username: str
    user_id: str
    secret: str
    codes: list[str]


def password_token(service: AuthService, username: str) -> dict[str, Any]:
    """Claims of a fresh password-only sign-in (the user must have no factor)."""
    return service.authenticate(service.login(username, PASSWORD).access_token)


def mfa_token(service: AuthService, username: str, ip: str | None = None) -> MfaRequired:
    """The MfaRequired of a right password for a user with a factor."""
    with pytest.raises(MfaRequired) as caught:
        service.login(username, PASSWORD, client_ip=ip)
    return caught.value


def code_at(secret: str, now: float) -> str:
    """The TOTP code of ``secret`` at ``now`` (pyotp)."""
    return pyotp.TOTP(secret).at(now)


@pytest.fixture
def enrol(auth: AuthService, clock: FakeClock) -> Callable[..., Enrolled]:
    """Create a user and set up TOTP through the public API."""

    def make(username: str = "alice", roles: tuple[str, ...] = (), **kwargs: Any) -> Enrolled:
        user = auth.create_user(username, PASSWORD, roles=roles, **kwargs)
        claims = password_token(auth, username)
        started = auth.mfa.totp_start(claims)
        codes = auth.mfa.totp_confirm(claims, code_at(started.secret, clock()))
        clock.advance(30)  # the confirming step is used up
        return Enrolled(username, user.id, started.secret, codes)

    return make
