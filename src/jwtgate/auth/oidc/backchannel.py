"""Back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0, 2.5-2.8).

When a session ends, a notice per relying party is written to ``logout_deliveries`` in the
same transaction (:meth:`BackchannelLogout.enqueue`), so it survives a crash or restart. A
background worker then signs a logout token and POSTs it through a :class:`LogoutSender`
(the HTTP adapter sits beside the store: :class:`jwtgate.store.outbound.HttpLogoutSender`);
the user's logout never waits for a receiver. A failed attempt is retried after 1, 2, 4 ...
seconds (capped at five minutes) up to ``backchannel_logout_attempts`` times; giving up is
audited as ``backchannel_logout_failed``, success as ``backchannel_logout_sent``. Several
processes may run workers: a notice is leased with a conditional UPDATE, so one sends it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from ...jose.jwt import encode
from ...store.protocols import Store, UnitOfWork
from ...store.records import EventRecord, LogoutDelivery, SessionRecord
from ..keyring import KeyRing
from .logout_tokens import LOGOUT_TOKEN_TYPE, logout_token_claims

__all__ = ["BackchannelLogout", "LogoutSender"]

log = logging.getLogger("jwtgate.backchannel")

_BATCH = 32  # notices leased per pass
_MAX_WAIT = 300.0  # the longest wait between two attempts
_WORKERS = 4  # parallel sends: one slow receiver does not hold up the others


class LogoutSender(Protocol):
    """POSTs a logout token to a relying party's ``backchannel_logout_uri`` (2.5).

    Returns the HTTP status code; raises ``OSError`` (e.g. ``ConnectionError``,
    ``TimeoutError``) when no answer came within ``timeout`` seconds. Never follows redirects.
    """

    def send(self, uri: str, logout_token: str, *, timeout: float) -> int: ...
    def close(self) -> None: ...


class BackchannelLogout:
    """The logout-notice queue and its delivery worker."""

    def __init__(
        self,
        store: Store,
        keyring: KeyRing,
        sender: LogoutSender | None,
        *,
        clock: Callable[[], float],
        issuer: str,
        attempts: int,
        timeout: float,
        algorithm_for: Callable[[str], str | None] = lambda client_id: None,
    ) -> None:
        """``algorithm_for(client_id)`` names the client's ID-token algorithm (None: the
        ring's default); logout tokens are signed like the client's ID tokens (2.4)."""
        self._store = store
        self._keyring = keyring
        self._sender = sender
        self._clock = clock
        self.issuer = issuer
        self.attempts = attempts
        self.timeout = timeout
        self._algorithm_for = algorithm_for
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # -- queueing (in the caller's transaction) ---------------------------------------------

    def enqueue(
        self, uow: UnitOfWork, *, client_id: str, uri: str, sub: str, sid: str | None
    ) -> None:
        """Queue a notice for ``client_id`` in the current transaction; call :meth:`notify`
        after it commits."""
        now = self._clock()
        uow.logouts.add(
            LogoutDelivery(
                jti=secrets.token_urlsafe(16),
                client_id=client_id,
                uri=uri,
                sub=sub,
                sid=sid,
                created_at=now,
                next_attempt_at=now,
            )
        )

    def queue_for_sessions(self, uow: UnitOfWork, sessions: Iterable[SessionRecord]) -> int:
        """Queue a notice for each ended session whose client registered a
        ``backchannel_logout_uri`` (2.5), in the caller's transaction. Returns how many."""
        count = 0
        clients: dict[str, str | None] = {}
        for session in sessions:
            client_id = session.client_id
            if client_id is None:
                continue
            if client_id not in clients:
                client = uow.clients.get(client_id)
                uri = getattr(client, "backchannel_logout_uri", None) if client else None
                clients[client_id] = uri if isinstance(uri, str) and uri else None
            uri = clients[client_id]
            if uri is not None:
                self.enqueue(
                    uow, client_id=client_id, uri=uri, sub=session.user_id, sid=session.sid
                )
                count += 1
        return count

    def notify(self) -> None:
        """Wake the worker: notices were just queued."""
        self._wake.set()

    # -- delivering -------------------------------------------------------------------------

    def token_for(self, delivery: LogoutDelivery) -> str:
        """The signed logout token of a notice (signed anew at each attempt, same ``jti``)."""
        alg = self._algorithm_for(delivery.client_id)
        key = self._keyring.signing_key_for(alg) if alg else None
        claims = logout_token_claims(
            issuer=self.issuer,
            client_id=delivery.client_id,
            sub=delivery.sub,
            sid=delivery.sid,
            jti=delivery.jti,
            now=self._clock(),
        )
        return encode(claims, key or self._keyring.signing_key, headers={"typ": LOGOUT_TOKEN_TYPE})

    def deliver_due(self) -> int:
        """One pass: lease the due notices, send them, record the outcomes. Returns how many
        were attempted. Without a sender, nothing is sent (the notices wait)."""
        if self._sender is None:
            return 0
        now = self._clock()
        lease = now + self.timeout * 2 + 5
        with self._store.read() as uow:
            if not uow.logouts.due(now=now, limit=1):
                return 0  # the once-a-second poll takes no write lock when nothing is due
        with self._store.write() as uow:
            due = uow.logouts.due(now=now, limit=_BATCH)
            mine = [
                d for d in due if uow.logouts.claim(d.id, seen_at=d.next_attempt_at, until=lease)
            ]
        if not mine:
            return 0
        if len(mine) == 1 or self._pool is None:
            for delivery in mine:
                self._attempt(delivery)
        else:
            list(self._pool.map(self._attempt, mine))
        return len(mine)

    def _attempt(self, delivery: LogoutDelivery) -> None:
        assert self._sender is not None
        error: str | None = None
        try:
            status = self._sender.send(delivery.uri, self.token_for(delivery), timeout=self.timeout)
            if status not in (200, 204):  # 2.8: 200 OK (204 is accepted by RPs' frameworks)
                error = f"HTTP {status}"
        except OSError as exc:
            error = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        except Exception as exc:  # a broken sender must not kill the worker
            error = type(exc).__name__
        self._record(delivery, error)

    def _record(self, delivery: LogoutDelivery, error: str | None) -> None:
        now = self._clock()
        attempts = delivery.attempts + 1
        done = error is None or attempts >= self.attempts
        outcome = None if not done else ("delivered" if error is None else "failed")
        event = "backchannel_logout_sent" if error is None else "backchannel_logout_failed"
        wait = min(2.0 ** (attempts - 1), _MAX_WAIT)
        with self._store.write() as uow:
            uow.logouts.finish(
                delivery.id,
                attempts=attempts,
                next_attempt_at=now if done else now + wait,
                done_at=now if done else None,
                outcome=outcome,
                error=error,
            )
            if done:
                uow.events.add(
                    EventRecord(
                        type=event,
                        at=now,
                        user_id=delivery.sub,
                        detail={
                            "client_id": delivery.client_id,
                            "sid": delivery.sid,
                            "attempts": attempts,
                            **({"error": error[:200]} if error else {}),
                        },
                    )
                )
        if error is not None:
            log.warning(
                "back-channel logout attempt failed",
                extra={
                    "event": event if done else "backchannel_logout_retry",
                    "client_id": delivery.client_id,
                    "attempt": attempts,
                    "error": error[:200],
                },
            )

    # -- the background worker --------------------------------------------------------------

    def start(self, *, interval: float = 1.0) -> None:
        """Run the worker in a daemon thread: a pass on every :meth:`notify` and at least
        every ``interval`` seconds (retries, and notices queued by other processes)."""
        if self._thread is not None or self._sender is None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="jwtgate-logout")
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="jwtgate-backchannel", daemon=True
        )
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                while self.deliver_due() and not self._stop.is_set():
                    pass
            except Exception as exc:  # a database hiccup: retried on the next tick
                log.warning(
                    "back-channel logout pass failed",
                    extra={"event": "backchannel_pass_failed", "exception": type(exc).__name__},
                )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker (a send under way finishes or times out first); undelivered
        notices stay queued for the next start."""
        thread = self._thread
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._thread = self._pool = None

    def close(self) -> None:
        """Stop the worker and close the sender."""
        self.stop()
        if self._sender is not None:
            self._sender.close()
