"""A set of keys, as in a JWK Set (RFC 7517 section 5).

Lookup is by ``kid`` and ``alg``; for tokens without a ``kid``, by ``alg``. One ``kid`` may
name keys of different algorithms (RFC 7517 4.5; RFC 7520 section 4 publishes one RSA key as
RS256 and PS384 under one ``kid``), but two keys may not share both: that would make the
choice of key depend on order, which an attacker could exploit. A token's (``alg``, ``kid``)
picks exactly one key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from .jwk import Key

__all__ = ["MAX_JWKS_KEYS", "KeySet"]

MAX_JWKS_KEYS = 100


class KeySet:
    """An immutable set of :class:`Key` objects, unique per (``kid``, ``alg``)."""

    __slots__ = ("_by_alg", "_by_kid", "_keys")

    def __init__(self, keys: Iterable[Key]) -> None:
        """ValueError for an empty set or two keys with one ``kid`` and one ``alg``;
        TypeError for non-keys."""
        by_kid: dict[str, dict[str, Key]] = {}
        by_alg: dict[str, tuple[Key, ...]] = {}
        ordered: list[Key] = []
        for key in keys:
            if not isinstance(key, Key):
                raise TypeError(f"KeySet holds Key objects, not {type(key).__name__}")
            named = by_kid.setdefault(key.kid, {})
            if key.alg in named:
                raise ValueError(f"two {key.alg} keys share the kid {key.kid!r}")
            named[key.alg] = key
            by_alg[key.alg] = (*by_alg.get(key.alg, ()), key)
            ordered.append(key)
        if not ordered:
            raise ValueError("a KeySet needs at least one key")
        self._keys = tuple(ordered)
        self._by_kid = by_kid  # kid -> alg -> key: the hot path of verification reads it
        self._by_alg = by_alg

    @classmethod
    def from_jwks(
        cls, jwks: Mapping[str, Any] | str | bytes, *, max_keys: int = MAX_JWKS_KEYS
    ) -> KeySet:
        """Build from a JWK Set document (dict or JSON text).

        Keys that are not for signatures (``use: enc``, unsupported ``kty``, curve or
        algorithm) are skipped, as RFC 7517 5 allows; ValueError when nothing usable is left,
        when the document is not a JWK Set, or when it holds more than ``max_keys`` keys.
        """
        if isinstance(jwks, str | bytes):
            try:
                jwks = orjson.loads(jwks)
            except orjson.JSONDecodeError:
                raise ValueError("the JWK Set is not valid JSON") from None
        if not isinstance(jwks, Mapping):
            raise ValueError("a JWK Set must be a JSON object")
        entries = jwks.get("keys")
        if not isinstance(entries, list):
            raise ValueError("a JWK Set must have a 'keys' array")
        if len(entries) > max_keys:
            raise ValueError(f"the JWK Set has {len(entries)} keys; at most {max_keys} allowed")
        keys: list[Key] = []
        for entry in entries:
            try:
                keys.append(Key.from_jwk(entry))
            except (ValueError, TypeError):
                continue  # not a usable signature key; others in the set may be
        if not keys:
            raise ValueError("the JWK Set holds no usable signature key")
        return cls(keys)

    def to_jwks(self) -> dict[str, Any]:
        """The public JWK Set; symmetric keys are never published."""
        return {"keys": [k.public().to_jwk() for k in self._keys if not k.is_symmetric]}

    def get(self, kid: str, alg: str | None = None) -> Key | None:
        """The key with this ``kid`` (and ``alg``), or None. Without ``alg``, ValueError
        when the ``kid`` names keys of several algorithms: give ``alg`` to pick one."""
        named = self._by_kid.get(kid)
        if named is None:
            return None
        if alg is not None:
            return named.get(alg)
        if len(named) > 1:
            raise ValueError(f"the kid {kid!r} names keys for {sorted(named)}: give alg=")
        return next(iter(named.values()))

    def with_alg(self, alg: str) -> tuple[Key, ...]:
        """The keys bound to ``alg``."""
        return self._by_alg.get(alg, ())

    def __iter__(self) -> Iterator[Key]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeySet):
            return NotImplemented
        return self._by_kid == other._by_kid

    def __hash__(self) -> int:
        return hash(frozenset((k.kid, k.alg) for k in self._keys))

    def __repr__(self) -> str:
        return f"KeySet({[f'{k.kid}:{k.alg}' for k in self._keys]})"
