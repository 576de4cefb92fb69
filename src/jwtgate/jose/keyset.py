"""A set of keys, as in a JWK Set (RFC 7517 section 5).

Lookup is by ``kid``; for tokens without a ``kid``, by ``alg``. Two keys may not share a
``kid``: that would make the choice of key depend on order, which an attacker could exploit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from .jwk import Key

__all__ = ["MAX_JWKS_KEYS", "KeySet"]

MAX_JWKS_KEYS = 100


class KeySet:
    """An immutable set of :class:`Key` objects with unique ``kid`` values."""

    __slots__ = ("_by_alg", "_by_kid", "_keys")

    def __init__(self, keys: Iterable[Key]) -> None:
        """ValueError for an empty set or a duplicate ``kid``; TypeError for non-keys."""
        by_kid: dict[str, Key] = {}
        by_alg: dict[str, tuple[Key, ...]] = {}
        for key in keys:
            if not isinstance(key, Key):
                raise TypeError(f"KeySet holds Key objects, not {type(key).__name__}")
            if key.kid in by_kid:
                raise ValueError(f"two keys share the kid {key.kid!r}")
            by_kid[key.kid] = key
            by_alg[key.alg] = (*by_alg.get(key.alg, ()), key)
        if not by_kid:
            raise ValueError("a KeySet needs at least one key")
        self._keys = tuple(by_kid.values())
        self._by_kid = by_kid
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

    def get(self, kid: str) -> Key | None:
        """The key with this ``kid``, or None."""
        return self._by_kid.get(kid)

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
        return hash(frozenset(self._by_kid))

    def __repr__(self) -> str:
        return f"KeySet({[f'{k.kid}:{k.alg}' for k in self._keys]})"
