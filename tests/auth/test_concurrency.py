"""Races with real threads, on a SQLite file and on PostgreSQL: one refresh token exchanged
by 20 simultaneous requests gives exactly one new pair; 10 simultaneous registrations of one
username give exactly one account."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from jwtgate.auth import AuthService, Conflict, InvalidGrant, TokenPair

from .authkit import PASSWORD, add_user, login

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


def test_simultaneous_refreshes_with_one_token_have_exactly_one_winner(
    backend_auth: AuthService,
) -> None:
    add_user(backend_auth)
    token = login(backend_auth).refresh_token or ""
    results = race(THREADS, lambda: backend_auth.refresh(token))
    winners = [r for r in results if isinstance(r, TokenPair)]
    losers = [r for r in results if isinstance(r, InvalidGrant)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1, results
    # The losers presented a rotated token: reuse was detected and the session revoked.
    with pytest.raises(InvalidGrant):
        backend_auth.refresh(winners[0].refresh_token or "")
    assert backend_auth.list_events(type="refresh_reuse").items


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
    pairs = race(8, lambda: login(backend_auth))
    assert all(isinstance(p, TokenPair) for p in pairs), pairs
    tokens = iter([p.refresh_token for p in pairs])
    lock = threading.Lock()

    def refresh_own() -> TokenPair:
        with lock:
            mine = next(tokens) or ""
        return backend_auth.refresh(mine)

    refreshed = race(8, refresh_own)
    assert all(isinstance(p, TokenPair) for p in refreshed), refreshed
