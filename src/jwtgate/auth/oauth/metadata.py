"""Client metadata: what an admin sets on a client (the Clients contract), its defaults, and
its validation as a whole (RFC 6749 2, RFC 7591 2 field names)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...store.records import ClientRecord
from ..errors import InvalidRequest
from .registration import (
    ID_TOKEN_ALGORITHMS,
    check_audiences,
    check_auth_method,
    check_grant_types,
    check_redirect_uris,
    check_uri,
)
from .scopes import valid_scope_token

__all__ = ["ClientMetadata", "default_grants", "merged", "validated"]


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    """What an admin sets on a client; ``None`` means "the default" at creation and
    "unchanged" in an update."""

    name: str | None = None
    scopes: Sequence[str] | None = None
    redirect_uris: Sequence[str] | None = None
    post_logout_redirect_uris: Sequence[str] | None = None
    grant_types: Sequence[str] | None = None
    audiences: Sequence[str] | None = None
    first_party: bool | None = None
    token_endpoint_auth_method: str | None = None
    backchannel_logout_uri: str | None = None
    id_token_signed_response_alg: str | None = None
    dpop_bound_access_tokens: bool | None = None
    disabled: bool | None = None


def _name(name: object) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 128 or "\x00" in name:
        raise InvalidRequest("a client name has 1 to 128 characters")
    return name.strip()


def _scopes(scopes: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(scopes, str):
        scopes = scopes.split()
    names: list[str] = []
    for scope in scopes:
        if not isinstance(scope, str) or not valid_scope_token(scope):
            raise InvalidRequest("a scope is 1-64 printable characters without spaces")
        if scope not in names:
            names.append(scope)
    if len(names) > 64:
        raise InvalidRequest("at most 64 scopes")
    return tuple(names)


def default_grants(public: bool, redirect_uris: Sequence[str]) -> tuple[str, ...]:
    if redirect_uris:
        return ("authorization_code", "refresh_token")
    return () if public else ("client_credentials",)


def validated(record: ClientRecord) -> ClientRecord:
    """Check the whole client, as it would be stored. Raises InvalidRequest."""
    public = record.type == "public"
    redirect_uris = check_redirect_uris(record.redirect_uris)
    post_logout = check_redirect_uris(record.post_logout_redirect_uris, "post_logout_redirect_uri")
    grants = check_grant_types(record.grant_types, public=public, redirect_uris=redirect_uris)
    backchannel = record.backchannel_logout_uri
    if backchannel is not None:
        backchannel = check_uri(backchannel, "backchannel_logout_uri", native=False)
    alg = record.id_token_signed_response_alg
    if alg is not None and alg not in ID_TOKEN_ALGORITHMS:
        raise InvalidRequest(
            f"id_token_signed_response_alg is one of {', '.join(ID_TOKEN_ALGORITHMS)}"
        )
    return replace(
        record,
        name=_name(record.name),
        scopes=_scopes(record.scopes),
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout,
        grant_types=grants,
        audiences=check_audiences(record.audiences),
        token_endpoint_auth_method=check_auth_method(
            record.token_endpoint_auth_method, public=public
        ),
        backchannel_logout_uri=backchannel,
    )


def merged(record: ClientRecord, meta: ClientMetadata) -> ClientRecord:
    """``record`` with every field ``meta`` sets (booleans checked for type)."""
    changes: dict[str, Any] = {}
    for name in ClientMetadata.__slots__:
        value = getattr(meta, name)
        if value is None:
            continue
        if name in ("first_party", "dpop_bound_access_tokens", "disabled"):
            if not isinstance(value, bool):
                raise InvalidRequest(f"{name} is true or false")
        elif name in (
            "name",
            "token_endpoint_auth_method",
            "backchannel_logout_uri",
            "id_token_signed_response_alg",
        ):
            if not isinstance(value, str):
                raise InvalidRequest(f"{name} is a string")
        else:
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise InvalidRequest(f"{name} is a list of strings")
            value = tuple(value)
        changes[name] = value
    # An empty string clears an optional URI or algorithm.
    for name in ("backchannel_logout_uri", "id_token_signed_response_alg"):
        if changes.get(name) == "":
            changes[name] = None
    return replace(record, **changes)
