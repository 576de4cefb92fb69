"""Django's argon2 hasher at jwtgate's parameters (its own module: settings name it by path)."""

from __future__ import annotations

from _common import ARGON2
from django.contrib.auth.hashers import Argon2PasswordHasher


class SameArgon2(Argon2PasswordHasher):
    """argon2id at t=2, 19 MiB, p=1."""

    time_cost = ARGON2["time_cost"]
    memory_cost = ARGON2["memory_cost"]
    parallelism = ARGON2["parallelism"]
