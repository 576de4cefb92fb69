"""Passkeys (WebAuthn Level 3) with the ``webauthn`` library: registration and assertion
ceremonies, always with user verification, as a second factor and for passwordless sign-in
with discoverable credentials.

The relying party is the public URL (``JWTGATE_PUBLIC_URL``, else the issuer): its host is the
RP id and its origin the only origin accepted, so an assertion made for another site, or
another RP id, fails the library's checks. A passkey's RP id cannot be an IP address: for
local use serve on ``http://localhost:PORT``. Every ceremony's challenge (32 random bytes) is
stored by its SHA-256 in ``mfa_challenges`` and consumed once, within 5 minutes. The sign
counter must grow (a counter going back means a cloned authenticator: refused and audited
``passkey_clone_suspected``), and a passkey registered as device-bound that reports itself
synced, or the reverse, is refused too (the backup-eligible flag never changes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...store.records import MfaChallenge, MfaFactor, UserRecord
from ..context import AuthContext
from ..errors import InvalidGrant, InvalidRequest, NotFound

__all__ = [
    "CHALLENGE_TTL",
    "Passkeys",
    "RelyingParty",
    "VerifiedPasskey",
    "b64url",
    "credential_challenge",
    "unb64url",
]

CHALLENGE_TTL = 300
MAX_PASSKEYS = 10
WEBAUTHN = "webauthn"
_BAD = "the passkey could not be verified"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(b"webauthn\x00" + challenge).hexdigest()


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """The RP id (a host name) and the one origin accepted."""

    id: str
    origin: str
    name: str

    @classmethod
    def from_url(cls, url: str, name: str) -> RelyingParty | None:
        """The relying party of a public base URL; None when its host is an IP address
        (passkeys cannot be bound to one)."""
        parts = urlsplit(url)
        host = parts.hostname
        if not host or parts.scheme not in ("http", "https"):
            return None
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return cls(host, f"{parts.scheme}://{parts.netloc}", name)
        return None


@dataclass(frozen=True, slots=True)
class VerifiedPasskey:
    """A passkey that just signed: its factor and whether it is synced (``swk``) or
    device-bound (``hwk``)."""

    factor: MfaFactor
    synced: bool


def credential_challenge(credential: object) -> bytes:
    """The challenge inside a credential's ``clientDataJSON``. Raises InvalidGrant."""
    try:
        response = credential.get("response") if isinstance(credential, Mapping) else None
        client_data = response.get("clientDataJSON") if isinstance(response, Mapping) else None
        if not isinstance(client_data, str) or len(client_data) > 4096:
            raise InvalidGrant(_BAD)
        challenge = orjson.loads(unb64url(client_data)).get("challenge")
        if not isinstance(challenge, str) or len(challenge) > 128:
            raise InvalidGrant(_BAD)
        return unb64url(challenge)
    except (ValueError, binascii.Error, orjson.JSONDecodeError, AttributeError):
        raise InvalidGrant(_BAD) from None


