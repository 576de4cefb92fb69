"""Request and response models of the JSON API (pydantic), for validation and OpenAPI.

Requests are strict (no "1" for true, no number for a string) and refuse unknown fields, so a
typo is a 400 instead of a silent no-op. Lengths are bounded before any work is done. Responses
are documented here; the routes build them from the auth layer's value objects.

Names, emails, roles, scopes and ids refuse NUL characters (:data:`NoNul`): PostgreSQL text
cannot hold them, so without this check one backend would answer 400 and the other 500.
Passwords and tokens may hold anything: they are only hashed or parsed, never stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "ClientCreated",
    "ClientFields",
    "ClientOut",
    "ClientPage",
    "CreateClient",
    "CreateUser",
    "Discovery",
    "ErrorOut",
    "EventOut",
    "EventPage",
    "Introspection",
    "Jwks",
    "KeyOut",
    "KeyPage",
    "LoginRequest",
    "LogoutRequest",
    "MeOut",
    "NoNul",
    "PasswordChange",
    "RefreshRequest",
    "RegisterRequest",
    "RevocationFeed",
    "RotateKey",
    "SessionOut",
    "SessionPage",
    "TokenForm",
    "TokenOut",
    "UpdateClient",
    "UpdateUser",
    "UserInfo",
    "UserOut",
    "UserPage",
]


def _without_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_without_nul)
"""Refuses a string with a NUL character (a 400 on every backend; see the module docstring)."""

Username = Annotated[str, Field(min_length=1, max_length=256), NoNul]
Password = Annotated[str, Field(min_length=1, max_length=4096)]
Secret = Annotated[str, Field(min_length=1, max_length=16 * 1024)]
Email = Annotated[str, Field(max_length=320), NoNul]
Name = Annotated[str, Field(min_length=1, max_length=128), NoNul]
Role = Annotated[str, Field(min_length=1, max_length=64), NoNul]


class Request(BaseModel):
    """Base of the JSON request bodies: strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class LoginRequest(Request):
    """``POST /auth/login``."""

    username: Username
    password: Password


class RefreshRequest(Request):
    """``POST /auth/refresh``."""

    refresh_token: Secret


class LogoutRequest(Request):
    """``POST /auth/logout`` (optional body): also revoke this refresh token's session."""

    refresh_token: Secret | None = None


class PasswordChange(Request):
    """``POST /auth/password``."""

    current_password: Password
    new_password: Password


class RegisterRequest(Request):
    """``POST /auth/register``."""

    username: Username
    password: Password
    email: Email | None = None


class CreateUser(Request):
    """``POST /admin/users``."""

    username: Username
    password: Password | None = None
    roles: Annotated[list[Role], Field(max_length=32)] = []
    email: Email | None = None
    email_verified: bool = False
    invite: bool = Field(
        default=False, description="no password: mail the user a link to choose one (7 days)"
    )


class UpdateUser(Request):
    """``PATCH /admin/users/{id}``: only the fields present change."""

    roles: Annotated[list[Role], Field(max_length=32)] | None = None
    disabled: bool | None = None
    password: Password | None = None
    email: Email | None = Field(default=None, description="null removes the address")
    email_verified: bool | None = None


Uri = Annotated[str, Field(min_length=1, max_length=2048), NoNul]
UriList = Annotated[list[Uri], Field(max_length=32)]
ClientType = Literal["public", "confidential"]
AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
GrantType = Literal["authorization_code", "refresh_token", "client_credentials", "password"]
Alg = Annotated[str, Field(max_length=16), NoNul]


class ClientFields(Request):
    """The fields an admin sets on a client (the Clients contract)."""

    redirect_uris: UriList | None = None
    post_logout_redirect_uris: UriList | None = None
    grant_types: Annotated[list[GrantType], Field(max_length=4)] | None = None
    scopes: Annotated[list[Role], Field(max_length=64)] | None = None
    audiences: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=512), NoNul]], Field(max_length=32)
        ]
        | None
    ) = None
    first_party: bool | None = None
    token_endpoint_auth_method: AuthMethod | None = None
    backchannel_logout_uri: Annotated[str, Field(max_length=2048), NoNul] | None = None
    id_token_signed_response_alg: Alg | None = None
    dpop_bound_access_tokens: bool | None = None


class CreateClient(ClientFields):
    """``POST /admin/clients``: a confidential client unless ``type`` is "public"."""

    name: Name
    type: ClientType = "confidential"


class UpdateClient(ClientFields):
    """``PATCH /admin/clients/{client_id}``: only the fields present change."""

    name: Name | None = None
    disabled: bool | None = None


class RotateKey(Request):
    """``POST /admin/keys/rotate`` (optional body)."""

    alg: Annotated[str, Field(min_length=1, max_length=16), NoNul] | None = None
    use: Literal["access", "id_token"] = Field(
        default="access",
        description="Which key ring: access tokens, or ID and logout tokens (OpenID Connect)",
    )


