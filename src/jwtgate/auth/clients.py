"""Confidential OAuth clients (RFC 6749 2.3.1) and the client credentials grant (4.4).

A client secret is 256 random bits shown once; only its SHA-256 is stored, and it is compared
in constant time. An unknown client id is compared against a dummy hash, so both failures take
the same path.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from ..store.records import ClientRecord
from .context import AuthContext
from .convert import to_client
from .errors import InvalidClient, InvalidRequest
from .scopes import grant_scope, valid_scope_token
from .tokens import hash_token
from .values import Client, TokenPair

__all__ = ["Clients"]

_DUMMY_HASH = hash_token(secrets.token_urlsafe(32))


class Clients:
    """Client use cases."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    def create(
        self, name: str, scopes: Sequence[str], *, actor: Mapping[str, Any] | None
    ) -> tuple[Client, str]:
        """A new client and its secret (shown once). Raises InvalidRequest."""
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 128:
            raise InvalidRequest("a client name has 1 to 128 characters")
        if isinstance(scopes, str):
            scopes = scopes.split()
        names: list[str] = []
        for scope in scopes:
            if not isinstance(scope, str) or not valid_scope_token(scope):
                raise InvalidRequest("a scope is 1-64 printable characters without spaces")
            if scope not in names:
                names.append(scope)
        secret = secrets.token_urlsafe(32)
        record = ClientRecord(
            client_id=secrets.token_urlsafe(16),
            name=name.strip(),
            secret_hash=hash_token(secret),
            scopes=tuple(names),
            created_at=self._ctx.clock(),
        )
        with self._ctx.store.write() as uow:
            uow.clients.add(record)
            self._ctx.audit(
                uow, "client_created", actor=actor, client_id=record.client_id, scopes=names
            )
        return to_client(record), secret

    def all(self) -> list[Client]:
        """Every client, oldest first."""
        with self._ctx.store.read() as uow:
            return [to_client(r) for r in uow.clients.all()]

    def authenticate(self, client_id: str, client_secret: str) -> ClientRecord:
        """The client, if the secret is right. Raises InvalidClient."""
        record = None
        if isinstance(client_id, str) and 0 < len(client_id) <= 64:
            with self._ctx.store.read() as uow:
                record = uow.clients.get(client_id)
        secret = client_secret if isinstance(client_secret, str) else ""
        presented = hash_token(secret[:256])
        expected = record.secret_hash if record is not None else _DUMMY_HASH
        if not hmac.compare_digest(presented, expected) or record is None:
            raise InvalidClient()
        return record

    def credentials_grant(self, client_id: str, client_secret: str, scope: str | None) -> TokenPair:
        """RFC 6749 4.4: an access token for the client itself, no refresh token.

        Raises InvalidClient, InvalidScope.
        """
        ctx = self._ctx
        client = self.authenticate(client_id, client_secret)
        granted = grant_scope(scope, client.scopes, default=" ".join(client.scopes))
        access = ctx.tokens.issue(sub=client.client_id, scope=granted, client_id=client.client_id)
        with ctx.store.write() as uow:
            ctx.audit(uow, "client_token", client_id=client.client_id, scope=granted)
        return TokenPair(
            access_token=access.token,
            expires_in=access.expires_in,
            refresh_token=None,
            refresh_expires_in=None,
            scope=granted,
        )
