"""Concurrent login bursts against a real ``jwtgate serve --workers 2``: the throttle's promise
(5 password checks per username, 20 per address, then 429) holds however many attempts arrive
at once and whichever worker takes them, and the right password late in a burst waits too.

Argon2 runs with costs high enough (8 MiB) that a password check takes a while, as it does in
production: before attempts were reserved ahead of the hash, every attempt of a burst passed
the throttle's check before the first failure was counted (40 of 40 were checked)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .burst import burst, password_checks
from .live import ADMIN_PASSWORD, Live, serve
from .serverkit import PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(
        tmp_path_factory.mktemp("burst"),
        "--workers",
        "2",
        JWTGATE_ARGON2_TIME_COST="2",
        JWTGATE_ARGON2_MEMORY_COST="8192",
        JWTGATE_FORWARDED_ALLOW_IPS="127.0.0.1",  # each burst from an address of its own
    ) as server:
        yield server


@pytest.fixture(scope="module")
def admin(live: Live) -> str:
    response = httpx.post(
        live.url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def add_user(live: Live, admin: str, username: str) -> None:
    response = httpx.post(
        live.url + "/admin/users",
        headers={"authorization": f"Bearer {admin}"},
        json={"username": username, "password": PASSWORD},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("size", "right_at"), [(40, 30), (200, 150)])
def test_a_login_burst_gets_five_password_checks_and_the_right_password_waits(
    live: Live, admin: str, size: int, right_at: int
) -> None:
    username = f"burst{size}"
    add_user(live, admin, username)
    result = burst(
        [live.url], username, size, right=(right_at, PASSWORD), address=f"198.51.100.{size % 250}"
    )
    checks = password_checks(live.url, admin, username)
    print(f"burst of {size}: {checks} password checks in {result.seconds:.2f} s")
    assert checks == result.checked()  # every checked attempt audited, no other
    assert checks <= 5 + result.back_off_allowance(), result.statuses
    assert result.statuses[right_at] == 429
    assert set(result.statuses) <= {401, 429}


def test_a_burst_over_many_usernames_gets_twenty_checks_per_address(live: Live, admin: str) -> None:
    result = burst([live.url], [f"spray{i}" for i in range(60)], 60, address="203.0.113.60")
    print(f"burst of 60 usernames from one address: {result.checked()} password checks")
    assert result.checked() <= 20 + result.back_off_allowance(), result.statuses
