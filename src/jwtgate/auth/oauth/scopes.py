"""OAuth scopes (RFC 6749 3.3): parsing the space-delimited string and granting subsets."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import InvalidScope

__all__ = [
    "STANDARD_SCOPES",
    "advertised_scopes",
    "grant_scope",
    "narrow_scope",
    "parse_scope",
    "valid_scope_token",
]

STANDARD_SCOPES: frozenset[str] = frozenset({"openid", "profile", "email", "offline_access"})
"""Standard scopes the server implements (OpenID Connect Core 5.4, 11), always in discovery;
any client may be given them."""

# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); we also bound its length.
_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]{1,64}")
MAX_SCOPES = 64


def valid_scope_token(token: str) -> bool:
    """True for one well-formed scope token."""
    return _TOKEN.fullmatch(token) is not None


def parse_scope(scope: str | None) -> list[str]:
    """The scope tokens of a request, de-duplicated in order. Raises InvalidScope when
    malformed."""
    if scope is None:
        return []
    if not isinstance(scope, str) or len(scope) > 4096:
        raise InvalidScope("the scope is malformed")
    tokens: list[str] = []
    for token in scope.split(" "):
        if not token:
            continue
        if not valid_scope_token(token):
            raise InvalidScope("the scope is malformed")
        if token not in tokens:
            tokens.append(token)
    if len(tokens) > MAX_SCOPES:
        raise InvalidScope("too many scopes")
    return tokens


def grant_scope(requested: str | None, allowed: Iterable[str], *, default: str = "") -> str:
    """The scope string to grant: ``default`` when nothing is asked, else what is asked if all
    of it is ``allowed``. Raises InvalidScope."""
    asked = parse_scope(requested)
    if not asked:
        return default
    allowed_set = set(allowed)
    unknown = [s for s in asked if s not in allowed_set]
    if unknown:
        raise InvalidScope(f"scope not allowed: {' '.join(unknown)[:200]}")
    return " ".join(asked)


def narrow_scope(requested: str, granted: str) -> str:
    """A refresh may ask for a subset of the session's scope (RFC 6749 6). Raises InvalidScope."""
    return grant_scope(requested, granted.split(), default=granted)


def advertised_scopes(public: Iterable[str], grantable: Iterable[str]) -> list[str]:
    """``scopes_supported`` of discovery: the standard scopes, and the scopes an admin marked
    public that someone can actually be granted. Every other scope (a client's own, an
    internal one) stays unlisted: discovery is read by anyone."""
    return sorted(STANDARD_SCOPES | (set(public) & set(grantable)))
