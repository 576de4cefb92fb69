"""Usernames over HTTP: one normalisation (RFC 8265 PRECIS UsernameCaseMapped) for uniqueness
and login, and names that could pass for another refused at registration and creation with
a 400 invalid_request saying why; registration is throttled per address like login."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .serverkit import ADMIN, PASSWORD, Server, bearer, login, make_client

KELVIN_KATE = "\u212aate"


@pytest.fixture
def open_server(make_server: Callable[..., Server]) -> Server:
    return make_server(allow_registration=True)


async def test_the_kelvin_sign_does_not_log_in_as_k(open_server: Server) -> None:
    async with make_client(open_server.app) as client:
        created = await client.post(
            "/auth/register", json={"username": "kate", "password": PASSWORD}
        )
        assert created.status_code == 201
        kelvin = await client.post(
            "/auth/login", json={"username": KELVIN_KATE, "password": PASSWORD}
        )
        assert kelvin.status_code == 401 and kelvin.json()["error"] == "invalid_grant"
        for spelling in ("KATE", "\uff2b\uff21\uff34\uff25"):  # any case; fullwidth is width-mapped
            assert (await login(client, spelling, PASSWORD))["access_token"]
        refused = await client.post(
            "/auth/register", json={"username": KELVIN_KATE, "password": PASSWORD}
        )
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
        assert "Kelvin sign" in refused.json()["error_description"]


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("p\u0430ypal", "mixes Cyrillic and Latin"),  # a Cyrillic a
        ("\u0440\u0430\u0443\u0440\u0430\u04cf", "look like Latin ones"),  # all-Cyrillic "paypal"
        ("\u03bf\u03c1\u03b1", "look like Latin ones"),  # Greek "opa"
        ("\uff41dmin", "fullwidth"),
        ("ad min", "a space"),
    ],
)
async def test_names_that_pass_for_another_are_refused_with_the_reason(
    open_server: Server, username: str, why: str
) -> None:
    async with make_client(open_server.app) as client:
        registered = await client.post(
            "/auth/register", json={"username": username, "password": PASSWORD}
        )
        assert registered.status_code == 400, registered.text
        assert registered.json()["error"] == "invalid_request"
        assert why in registered.json()["error_description"]
        admin = (await login(client, ADMIN, PASSWORD))["access_token"]
        created = await client.post(
            "/admin/users", json={"username": username, "password": PASSWORD}, headers=bearer(admin)
        )
        assert created.status_code == 400 and why in created.json()["error_description"]


async def test_names_in_one_script_are_welcome(open_server: Server) -> None:
    async with make_client(open_server.app) as client:
        for name in (
            "jos\u00e9",
            "\u043f\u0440\u0438\u0432\u0435\u0442",
            "\u65e5\u672c\u3072\u3089",
        ):
            created = await client.post(
                "/auth/register", json={"username": name, "password": PASSWORD}
            )
            assert created.status_code == 201, created.text
            assert (await login(client, name.upper(), PASSWORD))["access_token"]
        # NFC: the decomposed spelling is the same account.
        taken = await client.post(
            "/auth/register", json={"username": "jose\u0301", "password": PASSWORD}
        )
        assert taken.status_code == 409


async def test_registration_is_throttled_per_address(open_server: Server) -> None:
    async with make_client(open_server.app) as client:
        statuses = [
            (
                await client.post(
                    "/auth/register", json={"username": f"user{i}", "password": PASSWORD}
                )
            ).status_code
            for i in range(21)
        ]
        assert statuses[:20] == [201] * 20
        assert statuses[20] == 429
        blocked = await client.post(
            "/auth/register", json={"username": "late", "password": PASSWORD}
        )
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        # Logins from the same address are not used up by the sign-ups.
        assert (await login(client, "user1", PASSWORD))["access_token"]
