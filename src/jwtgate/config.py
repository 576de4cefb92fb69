"""Settings, read once by the app factory and the CLI (never at import time).

Every field is an environment variable ``JWTGATE_<NAME>``; a ``jwtgate.toml`` in the working
directory (or the file named by ``JWTGATE_CONFIG``) may set the same names in lower case.
Environment variables win over the file.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings"]

MIN_METRICS_TOKEN = 16


class Settings(BaseSettings):
    """jwtgate configuration. See docs/configuration.md for every option."""

    model_config = SettingsConfigDict(
        env_prefix="JWTGATE_",
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite:///./jwtgate.db"
    db_pool_size: int = Field(
        default=5, ge=1, description="PostgreSQL: connections each process keeps open."
    )
    db_max_overflow: int = Field(
        default=10, ge=0, description="PostgreSQL: extra connections a process may open at peak."
    )
    db_pool_timeout: float = Field(
        default=30.0, gt=0, description="PostgreSQL: seconds a request waits for a connection."
    )
    db_pool_recycle: float = Field(
        default=1800.0, description="PostgreSQL: seconds after which a connection is replaced."
    )
    sqlite_cache_kib: int = Field(
        default=2048,
        ge=64,
        le=1_048_576,
        description="SQLite: page cache of each pooled connection in KiB (PRAGMA cache_size); "
        "a process holds up to 15 connections.",
    )
    redis_url: str | None = None
    redis_prefix: str = Field(
        default="jwtgate",
        min_length=1,
        max_length=64,
        description="Prefix of every Redis key and channel (one per deployment sharing Redis).",
    )
    issuer: str | None = Field(
        default=None, description="The iss of every token; default: the served base URL."
    )
    audience: str = "api"
    algorithm: str = "ES256"
    id_token_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256"],
        min_length=1,
        description="Algorithms ID tokens may be signed with; the first is the default and RS256 "
        "is always added (OpenID Connect Core 15.1). Each keeps its own key in the ID-token "
        "key ring; a client picks one with id_token_signed_response_alg.",
    )
    id_token_ttl: int = Field(default=3600, ge=60, le=86400, description="ID token lifetime.")
    backchannel_logout_attempts: int = Field(
        default=6,
        ge=1,
        le=20,
        description="Attempts to deliver a back-channel logout token before giving up "
        "(audited as backchannel_logout_failed); waits double from 1 s between attempts.",
    )
    backchannel_logout_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds one back-channel logout POST may take."
    )
    access_ttl: int = Field(default=900, ge=1)
    refresh_ttl: int = Field(default=604800, ge=60, description="Sliding refresh lifetime.")
    refresh_absolute_ttl: int = Field(
        default=30 * 86400, ge=60, description="Hard cap on a session's life, refreshes or not."
    )
    refresh_reuse_interval: float = Field(
        default=10.0,
        ge=0,
        le=60,
        description="Seconds after a rotation during which the token just rotated is answered "
        "with the successor already minted for it (tabs restored together, retries); 0: off.",
    )
    leeway: int = Field(
        default=30,
        ge=0,
        le=300,
        description="Clock skew tolerated on exp/nbf/iat; retired keys and revocations outlive "
        "the tokens they concern by this much.",
    )
    user_scopes: list[str] = Field(
        default_factory=list,
        description="Scopes a user may ask for at /auth/token (clients get theirs per client).",
    )
    public_scopes: list[str] = Field(
        default_factory=list,
        description="Scopes discovery may list in scopes_supported (those a user or a client "
        "can actually be granted); every other scope stays unlisted.",
    )
    admin_password: SecretStr | None = None
    allow_registration: bool = False
    allow_password_grant: bool = Field(
        default=False,
        description="Allow the password grant at /auth/token without a client (RFC 9700 2.4: "
        "must not be used); clients that list it in grant_types may use it regardless.",
    )
    dpop_require_nonce: bool = Field(
        default=False,
        description="Demand a server nonce in every DPoP proof at /auth/token and the "
        "protected routes (RFC 9449 8): the first request gets use_dpop_nonce and DPoP-Nonce.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Base64url 32-byte key that encrypts private signing keys at rest; "
        "default: a key file beside the database, created 0600 on first start.",
    )
    key_file: str | None = None

    host: str = "127.0.0.1"
    port: int = 8000
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies (addresses or networks, comma-separated) whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed; default none: the peer is the client.",
    )
    max_body_size: int = Field(default=64 * 1024, ge=1024)
    max_token_size: int = Field(default=8 * 1024, ge=512)
    max_header_size: int = Field(
        default=16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Request line and headers, in bytes; past it 431 and the connection closes.",
    )
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a request's headers may take to arrive; then 408 and close.",
    )
    max_connections: int = Field(
        default=1024, ge=1, description="Open connections per worker; more are closed at once."
    )

    throttle_user_failures: int = 5
    throttle_ip_failures: int = 20
    throttle_window: int = 15 * 60
    throttle_max_backoff: int = 15 * 60

    password_min_length: int = 8
    password_max_length: int = 1024
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19 * 1024  # KiB; OWASP 2023 minimum for argon2id
    argon2_parallelism: int = 1

    revocation_poll_interval: float = 2.0
    audit_retention_days: int = 90
    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://, smtps:// or smtp+starttls://[user:password@]host[:port]; "
        "unset: mail goes to the server log (development only).",
    )
    smtp_timeout: float = Field(default=10.0, gt=0, le=120)
    smtp_ca_file: str | None = Field(
        default=None, description="PEM file of CAs to trust for the SMTP server's TLS certificate."
    )
    mail_from: str = Field(default="jwtgate <noreply@localhost>", min_length=3, max_length=320)
    public_url: str | None = Field(
        default=None, description="Base of the links in mail; default: the issuer."
    )
    product_name: str = Field(default="jwtgate", min_length=1, max_length=64)
    mail_template_dir: str | None = Field(
        default=None, description="Directory whose mail templates replace the built-in ones."
    )
    mail_max_attempts: int = Field(default=10, ge=1, le=50)
    require_verified_email: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token that GET /metrics requires from every caller; unset: only "
        "direct loopback peers (no proxy in between) may read the metrics.",
    )
    cookie_secure: bool = True

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        """``10.0.0.5, 10.1.0.0/16`` from the environment; each an address or a network."""
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            return items
        out = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"not an IP address or network: {item!r}") from None
            out.append(item)
        return out

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_METRICS_TOKEN:
            raise ValueError(f"must be at least {MIN_METRICS_TOKEN} characters (random)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("JWTGATE_CONFIG", "jwtgate.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def safe_dict(self) -> dict[str, Any]:
        """The settings with every secret masked, for logs and ``--help`` output."""
        out = self.model_dump()
        for name in ("admin_password", "master_key", "smtp_url", "metrics_token"):
            if out.get(name) is not None:
                out[name] = "**********"
        return out
