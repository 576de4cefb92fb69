"""Concurrent login bursts spread over two ``jwtgate serve`` instances: with Redis (one script
reserves the attempt under every counter at once) and without it (the counters are rows of
the shared PostgreSQL database, locked per counter), the burst gets the 5 password checks of
the contract, not 5 per instance, and the right password late in the burst gets 429."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ..backends import redis_namespace
from ..server.burst import burst, password_checks
from ..store.dbkit import fresh_database
from .cluster import admin_token, cluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
# A password check that takes a while, as in production (the race needs one to lose).
ARGON2 = {"JWTGATE_ARGON2_TIME_COST": "2", "JWTGATE_ARGON2_MEMORY_COST": "8192"}


def bursts(urls: list[str]) -> None:
    admin = admin_token(urls[0])
    for size, right_at in ((40, 30), (200, 150)):
        username = f"burst{size}"
        created = httpx.post(
            urls[0] + "/admin/users",
            headers={"authorization": f"Bearer {admin}"},
            json={"username": username, "password": PASSWORD},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        result = burst(urls, username, size, right=(right_at, PASSWORD), address=f"192.0.2.{size}")
        checks = password_checks(urls[0], admin, username)
        print(f"two instances, burst of {size}: {checks} password checks in {result.seconds:.2f} s")
        assert checks == result.checked()
        assert checks <= 5 + result.back_off_allowance(), result.statuses
        assert result.statuses[right_at] == 429


@pytest.mark.redis
def test_a_burst_over_two_instances_on_redis_gets_five_checks(
    tmp_path: Path, redis_url: str
) -> None:
    with (
        fresh_database("postgresql", tmp_path) as url,
        redis_namespace(redis_url) as prefix,
        cluster(
            tmp_path, url, redis_url=redis_url, redis_prefix=prefix, balancer=False, **ARGON2
        ) as running,
    ):
        bursts([live.url for live in running.instances])


def test_a_burst_over_two_instances_without_redis_gets_five_checks(tmp_path: Path) -> None:
    with (
        fresh_database("postgresql", tmp_path) as url,
        cluster(tmp_path, url, redis_url=None, balancer=False, **ARGON2) as running,
    ):
        bursts([live.url for live in running.instances])
