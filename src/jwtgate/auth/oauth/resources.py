"""Audiences of access tokens (RFC 8707 resource indicators).

A token names the API it is for in ``aud``. ``resource`` at /auth/authorize and /auth/token
picks among the client's registered audiences (anything else is ``invalid_target``); without
it a token is for the client's first audience, or the deployment's ``JWTGATE_AUDIENCE`` for a
client with none and for the first-party JSON login. A token for one audience has ``aud`` as a
string (RFC 7519 4.1.3 allows both; Guards of one API then compare one value).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import InvalidTarget
from .registration import valid_audience

__all__ = ["MAX_RESOURCES", "aud_claim", "choose_audiences", "narrow_audiences"]

MAX_RESOURCES = 8


def choose_audiences(
    requested: Sequence[str], allowed: Sequence[str], *, default: str
) -> tuple[str, ...]:
    """The audiences a grant covers: ``requested`` if every one is ``allowed``, else the first
    allowed one (or ``default``) when nothing is requested. Raises InvalidTarget."""
    if not requested:
        return (allowed[0],) if allowed else (default,)
    if len(requested) > MAX_RESOURCES:
        raise InvalidTarget(f"at most {MAX_RESOURCES} resource parameters")
    out: list[str] = []
    for resource in requested:
        if not valid_audience(resource):
            raise InvalidTarget("a resource is an absolute URI without fragment (RFC 8707 2)")
        if resource not in allowed:
            raise InvalidTarget("the resource is not an audience this client may have")
        if resource not in out:
            out.append(resource)
    return tuple(out)


def narrow_audiences(requested: Sequence[str], granted: Sequence[str]) -> tuple[str, ...]:
    """At the token endpoint, ``resource`` may pick some of what the grant covers (RFC 8707
    2.2). Raises InvalidTarget."""
    if not requested:
        return tuple(granted)
    return choose_audiences(requested, granted, default=granted[0] if granted else "")


def aud_claim(audiences: Iterable[str]) -> str | list[str]:
    """The ``aud`` claim: a string for one audience, an array for several."""
    values = list(audiences)
    return values[0] if len(values) == 1 else values
