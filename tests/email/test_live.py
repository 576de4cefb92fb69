"""Account email end to end, with real processes: ``jwtgate serve`` (its outbox worker) and an
aiosmtpd server. The SMTP server down while a reset is requested, a kill -9 with mail in the
outbox, two instances on one PostgreSQL database, and the enumeration timing of forgot."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import httpx
import pytest

from ..scale.cluster import admin_token, cluster
from ..server.live import Live, serve, start
from ..store.dbkit import fresh_database
from .mailkit import SmtpServer, free_port

NEW = "Brand-new-pass-27"


def _mail_env(smtp: SmtpServer) -> dict[str, str]:
    return {
        "JWTGATE_SMTP_URL": smtp.url,
        "JWTGATE_PUBLIC_URL": "https://login.example",
        "JWTGATE_SMTP_TIMEOUT": "3",
        # Each test request names its own client address (X-Forwarded-For from loopback).
        "JWTGATE_FORWARDED_ALLOW_IPS": "127.0.0.1",
    }


def _add_user(url: str, name: str, email: str) -> None:
    response = httpx.post(
        url + "/admin/users",
        headers={"authorization": f"Bearer {admin_token(url)}"},
        json={"username": name, "password": "Old-password-81", "email": email},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def _events(url: str, type: str) -> list[dict[str, object]]:
    response = httpx.get(
        url + "/admin/events",
        params={"type": type},
        headers={"authorization": f"Bearer {admin_token(url)}"},
        timeout=10,
    )
    items: list[dict[str, object]] = response.json()["items"]
    return items


def _wait_for_event(url: str, type: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not _events(url, type):
        assert time.monotonic() < deadline, f"no {type} event"
        time.sleep(0.2)


def _forgot(url: str, login: str, address: str = "198.51.100.1") -> httpx.Response:
    # JWTGATE_FORWARDED_ALLOW_IPS=127.0.0.1 (_mail_env): each test request gets its own address.
    return httpx.post(
        url + "/auth/password/forgot",
        json={"login": login},
        headers={"x-forwarded-for": address},
        timeout=10,
    )


@pytest.fixture
def down_smtp(tmp_path: Path) -> SmtpServer:
    """An SMTP server that is not started yet (its port refuses connections)."""
    server = SmtpServer(free_port(), tmp_path / "mail")
    server.maildir.mkdir()
    return server


def test_the_smtp_server_down_during_a_reset_request_then_back(
    tmp_path: Path, down_smtp: SmtpServer
) -> None:
    with serve(tmp_path, **_mail_env(down_smtp)) as live:
        _add_user(live.url, "ann", "ann@example.com")
        assert _forgot(live.url, "ann").status_code == 202
        _wait_for_event(live.url, "mail_delivery_failed")
        down_smtp.start()
        try:
            mail = down_smtp.wait(1, timeout=30)[0]
            reset = httpx.post(
                live.url + "/auth/password/reset",
                json={"token": mail.token, "new_password": NEW},
                timeout=10,
            )
            assert reset.status_code == 204
            assert mail.link.startswith("https://login.example/web/password/reset?token=")
        finally:
            down_smtp.stop()


def test_kill_9_with_mail_in_the_outbox_sends_it_once_after_the_restart(
    tmp_path: Path, down_smtp: SmtpServer
) -> None:
    env = _mail_env(down_smtp)
    live: Live = start(tmp_path, **env)
    try:
        _add_user(live.url, "ann", "ann@example.com")
        _add_user(live.url, "bob", "bob@example.com")
        assert _forgot(live.url, "ann").status_code == 202
        assert _forgot(live.url, "bob").status_code == 202
        _wait_for_event(live.url, "mail_delivery_failed")
    finally:
        live.kill9()
    down_smtp.start()
    try:
        with serve(tmp_path, **env) as again:
            mails = down_smtp.wait(2, timeout=30)
            time.sleep(4)  # long enough for a duplicate to show up, were there one
            assert sorted(m.to for m in down_smtp.messages()) == [
                "ann@example.com",
                "bob@example.com",
            ]
            assert len(_events(again.url, "mail_sent")) == 2
            assert all(m.code for m in mails)
    finally:
        down_smtp.stop()


@pytest.mark.postgres
def test_two_instances_on_one_postgresql_database_send_each_mail_once(
    tmp_path: Path, down_smtp: SmtpServer
) -> None:
    with (
        fresh_database("postgresql", tmp_path) as url,
        cluster(
            tmp_path / "cluster", url, redis_url=None, balancer=False, **_mail_env(down_smtp)
        ) as running,
    ):
        first, second = running.instances
        names = [f"user{i}" for i in range(12)]
        for name in names:
            _add_user(first.url, name, f"{name}@example.com")
        for i, name in enumerate(names):  # requests spread over both instances
            target = (first, second)[i % 2]
            assert _forgot(target.url, name, f"198.51.100.{i + 10}").status_code == 202
        _wait_for_event(first.url, "mail_delivery_failed")
        down_smtp.start()  # both workers now race for the same due jobs
        try:
            down_smtp.wait(len(names), timeout=60)
            time.sleep(4)
            received = sorted(m.to for m in down_smtp.messages())
            assert received == sorted(f"{name}@example.com" for name in names)
        finally:
            down_smtp.stop()


def _mann_whitney_z(a: list[float], b: list[float]) -> float:
    """The normal approximation of the Mann-Whitney U statistic (ranks of a against b)."""
    pooled = sorted((v, i) for i, v in enumerate(a + b))
    ranks = [0.0] * len(pooled)
    i = 0
    while i < len(pooled):  # average ranks of ties
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[pooled[k][1]] = (i + j) / 2 + 1
        i = j + 1
    n1, n2 = len(a), len(b)
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    mean, sd = n1 * n2 / 2, (n1 * n2 * (n1 + n2 + 1) / 12) ** 0.5
    return (u - mean) / sd


def test_forgot_takes_the_same_time_for_known_and_unknown_accounts(
    tmp_path: Path, down_smtp: SmtpServer
) -> None:
    down_smtp.start()
    try:
        with serve(tmp_path, **_mail_env(down_smtp)) as live:
            _add_user(live.url, "ann", "ann@example.com")
            known: list[float] = []
            unknown: list[float] = []
            with httpx.Client(base_url=live.url, timeout=10) as client:
                for i in range(110):  # interleaved, so drifts hit both alike; 10 warm-ups
                    login = "ann" if i % 2 == 0 else f"nobody{i}"
                    started = time.perf_counter()
                    response = client.post(
                        "/auth/password/forgot",
                        json={"login": login},
                        headers={"x-forwarded-for": f"203.0.113.{i % 200}"},
                    )
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 202 and response.content == b""
                    if i >= 10:
                        (known if login == "ann" else unknown).append(elapsed)
            assert len(known) == len(unknown) == 50
            z = _mann_whitney_z(known, unknown)
            medians = statistics.median(known), statistics.median(unknown)
            # Same distribution: no significant shift (|z| < 3.3 is p > 0.001), and the
            # medians within the spread of the samples themselves.
            spread = max(statistics.quantiles(known + unknown, n=4)[2] - min(medians), 0.002)
            assert abs(z) < 3.3, (z, medians)
            assert abs(medians[0] - medians[1]) < spread, (medians, spread)
            # Only the known account got mail, at most 3 of them (the per-account limit).
            down_smtp.wait(3, timeout=30)
            time.sleep(3)
            assert {m.to for m in down_smtp.messages()} == {"ann@example.com"}
            assert len(down_smtp.messages()) == 3
    finally:
        down_smtp.stop()
