"""Several ``jwtgate serve`` processes on one PostgreSQL schema (and Redis), with Debian's
nginx round-robin in front: a deployment on loopback, for the multi-instance tests and the
scale-out benchmark.

nginx runs as a child process (``daemon off``) with a temporary prefix and configuration, so
nothing outside the test's directory is touched.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ..backends import unreachable
from ..server.live import ADMIN_PASSWORD, Live, free_port, start

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream jwtgate {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://jwtgate;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """nginx's path; skips the test when it is missing (fails under CI=true)."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(found, os.X_OK):
        unreachable("nginx is not installed (make scale-deps, or apt-get install nginx)")
    return found


@dataclass
class Balancer:
    """A running nginx: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]
    prefix: Path

    def stop(self) -> None:
        """Fast shutdown (SIGTERM), then kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_nginx(prefix: Path, upstreams: Sequence[str]) -> Balancer:
    """nginx on a free loopback port, round-robin over ``upstreams`` (``host:port``)."""
    binary = nginx_binary()
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=30s;" for u in upstreams)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, servers=servers))
    log = (prefix / "nginx.out").open("ab")
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    balancer = Balancer(f"http://127.0.0.1:{port}", process, prefix)
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {(prefix / 'error.log').read_text()}", pytrace=False)
        try:
            if httpx.get(balancer.url + "/healthz", timeout=1).status_code == 200:
                return balancer
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            balancer.stop()
            pytest.fail("nginx did not start", pytrace=False)
        time.sleep(0.05)


def new_master_key() -> str:
    """A JWTGATE_MASTER_KEY: every instance must share one to open the stored signing keys."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


@dataclass
class Cluster:
    """Instances and the balancer in front of them."""

    instances: list[Live]
    balancer: Balancer | None
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        """The balancer's URL."""
        assert self.balancer is not None
        return self.balancer.url

    def stop(self) -> None:
        """Stop the balancer and every instance."""
        if self.balancer is not None:
            self.balancer.stop()
        for live in self.instances:
            live.stop()


@contextmanager
def cluster(
    workdir: Path,
    database_url: str,
    *,
    redis_url: str | None,
    redis_prefix: str = "jwtgate",
    instances: int = 2,
    balancer: bool = True,
    **env: str,
) -> Iterator[Cluster]:
    """``instances`` jwtgate serve processes sharing ``database_url`` (and Redis), nginx in
    front (``balancer``); everything stopped afterwards."""
    shared = {
        "JWTGATE_DATABASE_URL": database_url,
        "JWTGATE_MASTER_KEY": new_master_key(),
        "JWTGATE_REDIS_PREFIX": redis_prefix,
        "JWTGATE_DB_POOL_SIZE": "5",
        # nginx on loopback sets X-Forwarded-For: the instances believe it from there only.
        "JWTGATE_FORWARDED_ALLOW_IPS": "127.0.0.1",
        **({"JWTGATE_REDIS_URL": redis_url} if redis_url else {}),
        **env,
    }
    if balancer:
        nginx_binary()  # skip before starting anything
    workdir.mkdir(parents=True, exist_ok=True)
    running = Cluster([], None, shared)
    try:
        for _ in range(instances):  # one by one: the first creates the admin and the key
            running.instances.append(start(workdir, **shared))
        if balancer:
            upstreams = [live.url.removeprefix("http://") for live in running.instances]
            running.balancer = start_nginx(workdir / "nginx", upstreams)
        yield running
    finally:
        running.stop()


def admin_token(url: str) -> str:
    """An access token of the bootstrap admin."""
    response = httpx.post(
        url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
