"""Races with real threads, on a SQLite file and on PostgreSQL: one refresh token exchanged
by 20 simultaneous requests is rotated exactly once (all get its successor within the reuse
interval; without one, exactly one wins and the session is revoked); 10 simultaneous
registrations of one username give exactly one account."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jwtgate.auth import AuthService, Conflict, InvalidGrant, TokenPair, build_auth

from ..store.dbkit import BACKENDS, fresh_database
from .authkit import PASSWORD, add_user, fast_settings, login

THREADS = 20


def race(n: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``n`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: Any = work()
        except Exception as exc:  # collected for the assertions
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_simultaneous_refreshes_with_one_token_rotate_it_once(backend_auth: AuthService) -> None:
    """Tabs restored together: every request gets the one successor (the reuse interval),
    exactly one rotation happens, and the session lives on."""
    add_user(backend_auth)
    token = login(backend_auth).refresh_token or ""
    results = race(THREADS, lambda: backend_auth.refresh(token))
    assert all(isinstance(r, TokenPair) for r in results), results
    assert len({r.refresh_token for r in results}) == 1, results
    events = backend_auth.list_events(type="refresh").items
    assert len(events) == THREADS
    assert sum("reuse_interval" not in e.detail for e in events) == 1  # one rotation
    assert not backend_auth.list_events(type="refresh_reuse").items
    backend_auth.refresh(results[0].refresh_token or "")


@pytest.fixture(params=BACKENDS)
def strict_auth(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthService]:
    """A service without a reuse interval, on SQLite and on PostgreSQL in turn."""
    with fresh_database(request.param, tmp_path) as url:
        service = build_auth(fast_settings(url, refresh_reuse_interval=0))
        try:
            yield service
        finally:
            service.close()


def test_without_a_reuse_interval_simultaneous_refreshes_have_exactly_one_winner(
    strict_auth: AuthService,
) -> None:
    add_user(strict_auth)
    token = login(strict_auth).refresh_token or ""
    results = race(THREADS, lambda: strict_auth.refresh(token))
    winners = [r for r in results if isinstance(r, TokenPair)]
    losers = [r for r in results if isinstance(r, InvalidGrant)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1, results
    # The losers presented a rotated token: reuse was detected and the session revoked.
    with pytest.raises(InvalidGrant):
        strict_auth.refresh(winners[0].refresh_token or "")
    assert strict_auth.list_events(type="refresh_reuse").items


def test_simultaneous_registrations_of_one_username_give_one_account(
    backend_auth: AuthService,
) -> None:
    results = race(10, lambda: backend_auth.register("carol", PASSWORD))
    created = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(created) == 1 and len(conflicts) == 9, results
    assert [u.username for u in backend_auth.list_users().items] == ["carol"]


def test_logins_and_refreshes_in_parallel_all_succeed(backend_auth: AuthService) -> None:
    add_user(backend_auth)
    # At most 5 logins of one username at once: each reserves a throttle attempt before its
    # password check (given back on success), so a sixth concurrent one may be throttled.
    pairs = race(5, lambda: login(backend_auth)) + [login(backend_auth) for _ in range(3)]
    assert all(isinstance(p, TokenPair) for p in pairs), pairs
    tokens = iter([p.refresh_token for p in pairs])
    lock = threading.Lock()

    def refresh_own() -> TokenPair:
        with lock:
            mine = next(tokens) or ""
        return backend_auth.refresh(mine)

    refreshed = race(8, refresh_own)
    assert all(isinstance(p, TokenPair) for p in refreshed), refreshed
