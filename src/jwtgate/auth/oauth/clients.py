"""OAuth clients (RFC 6749 2): registering, changing, disabling, deleting, re-keying, and
authenticating them; the client credentials grant (4.4).

A confidential client's secret is 256 random bits shown once; only its SHA-256 is stored, and
it is compared in constant time. An unknown client id is compared against a dummy hash, so
every failure takes the same path. A public client (SPA, mobile app) has no secret and names
itself with ``client_id`` alone (RFC 6749 2.1). Disabling or deleting a client revokes every
session it holds and every token issued to it; a disabled client's credentials are refused.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ...store.protocols import UnitOfWork
from ...store.records import ClientRecord
from ..context import AuthContext, Pending
from ..convert import to_client
from ..dpop import require_dpop
from ..errors import InvalidClient, InvalidRequest, NotFound, UnauthorizedClient
from ..tokens import hash_token
from ..values import Client, ClientAuth, TokenPair
from .metadata import ClientMetadata, default_grants, merged, validated
from .resources import aud_claim, choose_audiences
from .scopes import grant_scope

__all__ = ["ClientMetadata", "Clients"]

_DUMMY_HASH = hash_token(secrets.token_urlsafe(32))
MAX_CLIENT_ID = 64


class Clients:
    """Client use cases."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    # -- administration ----------------------------------------------------------------------

    def create(
        self,
        name: str,
        meta: ClientMetadata = ClientMetadata(),
        *,
        public: bool = False,
        actor: Mapping[str, Any] | None = None,
    ) -> tuple[Client, str | None]:
        """A new client and, for a confidential one, its secret (shown once).

        Raises InvalidRequest saying which field is wrong.
        """
        if meta.token_endpoint_auth_method == "none":  # noqa: S105 (a method name)
            public = True
        now = self._ctx.clock()
        secret = None if public else secrets.token_urlsafe(32)
        redirect_uris = tuple(meta.redirect_uris or ())
        draft = ClientRecord(
            # Hex: never starts with "-", which a command line would take for an option.
            client_id=secrets.token_hex(16),
            name=name,
            secret_hash="" if secret is None else hash_token(secret),
            scopes=(),
            created_at=now,
            updated_at=now,
            type="public" if public else "confidential",
            grant_types=default_grants(public, redirect_uris),
            token_endpoint_auth_method="none" if public else "client_secret_basic",
        )
        record = self._signable(validated(merged(draft, meta)))
        with self._ctx.store.write() as uow:
            uow.clients.add(record)
            self._ctx.audit(
                uow,
                "client_created",
                actor=actor,
                client_id=record.client_id,
                client_type=record.type,
                scopes=list(record.scopes),
                grant_types=list(record.grant_types),
            )
        return to_client(record), secret

    def _signable(self, record: ClientRecord) -> ClientRecord:
        """The client, if the ID-token key ring can sign with its
        ``id_token_signed_response_alg``. Raises InvalidRequest."""
        alg = record.id_token_signed_response_alg
        available = self._ctx.id_keyring.signing_algorithms
        if alg is not None and alg not in available:
            raise InvalidRequest(
                f"id_token_signed_response_alg must be one of {', '.join(available)} "
                "(JWTGATE_ID_TOKEN_ALGORITHMS)"
            )
        return record

    def ensure_builtin(self, client_id: str, name: str, redirect_uris: Sequence[str]) -> Client:
        """A first-party public client with a fixed id (Swagger UI's), created or brought up
        to date (its redirect URIs follow the issuer); an admin's disabling is kept."""
        ctx = self._ctx
        now = ctx.clock()
        wanted = validated(
            ClientRecord(
                client_id=client_id,
                name=name,
                secret_hash="",
                scopes=tuple(ctx.settings.user_scopes),
                created_at=now,
                updated_at=now,
                type="public",
                redirect_uris=tuple(redirect_uris),
                grant_types=("authorization_code",),
                first_party=True,
                token_endpoint_auth_method="none",  # noqa: S106 (a method name)
            )
        )
        with ctx.store.read() as uow:
            current = uow.clients.get(client_id)
        if current is not None and (
            current.redirect_uris,
            current.scopes,
            current.type,
            current.first_party,
        ) == (wanted.redirect_uris, wanted.scopes, "public", True):
            return to_client(current)
        with ctx.store.write() as uow:
            current = uow.clients.get(client_id, for_update=True)
            if current is None:
                uow.clients.add(wanted)
                ctx.audit(uow, "client_created", client_id=client_id, client_type="public")
            else:
                wanted = replace(wanted, created_at=current.created_at, disabled=current.disabled)
                uow.clients.replace(wanted)
                ctx.audit(uow, "client_updated", client_id=client_id, fields=["redirect_uris"])
        return to_client(wanted)

    def all(self) -> list[Client]:
        """Every client, oldest first."""
        with self._ctx.store.read() as uow:
            return [to_client(r) for r in uow.clients.all()]

    def get(self, client_id: str) -> Client:
        """One client. Raises NotFound."""
        return to_client(self._record(client_id))

    def update(
        self, client_id: str, meta: ClientMetadata, *, actor: Mapping[str, Any] | None = None
    ) -> Client:
        """Change the fields ``meta`` sets. Disabling revokes every session and token of the
        client. Raises NotFound, InvalidRequest."""
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            current = self._locked(uow, client_id)
            record = self._signable(
                validated(replace(merged(current, meta), updated_at=ctx.clock()))
            )
            uow.clients.replace(record)
            changed = sorted(n for n in ClientMetadata.__slots__ if getattr(meta, n) is not None)
            ctx.audit(uow, "client_updated", actor=actor, client_id=client_id, fields=changed)
            if record.disabled and not current.disabled:
                count = self._retire(uow, client_id, "client_disabled", pending)
                ctx.audit(uow, "client_disabled", actor=actor, client_id=client_id, count=count)
            elif current.disabled and not record.disabled:
                ctx.audit(uow, "client_enabled", actor=actor, client_id=client_id)
        ctx.publish(pending)
        return to_client(record)

    def delete(self, client_id: str, *, actor: Mapping[str, Any] | None = None) -> None:
        """Delete a client, revoking every session and token it holds. Raises NotFound."""
        ctx = self._ctx
        pending = Pending()
        with ctx.store.write() as uow:
            self._locked(uow, client_id)
            count = self._retire(uow, client_id, "client_deleted", pending)
            uow.codes.delete_for_client(client_id)
            uow.consents.delete_for_client(client_id)
            uow.clients.delete(client_id)
            ctx.audit(uow, "client_deleted", actor=actor, client_id=client_id, count=count)
        ctx.publish(pending)

    def rotate_secret(
        self, client_id: str, *, actor: Mapping[str, Any] | None = None
    ) -> tuple[Client, str]:
        """A new secret for a confidential client (shown once); the old one stops working at
        once. Tokens already issued stay valid: disable the client to end them too. Raises
        NotFound, InvalidRequest (a public client has no secret)."""
        ctx = self._ctx
        secret = secrets.token_urlsafe(32)
        with ctx.store.write() as uow:
            current = self._locked(uow, client_id)
            if current.type != "confidential":
                raise InvalidRequest("a public client has no secret to rotate")
            record = replace(current, secret_hash=hash_token(secret), updated_at=ctx.clock())
            uow.clients.replace(record)
            ctx.audit(uow, "client_secret_rotated", actor=actor, client_id=client_id)
        return to_client(record), secret

    def _record(self, client_id: str) -> ClientRecord:
        record = None
        if _plausible_id(client_id):
            with self._ctx.store.read() as uow:
                record = uow.clients.get(client_id)
        if record is None:
            raise NotFound("no such client")
        return record

    @staticmethod
    def _locked(uow: UnitOfWork, client_id: str) -> ClientRecord:
        record = uow.clients.get(client_id, for_update=True) if _plausible_id(client_id) else None
        if record is None:
            raise NotFound("no such client")
        return record

    def _retire(self, uow: UnitOfWork, client_id: str, reason: str, pending: Pending) -> int:
        """Revoke the client's sessions (and so their access tokens), and every token issued
        to the client itself (``sub`` = client id) until now. Returns the sessions count."""
        ctx = self._ctx
        now = ctx.clock()
        revoked = uow.sessions.revoke_where(now=now, reason=reason, client_id=client_id)
        ctx.revoke_sessions(uow, revoked, pending)
        pending.events.append(
            uow.revocations.add(
                "user",
                client_id,
                now=now,
                expires_at=now + ctx.revocation_ttl,
                not_before=float(math.floor(now) + 1),
            )
        )
        return len(revoked)

    # -- authentication ----------------------------------------------------------------------

    def find(self, client_id: object) -> ClientRecord | None:
        """An enabled client by id, or None (for the authorization endpoint)."""
        if not _plausible_id(client_id):
            return None
        with self._ctx.store.read() as uow:
            record = uow.clients.get(str(client_id))
        return None if record is None or record.disabled else record

    def authenticate(self, auth: ClientAuth, uow: UnitOfWork | None = None) -> ClientRecord:
        """The client, if ``auth`` proves it (RFC 6749 2.3): a confidential client by its
        secret (Basic or form), a public client by its id alone. Raises InvalidClient for an
        unknown or disabled client, a wrong or empty secret, a secret for a public client or
        none for a confidential one. ``uow``: read in that unit of work (the caller's
        transaction) instead of a new one."""
        record = None
        if _plausible_id(auth.client_id):
            if uow is not None:
                record = uow.clients.get(auth.client_id)
            else:
                with self._ctx.store.read() as read:
                    record = read.clients.get(auth.client_id)
        if auth.secret is None:
            if record is None or record.disabled or record.type != "public":
                raise InvalidClient()
            return record
        confidential = record is not None and record.type == "confidential"
        presented = hash_token(auth.secret[:256])
        expected = record.secret_hash if record is not None and confidential else _DUMMY_HASH
        # Compare first, always: the answer takes the same time whatever was wrong.
        if not hmac.compare_digest(presented, expected) or not auth.secret:
            raise InvalidClient()
        if record is None or not confidential or record.disabled:
            raise InvalidClient()
        return record

    def credentials_grant(
        self,
        auth: ClientAuth,
        scope: str | None,
        resources: Sequence[str] = (),
        dpop_jkt: str | None = None,
    ) -> TokenPair:
        """RFC 6749 4.4: an access token for the client itself, no refresh token.

        Raises InvalidClient, UnauthorizedClient, InvalidScope, InvalidTarget.
        """
        ctx = self._ctx
        client = self.authenticate(auth)
        require_grant(client, "client_credentials")
        require_dpop(client, dpop_jkt)
        granted = grant_scope(scope, client.scopes, default=" ".join(client.scopes))
        audiences = choose_audiences(resources, client.audiences, default=ctx.settings.audience)
        access = ctx.tokens.issue(
            sub=client.client_id,
            scope=granted,
            client_id=client.client_id,
            audience=aud_claim(audiences),
            jkt=dpop_jkt,
        )
        with ctx.store.write() as uow:
            ctx.audit(uow, "client_token", client_id=client.client_id, scope=granted)
        return TokenPair(
            access_token=access.token,
            expires_in=access.expires_in,
            refresh_token=None,
            refresh_expires_in=None,
            scope=granted,
            token_type="DPoP" if dpop_jkt else "Bearer",
        )


def require_grant(client: ClientRecord, grant: str) -> None:
    """Raise UnauthorizedClient unless the client may use ``grant`` (RFC 6749 5.2)."""

    if grant not in client.grant_types:
        raise UnauthorizedClient(f"this client may not use the {grant} grant")


def _plausible_id(client_id: object) -> bool:
    return (
        isinstance(client_id, str)
        and 0 < len(client_id) <= MAX_CLIENT_ID
        and "\x00" not in client_id
    )