class TokenForm(BaseModel):
    """``POST /auth/token`` form fields (RFC 6749 4.3, 4.4, 6; client auth 2.3.1).

    Unknown parameters are ignored, as RFC 6749 3.2 requires.
    """

    grant_type: Annotated[str | None, Field(max_length=64), NoNul] = None
    username: Annotated[str | None, Field(max_length=256), NoNul] = None
    password: Annotated[str | None, Field(max_length=4096)] = None
    refresh_token: Annotated[str | None, Field(max_length=16 * 1024)] = None
    scope: Annotated[str | None, Field(max_length=1024), NoNul] = None
    client_id: Annotated[str | None, Field(max_length=256)] = None
    client_secret: Annotated[str | None, Field(max_length=1024)] = None
    code: Annotated[str | None, Field(max_length=256), NoNul] = None
    redirect_uri: Annotated[str | None, Field(max_length=2048), NoNul] = None
    code_verifier: Annotated[str | None, Field(max_length=256), NoNul] = None
    resource: Annotated[str | None, Field(max_length=512), NoNul] = None


# -- responses ---------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """Every error: RFC 6749 5.2 / RFC 6750 3 codes and a human description."""

    error: str = Field(examples=["invalid_grant"])
    error_description: str = Field(examples=["invalid username or password"])


class TokenOut(BaseModel):
    """A token response (RFC 6749 5.1); no refresh token for client credentials."""

    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(examples=[900])
    refresh_token: str | None = None
    refresh_expires_in: int | None = Field(default=None, examples=[604800])
    scope: str | None = None


class MeOut(BaseModel):
    """The caller, from the verified access token (no database read)."""

    model_config = ConfigDict(extra="allow")

    sub: str
    username: str | None
    roles: list[str]
    sid: str | None
    scope: str
    iat: int | None
    exp: int | None


class UserInfo(BaseModel):
    """The userinfo response (OpenID Connect Core 5.3.2): claims by the token's scopes."""

    sub: str
    preferred_username: str | None = None
    name: str | None = None
    updated_at: int | None = None
    email: str | None = None
    email_verified: bool | None = None


class UserOut(BaseModel):
    """A user account."""

    id: str
    username: str
    email: str | None
    email_verified: bool
    roles: list[str]
    disabled: bool
    created_at: str


class SessionOut(BaseModel):
    """A login session (its sid stays the same across refreshes)."""

    sid: str
    user_id: str | None
    client_id: str | None
    created_at: str
    last_used_at: str
    expires_at: str
    absolute_expires_at: str
    revoked_at: str | None
    revoked_reason: str | None
    user_agent: str | None
    ip: str | None
    scope: str


class KeyOut(BaseModel):
    """A signing key's public facts; status is active, retired or expired."""

    kid: str
    alg: str
    status: str
    use: str
    created_at: str
    activated_at: str | None
    retired_at: str | None
    expires_at: str | None
    public_jwk: dict[str, Any]


class EventOut(BaseModel):
    """An audit event."""

    id: int
    type: str
    at: str
    user_id: str | None
    username: str | None
    actor: str | None
    ip: str | None
    detail: dict[str, Any]


class ClientOut(BaseModel):
    """An OAuth client (never its secret)."""

    client_id: str
    name: str
    type: ClientType
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    scopes: list[str]
    audiences: list[str]
    first_party: bool
    token_endpoint_auth_method: AuthMethod
    backchannel_logout_uri: str | None
    id_token_signed_response_alg: str | None
    dpop_bound_access_tokens: bool
    disabled: bool
    created_at: str


class ClientCreated(ClientOut):
    """A new client with a confidential client's secret, shown only in this answer."""

    client_secret: str | None = None


class UserPage(BaseModel):
    """A page of users."""

    items: list[UserOut]
    next_cursor: str | None


class SessionPage(BaseModel):
    """A user's sessions, newest first."""

    items: list[SessionOut]
    next_cursor: str | None


class KeyPage(BaseModel):
    """Every signing key, the active one first."""

    items: list[KeyOut]
    next_cursor: str | None


class EventPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[EventOut]
    next_cursor: str | None


class ClientPage(BaseModel):
    """Every OAuth client."""

    items: list[ClientOut]
    next_cursor: str | None


class Introspection(BaseModel):
    """RFC 7662 2.2: ``{"active": false}``, or the claims with ``active: true``."""

    model_config = ConfigDict(extra="allow")

    active: bool


class Jwks(BaseModel):
    """A JSON Web Key Set (RFC 7517 5)."""

    keys: list[dict[str, Any]]


class Discovery(BaseModel):
    """Authorization server metadata (RFC 8414 2, OpenID Connect Discovery)."""

    model_config = ConfigDict(extra="allow")

    issuer: str
    jwks_uri: str
    token_endpoint: str
    revocation_endpoint: str
    introspection_endpoint: str
    revocation_feed_endpoint: str = Field(
        description="jwtgate's own metadata: the absolute URL of GET /auth/revocations, the "
        "feed a Guard polls (with a confidential client's credentials) to enforce logouts "
        "and revocations within seconds."
    )
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    scopes_supported: list[str]


class RevocationFeed(BaseModel):
    """What Guards poll: revoked sessions and token ids, and per-user not-before times."""

    cursor: str
    sessions: list[str]
    tokens: list[str]
    users: dict[str, float]
    more: bool