class Passkeys:
    """Registration, removal and both kinds of passkey sign-in."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    @property
    def rp(self) -> RelyingParty:
        """The relying party. Raises InvalidRequest when the public URL's host is an IP."""
        settings = self._ctx.settings
        base = settings.public_url or self._ctx.tokens.issuer
        rp = RelyingParty.from_url(base, settings.product_name)
        if rp is None:
            raise InvalidRequest(
                "passkeys need a host name, not an IP address: set JWTGATE_PUBLIC_URL "
                "(http://localhost:PORT for local use)"
            )
        return rp

    # -- registration -------------------------------------------------------------------------

    def register_options(self, user: UserRecord) -> dict[str, Any]:
        """``PublicKeyCredentialCreationOptions`` (JSON) for a new discoverable passkey."""
        rp = self.rp
        with self._ctx.store.read() as uow:
            existing = [f for f in uow.mfa.factors(user.id) if f.kind == WEBAUTHN]
        if len(existing) >= MAX_PASSKEYS:
            raise InvalidRequest(f"at most {MAX_PASSKEYS} passkeys per account")
        challenge = secrets.token_bytes(32)
        options = generate_registration_options(
            rp_id=rp.id,
            rp_name=rp.name,
            user_name=user.username,
            user_id=user.id.encode(),
            challenge=challenge,
            timeout=CHALLENGE_TTL * 1000,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=unb64url(f.credential_id or "")) for f in existing
            ],
        )
        self._store_challenge(challenge, "webauthn_register", user.id)
        out: dict[str, Any] = orjson.loads(options_to_json(options))
        return out

    def register(self, user: UserRecord, credential: object, name: object) -> MfaFactor:
        """Verify a registration and store the passkey. Raises InvalidGrant."""
        rp = self.rp
        label = name.strip()[:64] if isinstance(name, str) and name.strip() else "Passkey"
        challenge = credential_challenge(credential)
        self._take_challenge(challenge, "webauthn_register", user.id)
        try:
            verified = verify_registration_response(
                credential=dict(credential),  # type: ignore[call-overload]
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=rp.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError):
            raise InvalidGrant(_BAD) from None
        now = self._ctx.clock()
        factor = MfaFactor(
            id=secrets.token_urlsafe(18),
            user_id=user.id,
            kind=WEBAUTHN,
            name=label,
            created_at=now,
            credential_id=b64url(verified.credential_id),
            public_key=b64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            detail={
                "device_type": str(verified.credential_device_type.value),
                "backed_up": verified.credential_backed_up,
            },
            confirmed_at=now,
        )
        with self._ctx.store.write() as uow:
            if uow.mfa.by_credential(factor.credential_id or "") is not None:
                raise InvalidGrant("this passkey is already registered")
            uow.mfa.add_factor(factor)
            self._ctx.audit(uow, "mfa_enrolled", user=user, method=WEBAUTHN, name=label)
        return factor

    def remove(self, user: UserRecord, factor_id: object) -> None:
        """Remove one of the user's passkeys. Raises NotFound."""
        if not isinstance(factor_id, str) or len(factor_id) > 64:
            raise NotFound("no such passkey")
        with self._ctx.store.write() as uow:
            factor = uow.mfa.factor(factor_id)
            if factor is None or factor.kind != WEBAUTHN or factor.user_id != user.id:
                raise NotFound("no such passkey")
            uow.mfa.delete_factor(user.id, factor_id)
            if not any(f.confirmed_at is not None for f in uow.mfa.factors(user.id)):
                uow.mfa.delete_codes(user.id)
            self._ctx.audit(uow, "mfa_removed", user=user, method=WEBAUTHN, name=factor.name)

    # -- sign-in ------------------------------------------------------------------------------

    def assertion_options(self, user_id: str | None) -> tuple[dict[str, Any], bytes]:
        """``PublicKeyCredentialRequestOptions`` (JSON) and their challenge: for ``user_id``'s
        passkeys (second factor), or any discoverable one (None: passwordless)."""
        rp = self.rp
        allow: list[PublicKeyCredentialDescriptor] = []
        if user_id is not None:
            with self._ctx.store.read() as uow:
                allow = [
                    PublicKeyCredentialDescriptor(id=unb64url(f.credential_id or ""))
                    for f in uow.mfa.factors(user_id)
                    if f.kind == WEBAUTHN
                ]
        challenge = secrets.token_bytes(32)
        options = generate_authentication_options(
            rp_id=rp.id,
            challenge=challenge,
            timeout=CHALLENGE_TTL * 1000,
            allow_credentials=allow,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        out: dict[str, Any] = orjson.loads(options_to_json(options))
        return out, challenge

    def passwordless_options(self) -> dict[str, Any]:
        """Options for a passwordless sign-in; the challenge is stored for 5 minutes."""
        options, challenge = self.assertion_options(None)
        self._store_challenge(challenge, "webauthn_login", None)
        return options

    def take_passwordless(self, credential: object) -> None:
        """Consume the passwordless challenge the credential answers. Raises InvalidGrant."""
        self._take_challenge(credential_challenge(credential), "webauthn_login", None)

    def verify(
        self, credential: object, challenge: bytes, *, user_id: str | None, ip: str | None
    ) -> VerifiedPasskey:
        """Verify an assertion against ``challenge`` (and, for a second factor, the user's
        own passkeys) and record its counter. Raises InvalidGrant."""
        rp = self.rp
        if not isinstance(credential, Mapping):
            raise InvalidGrant(_BAD)
        raw_id = credential.get("rawId") or credential.get("id")
        if not isinstance(raw_id, str) or len(raw_id) > 1400:
            raise InvalidGrant(_BAD)
        with self._ctx.store.read() as uow:
            factor = uow.mfa.by_credential(raw_id.rstrip("="))
            user = uow.users.get(factor.user_id) if factor is not None else None
        if factor is None or user is None or (user_id is not None and factor.user_id != user_id):
            raise InvalidGrant(_BAD)
        try:
            verified = verify_authentication_response(
                credential=dict(credential),
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=rp.origin,
                credential_public_key=unb64url(factor.public_key or ""),
                credential_current_sign_count=factor.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            if "sign count" in str(exc):
                self._audit(user, "passkey_clone_suspected", ip, factor)
            raise InvalidGrant(_BAD) from None
        if str(verified.credential_device_type.value) != factor.detail.get("device_type"):
            self._audit(user, "passkey_backup_state_changed", ip, factor)
            raise InvalidGrant(_BAD)
        with self._ctx.store.write() as uow:
            if not uow.mfa.use_counter(
                factor.id,
                seen=factor.sign_count,
                new=verified.new_sign_count,
                now=self._ctx.clock(),
            ):
                raise InvalidGrant(_BAD)  # a concurrent assertion moved the counter first
        return VerifiedPasskey(
            factor, str(verified.credential_device_type.value) != "single_device"
        )

    # -- helpers ------------------------------------------------------------------------------

    def _audit(self, user: UserRecord, event: str, ip: str | None, factor: MfaFactor) -> None:
        with self._ctx.store.write() as uow:
            self._ctx.audit(uow, event, user=user, ip=ip, name=factor.name)

    def _store_challenge(self, challenge: bytes, purpose: str, user_id: str | None) -> None:
        now = self._ctx.clock()
        with self._ctx.store.write() as uow:
            uow.mfa.add_challenge(
                MfaChallenge(
                    token_hash=_hash(challenge),
                    purpose=purpose,
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + CHALLENGE_TTL,
                )
            )

    def _take_challenge(self, challenge: bytes, purpose: str, user_id: str | None) -> None:
        ctx = self._ctx
        with ctx.store.write() as uow:
            found = uow.mfa.challenge(_hash(challenge))
            if (
                found is None
                or found.purpose != purpose
                or found.user_id != user_id
                or not uow.mfa.use_challenge(found.token_hash, now=ctx.clock())
            ):
                raise InvalidGrant("the passkey challenge is unknown, used or expired")
