"""The key ring: the active signing keys of one purpose, and the retired keys still needed.

Two rings share the ``signing_keys`` table, told apart by the ``purpose`` column: ``access``
(one active key, ``JWTGATE_ALGORITHM``, signs access tokens) and ``id_token`` (one active key
per algorithm of ``JWTGATE_ID_TOKEN_ALGORITHMS``, RS256 always among them as OpenID Connect
Core 15.1 requires; signs ID tokens and logout tokens). The rings never verify each other's
tokens; both publish their public keys in the JWKS.

A key retired at time R signed its last token at R (or, in another process, up to one poll
interval later); that token expires by R + access_ttl. Verifiers allow ``leeway`` of clock skew.
So a retired key stays in the verification set and the JWKS until
``R + access_ttl + leeway + poll_interval`` and is then forgotten (and its row pruned).

Rotation builds the new ring (new key signing, old key still verifying) and swaps it in with a
single assignment: a request never sees a ring without the key that signed its token. Private
keys are stored encrypted (:class:`jwtgate.store.KeyCipher`, AAD = kid).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..jose import Key, KeySet
from ..jose.algorithms import ALGORITHMS
from ..store.crypto import KeyCipher
from ..store.protocols import Store, UnitOfWork
from ..store.records import KeyRecord

__all__ = ["ACCESS", "ID_TOKEN", "PURPOSES", "KeyRing"]

ACCESS = "access"
ID_TOKEN = "id_token"  # noqa: S105 - a purpose name, not a secret
PURPOSES = (ACCESS, ID_TOKEN)


@dataclass(frozen=True, slots=True)
class _Ring:
    signing: dict[str, Key]  # the active key of each algorithm
    verification: KeySet
    jwks: dict[str, Any]
    records: tuple[KeyRecord, ...]
    next_change: float  # when a retired key in the ring expires and the ring must shrink


class KeyRing:
    """Keys for signing and verifying, loaded from the store and cached in memory."""

    def __init__(
        self,
        store: Store,
        cipher: KeyCipher,
        *,
        clock: Callable[[], float],
        algorithm: str,
        retention: float,
        unknown_kid_interval: float = 1.0,
        purpose: str = ACCESS,
        algorithms: tuple[str, ...] = (),
    ) -> None:
        """``retention``: seconds a retired key keeps verifying. ``algorithm`` signs by
        default; an ``id_token`` ring also keeps an active key for each of ``algorithms``.
        ValueError for an unknown algorithm or purpose, or an HMAC algorithm for ID tokens
        (verified with the JWKS, which never holds a secret)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}; use one of {list(PURPOSES)}")
        self.purpose = purpose
        self.algorithms = tuple(dict.fromkeys((algorithm, *algorithms)))
        for alg in self.algorithms:
            self._check(alg)
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self.algorithm = algorithm
        self.retention = retention
        self._unknown_kid_interval = unknown_kid_interval
        self._last_unknown_reload = float("-inf")
        self._lock = threading.Lock()
        self._ring: _Ring | None = None
        self._keys: dict[str, Key] = {}  # decrypted keys by kid, so a reload decrypts only new

    # -- reading ---------------------------------------------------------------------------

    def _current(self) -> _Ring:
        ring = self._ring
        if ring is None:
            raise RuntimeError("the key ring is not loaded; call load() first")
        if self._clock() >= ring.next_change:
            with self._lock:
                self._ring = ring = self._build(ring.records)
        return ring

    @property
    def signing_key(self) -> Key:
        """The key that signs new tokens (of the ring's default algorithm)."""
        ring = self._current()
        key = ring.signing.get(self.algorithm)
        return key if key is not None else next(iter(ring.signing.values()))

    def signing_key_for(self, alg: str) -> Key | None:
        """The active key of ``alg``, or None when this ring signs with no such key."""
        return self._current().signing.get(alg)

    @property
    def signing_algorithms(self) -> list[str]:
        """The algorithms this ring has an active key for."""
        return sorted(self._current().signing)

    @property
    def keyset(self) -> KeySet:
        """Every key a token may still be signed with."""
        return self._current().verification

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: active and not-yet-expired retired keys (no HMAC secrets)."""
        return self._current().jwks

    def records(self) -> list[KeyRecord]:
        """Every stored key as last loaded, the active one first."""
        return sorted(
            self._current().records, key=lambda r: (r.retired_at is not None, -r.created_at)
        )

    # -- loading and rotating ----------------------------------------------------------------

    def load(self) -> None:
        """Read the keys; on first start, generate and store the first signing key.

        Raises ValueError when a stored private key does not decrypt (wrong master key).
        """
        with self._store.write() as uow:
            uow.keys.lock()
            records = self._mine(uow.keys.all())
            if self.purpose == ACCESS:
                if not any(_is_active(r) for r in records):
                    records.append(self._create(uow, self.algorithm))
            else:
                have = {r.alg for r in records if _is_active(r)}
                records += [self._create(uow, a) for a in self.algorithms if a not in have]
        self._install(records)

    def reload(self) -> bool:
        """Re-read the keys (another process may have rotated); True when they changed."""
        with self._store.read() as uow:
            records = self._mine(uow.keys.all())
        ring = self._ring
        if ring is not None and _fingerprint(records) == _fingerprint(ring.records):
            return False
        if not any(_is_active(r) for r in records):
            return False
        self._install(records)
        return True

    def reload_for_unknown_kid(self) -> bool:
        """Re-read the keys because a token named a kid we do not know, at most once per
        ``unknown_kid_interval`` seconds (a flood of random kids costs one query a second)."""
        now = self._clock()
        with self._lock:
            if now - self._last_unknown_reload < self._unknown_kid_interval:
                return False
            self._last_unknown_reload = now
        return self.reload()

    def rotate(self, alg: str | None = None) -> KeyRecord:
        """Make a new key the signer; the old one keeps verifying for ``retention`` seconds.

        The access ring has one active key, so a new algorithm replaces the old one; the
        ID-token ring replaces only the active key of ``alg``. Raises ValueError for an
        unknown algorithm (or, for ID tokens, one not in ``JWTGATE_ID_TOKEN_ALGORITHMS``).
        """
        alg = self.algorithm if alg is None else alg
        self._check(alg)
        if self.purpose == ACCESS and alg.startswith("HS") and not self.algorithm.startswith("HS"):
            # An HMAC key is never published: every Guard following the JWKS would reject
            # all tokens from then on. Only a deployment configured for HMAC may use one.
            raise ValueError(
                f"{alg} keys are secret and never in the JWKS, so services that verify with "
                "the JWKS would reject every token; set JWTGATE_ALGORITHM to an HMAC "
                "algorithm to run without a JWKS on purpose"
            )
        if self.purpose == ID_TOKEN and alg not in self.algorithms:
            raise ValueError(
                f"ID tokens are signed with {list(self.algorithms)}; add {alg} to "
                "JWTGATE_ID_TOKEN_ALGORITHMS to sign with it"
            )
        now = self._clock()
        with self._store.write() as uow:
            uow.keys.lock()
            for record in self._mine(uow.keys.all()):
                if _is_active(record) and (self.purpose == ACCESS or record.alg == alg):
                    uow.keys.retire(record.kid, now=now, expires_at=now + self.retention)
            created = self._create(uow, alg)
            records = self._mine(uow.keys.all())
        self._install(records)
        return created

    def _mine(self, records: list[KeyRecord]) -> list[KeyRecord]:
        return [r for r in records if r.purpose == self.purpose]

    def _check(self, alg: str) -> None:
        _check_alg(alg)
        if self.purpose == ID_TOKEN and alg.startswith("HS"):
            raise ValueError(
                "ID tokens are verified with the JWKS, which never holds an HMAC secret: "
                f"{alg} cannot sign them"
            )

    def _create(self, uow: UnitOfWork, alg: str) -> KeyRecord:
        key = Key.generate(alg)
        now = self._clock()
        private = orjson.dumps(key.to_jwk(private=True))
        record = KeyRecord(
            kid=key.kid,
            alg=key.alg,
            public_jwk={} if key.is_symmetric else key.to_jwk(),
            private_jwk_enc=self._cipher.seal(private, aad=key.kid.encode()),
            created_at=now,
            activated_at=now,
            purpose=self.purpose,
        )
        uow.keys.add(record)
        self._keys[key.kid] = key
        return record

    def _install(self, records: list[KeyRecord]) -> None:
        ring = self._build(tuple(records))
        with self._lock:
            self._ring = ring

    def _key(self, record: KeyRecord) -> Key:
        key = self._keys.get(record.kid)
        if key is None:
            private = self._cipher.open(record.private_jwk_enc, aad=record.kid.encode())
            key = Key.from_jwk(orjson.loads(private), alg=record.alg)
            self._keys[record.kid] = key
        return key

    def _build(self, records: tuple[KeyRecord, ...]) -> _Ring:
        now = self._clock()
        live = [r for r in records if r.expires_at is None or r.expires_at > now]
        active = sorted((r for r in live if _is_active(r)), key=lambda r: r.activated_at or 0)
        if not active:
            raise RuntimeError("no active signing key")
        keys = [self._key(r) for r in live]
        public = [k.public() for k in keys if not k.is_symmetric]
        expiries = [r.expires_at for r in live if r.expires_at is not None]
        return _Ring(
            signing={r.alg: self._key(r) for r in active},  # the newest of each alg wins
            verification=KeySet(keys),
            jwks=KeySet(public).to_jwks() if public else {"keys": []},
            records=records,
            next_change=min(expiries, default=float("inf")),
        )


def _is_active(record: KeyRecord) -> bool:
    return record.retired_at is None and record.activated_at is not None


def _fingerprint(records: list[KeyRecord] | tuple[KeyRecord, ...]) -> set[tuple[Any, ...]]:
    return {(r.kid, r.retired_at, r.expires_at) for r in records}


def _check_alg(alg: str) -> None:
    """ValueError unless ``alg`` is a signing algorithm the token core supports."""
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}; use one of {sorted(ALGORITHMS)}")
