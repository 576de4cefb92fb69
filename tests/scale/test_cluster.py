"""Two ``jwtgate serve`` processes on one PostgreSQL and one Redis, nginx round-robin in front,
all on loopback: what a user of a scaled-out deployment counts on. Without Redis, the same
processes agree by polling the database within the poll interval."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..backends import redis_namespace
from ..store.dbkit import fresh_database
from .cluster import Cluster, admin_token, cluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Cluster]:
    """One deployment for the scenarios that leave it whole."""
    workdir = tmp_path_factory.mktemp("cluster")
    with (
        fresh_database("postgresql", workdir) as url,
        redis_namespace(redis_url) as prefix,
        cluster(workdir, url, redis_url=redis_url, redis_prefix=prefix) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def admin(deployment: Cluster) -> str:
    """An access token of the deployment's admin."""
    return admin_token(deployment.url)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def add_user(url: str, admin: str, username: str) -> str:
    response = httpx.post(
        url + "/admin/users",
        headers=bearer(admin),
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


def login(url: str, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = httpx.post(
        url + "/auth/login", json={"username": username, "password": password}, timeout=10
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def me_status(url: str, token: str) -> int:
    return httpx.get(url + "/auth/me", headers=bearer(token), timeout=10).status_code


def seconds_until_rejected(url: str, token: str, limit: float) -> float:
    """Poll /auth/me at ``url`` until the token is refused; fail after ``limit`` seconds."""
    start = time.monotonic()
    while me_status(url, token) != 401:
        elapsed = time.monotonic() - start
        if elapsed > limit:
            pytest.fail(f"still accepted after {elapsed:.2f} s")
        time.sleep(0.005)
    return time.monotonic() - start


def test_log_in_through_the_balancer_and_be_served_by_both(deployment: Cluster, admin: str) -> None:
    add_user(deployment.url, admin, "alice")
    tokens = login(deployment.url, "alice")
    upstreams = set()
    for _ in range(6):
        response = httpx.get(
            deployment.url + "/auth/me", headers=bearer(tokens["access_token"]), timeout=10
        )
        assert response.status_code == 200 and response.json()["username"] == "alice"
        upstreams.add(response.headers["x-upstream"])
    assert upstreams == {live.url.removeprefix("http://") for live in deployment.instances}


def test_a_logout_at_one_instance_is_enforced_at_the_other_within_a_second(
    deployment: Cluster,
) -> None:
    a, b = deployment.instances
    delays = []
    for _ in range(5):
        tokens = login(a.url, "alice")
        assert me_status(b.url, tokens["access_token"]) == 200
        logout = httpx.post(
            a.url + "/auth/logout", headers=bearer(tokens["access_token"]), timeout=10
        )
        assert logout.status_code == 204
        delays.append(seconds_until_rejected(b.url, tokens["access_token"], limit=1.0))
        refused = httpx.post(
            b.url + "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=10
        )
        assert refused.status_code == 401
    assert max(delays) < 1.0


def test_twenty_simultaneous_refreshes_across_both_rotate_the_token_once(
    deployment: Cluster,
) -> None:
    """Both instances derive the same successor (one master key): every request gets it."""
    tokens = login(deployment.url, "alice")
    barrier = threading.Barrier(20)
    urls = [live.url for live in deployment.instances]

    def refresh(i: int) -> httpx.Response:
        with httpx.Client(timeout=20) as client:
            barrier.wait()
            return client.post(
                urls[i % 2] + "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(refresh, range(20)))
    assert [r.status_code for r in answers] == [200] * 20, [r.text for r in answers]
    (successor,) = {r.json()["refresh_token"] for r in answers}
    latest = httpx.post(urls[1] + "/auth/refresh", json={"refresh_token": successor}, timeout=10)
    assert latest.status_code == 200
    # The token two rotations back is reuse: the session is revoked everywhere.
    reuse = httpx.post(
        urls[0] + "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=10
    )
    assert reuse.status_code == 401
    for url in urls:
        seconds_until_rejected(url, latest.json()["access_token"], limit=1.0)


def test_failed_logins_on_both_instances_count_toward_one_throttle(
    deployment: Cluster, admin: str
) -> None:
    add_user(deployment.url, admin, "bob")
    a, b = deployment.instances
    for url in (a.url, b.url, a.url, b.url, a.url):
        response = httpx.post(
            url + "/auth/login", json={"username": "bob", "password": "wrong!"}, timeout=10
        )
        assert response.status_code == 401
    for url in (a.url, b.url):
        response = httpx.post(
            url + "/auth/login", json={"username": "bob", "password": PASSWORD}, timeout=10
        )
        assert response.status_code == 429, response.text
        assert int(response.headers["retry-after"]) >= 1


def test_without_redis_instances_agree_within_the_poll_interval(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster(
        tmp_path,
        postgres_url,
        redis_url=None,
        balancer=False,
        JWTGATE_REVOCATION_POLL_INTERVAL="0.5",
    ) as running:
        a, b = running.instances
        admin = admin_token(a.url)
        add_user(a.url, admin, "carol")
        delays = []
        for _ in range(3):
            tokens = login(a.url, "carol")
            assert me_status(b.url, tokens["access_token"]) == 200
            httpx.post(a.url + "/auth/logout", headers=bearer(tokens["access_token"]), timeout=10)
            delays.append(seconds_until_rejected(b.url, tokens["access_token"], limit=1.5))
        assert max(delays) < 1.0  # the poll interval, plus one poll
        rotated = httpx.post(a.url + "/admin/keys/rotate", headers=bearer(admin), timeout=10)
        assert rotated.status_code == 201
        kid = rotated.json()["kid"]
        deadline = time.monotonic() + 1.5
        while kid not in [
            k["kid"] for k in httpx.get(b.url + "/.well-known/jwks.json").json()["keys"]
        ]:
            assert time.monotonic() < deadline, "B never published the rotated key"
            time.sleep(0.05)


@dataclass
class Acknowledged:
    """Writes the deployment answered with success, to check after the crash."""

    users: list[str] = field(default_factory=list)
    logged_out: list[str] = field(default_factory=list)
    rotated: list[tuple[str, str]] = field(default_factory=list)
    after_kill: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def test_kill_9_of_one_instance_mid_load_loses_no_acknowledged_write(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str
) -> None:
    with cluster(tmp_path, postgres_url, redis_url=redis_url, redis_prefix=redis_prefix) as run:
        admin = admin_token(run.url)
        add_user(run.url, admin, "dave")
        acked = Acknowledged()
        stop = threading.Event()
        killed_at: list[float] = []

        def work(worker: int) -> None:
            with httpx.Client(base_url=run.url, timeout=10) as client:
                for n in range(10_000):
                    if stop.is_set():
                        return
                    started = time.monotonic()
                    try:
                        status = step(client, worker, n, admin, acked)
                    except httpx.TransportError:
                        status = 0
                    if killed_at and started > killed_at[0] + 0.2:
                        with acked.lock:
                            acked.after_kill.append(status)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        run.instances[1].kill9()
        killed_at.append(time.monotonic())
        time.sleep(2.0)
        stop.set()
        for t in threads:
            t.join()
        survivor = run.instances[0].url
        assert len(acked.after_kill) >= 10, "the survivor served too little to judge"
        assert set(acked.after_kill) <= {200, 201, 204}, acked.after_kill
        check_acknowledged(survivor, admin, acked)


def step(client: httpx.Client, worker: int, n: int, admin: str, acked: Acknowledged) -> int:
    """One unit of mixed load; remembers what was acknowledged. Returns the last status."""
    kind = n % 3
    if kind == 0:
        response = client.post(
            "/admin/users",
            headers=bearer(admin),
            json={"username": f"load-{worker}-{n}", "password": PASSWORD},
        )
        if response.status_code == 201:
            with acked.lock:
                acked.users.append(response.json()["id"])
        return response.status_code
    response = client.post("/auth/login", json={"username": "dave", "password": PASSWORD})
    if response.status_code != 200:
        return response.status_code
    tokens = response.json()
    if kind == 1:
        response = client.post("/auth/logout", headers=bearer(tokens["access_token"]))
        if response.status_code == 204:
            with acked.lock:
                acked.logged_out.append(tokens["access_token"])
        return response.status_code
    response = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    if response.status_code == 200:
        with acked.lock:
            acked.rotated.append((tokens["refresh_token"], response.json()["refresh_token"]))
    return response.status_code


def check_acknowledged(url: str, admin: str, acked: Acknowledged) -> None:
    """Every acknowledged write is there, asked of the surviving instance."""
    assert acked.users and acked.logged_out and acked.rotated
    with httpx.Client(base_url=url, timeout=10) as client:
        for user_id in acked.users:
            assert client.get(f"/admin/users/{user_id}", headers=bearer(admin)).status_code == 200
        for token in acked.logged_out:
            assert client.get("/auth/me", headers=bearer(token)).status_code == 401
        for _, new in acked.rotated:  # live sessions first: a replay below revokes one
            assert client.post("/auth/refresh", json={"refresh_token": new}).status_code == 200
        for old, _ in acked.rotated:
            assert client.post("/auth/refresh", json={"refresh_token": old}).status_code == 401
