"""Bursts of concurrent logins against real servers, for the throttle-race tests: real threads,
released together and staggered by a fraction of a millisecond each so that "late in the
burst" means something, and the password checks the server made counted from its audit log
(every checked attempt is audited as ``login_failure`` or ``login_success``; a throttled one is
not checked and not audited)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

WRONG = "not the password 0"


@dataclass
class Burst:
    """What one burst got: each attempt's status, in the order sent, and how long it took."""

    statuses: list[int]
    seconds: float

    def checked(self) -> int:
        """Attempts that were answered after a password check (anything but 429)."""
        return sum(1 for s in self.statuses if s != 429)

    def back_off_allowance(self) -> int:
        """Checks the throttle may grant past the limit during the burst, by design: after the
        limit, one attempt 1 s after the last, the next 2 s after that, ... (2**k - 1 <= t)."""
        return int(math.log2(self.seconds + 1))


def burst(
    urls: Sequence[str],
    username: str | Sequence[str],
    n: int,
    *,
    right: tuple[int, str] | None = None,
    address: str | None = None,
    stagger: float = 0.0005,
) -> Burst:
    """``n`` concurrent ``POST /auth/login`` for ``username``, spread round-robin over ``urls``,
    all with a wrong password except attempt ``right[0]`` (password ``right[1]``); several
    usernames are taken in turn. ``address`` is claimed with X-Forwarded-For (for servers
    that believe it from loopback)."""
    names = [username] if isinstance(username, str) else list(username)
    barrier = threading.Barrier(n + 1)
    statuses = [0] * n

    def attempt(i: int) -> None:
        password = right[1] if right is not None and i == right[0] else f"{WRONG}{i}"
        with httpx.Client(base_url=urls[i % len(urls)], timeout=60) as http:
            barrier.wait()
            time.sleep(i * stagger)
            body = {"username": names[i % len(names)], "password": password}
            headers = {"X-Forwarded-For": address} if address else {}
            response = http.post("/auth/login", json=body, headers=headers)
        statuses[i] = response.status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    return Burst(statuses, time.monotonic() - start)


def password_checks(url: str, admin_token: str, username: str) -> int:
    """How many times the server checked ``username``'s password, from the audit log."""
    headers = {"authorization": f"Bearer {admin_token}"}
    total = 0
    for kind in ("login_failure", "login_success"):
        cursor: str | None = None
        while True:
            params = {"type": kind, "user": username, "limit": "200"}
            if cursor:
                params["cursor"] = cursor
            page = httpx.get(url + "/admin/events", params=params, headers=headers, timeout=30)
            assert page.status_code == 200, page.text
            body = page.json()
            total += len(body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                break
    return total
