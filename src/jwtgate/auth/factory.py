"""``build_auth``: the one place that turns Settings into a working AuthService."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config import Settings
from ..store.crypto import KeyCipher, derive_subkey, load_master_key
from ..store.engine import PoolOptions
from ..store.migrate import upgrade as upgrade_schema
from ..store.uow import SqlStore
from .accounts.mail import Mailer
from .accounts.setup import mail_setup
from .context import AuthContext
from .dpop import DPoPChecks
from .keyring import ID_TOKEN, KeyRing
from .oidc.backchannel import BackchannelLogout, LogoutSender
from .oidc.id_tokens import IdTokens
from .passwords import PasswordHasher
from .policy import PasswordPolicy
from .pseudonyms import PURPOSE as PSEUDONYM_PURPOSE
from .pseudonyms import Pseudonyms
from .revocation import RevocationState
from .rotation import Rotation
from .service import AuthService
from .sql_throttle import SqlThrottle
from .throttle import Throttle, ThrottlePolicy
from .tokens import AccessTokens

if TYPE_CHECKING:
    from ..store.redis import RedisLink

__all__ = ["build_auth", "default_issuer", "pool_options"]


def default_issuer(settings: Settings) -> str:
    """``Settings.issuer``, else the base URL the server is served on."""
    if settings.issuer:
        return settings.issuer.rstrip("/") if settings.issuer != "/" else settings.issuer
    host = settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal in a URL (RFC 3986 3.2.2)
    return f"http://{host}:{settings.port}"


def pool_options(settings: Settings) -> PoolOptions:
    """The database connection pool from the ``db_pool_*`` settings."""
    return PoolOptions(
        size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        timeout=settings.db_pool_timeout,
        recycle=settings.db_pool_recycle,
        sqlite_cache_kib=settings.sqlite_cache_kib,
    )


def build_auth(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    upgrade: bool = True,
    issuer: str | None = None,
    throttle: Throttle | None = None,
    mailer: Mailer | None = None,
    logout_sender: LogoutSender | None = None,
) -> AuthService:
    """Build the auth service from settings: engine, schema (``upgrade``: run the Alembic
    migrations first), key ring (a key is generated on first start), revocation state.

    ``issuer`` overrides :func:`default_issuer`; ``throttle`` replaces the default one, whose
    counters live in the database (shared by every worker and instance on it), or in Redis;
    ``mailer`` replaces the one ``smtp_url`` selects (SMTP, or the log without it);
    ``logout_sender`` replaces the HTTP sender of back-channel logout tokens (whose worker
    runs once :meth:`AuthService.start_background` is called, as ``serve`` does).
    With ``settings.redis_url``, login throttling is shared through Redis and revocations and
    key rotations are published to, and received from, the other instances (a subscriber
    thread, stopped by ``close()``); Redis being down at start is fine (logged, retried).
    Nothing runs at import time. Raises ValueError for unusable settings (a malformed master
    key, a master key that does not open the stored keys, an unknown algorithm).
    """
    store = SqlStore.from_url(settings.database_url, pool=pool_options(settings))
    link: RedisLink | None = None
    try:
        if upgrade:
            upgrade_schema(settings.database_url, engine=store.engine)
        master = load_master_key(
            settings.database_url,
            master_key=settings.master_key.get_secret_value() if settings.master_key else None,
            key_file=settings.key_file,
        )
        keyring = KeyRing(
            store,
            KeyCipher(master),
            clock=clock,
            algorithm=settings.algorithm,
            retention=settings.access_ttl + settings.leeway + settings.revocation_poll_interval,
        )
        keyring.load()
        id_algs = tuple(dict.fromkeys((*settings.id_token_algorithms, "RS256")))
        id_keyring = KeyRing(
            store,
            KeyCipher(master),
            clock=clock,
            algorithm=id_algs[0],
            algorithms=id_algs,
            purpose=ID_TOKEN,
            retention=settings.id_token_ttl + settings.leeway + settings.revocation_poll_interval,
        )
        id_keyring.load()
        iss = issuer or default_issuer(settings)
        if logout_sender is None:
            from ..store.outbound import HttpLogoutSender

            logout_sender = HttpLogoutSender()
        revocations = RevocationState(clock=clock)
        mail = mail_setup(settings, master_key=master, public_url=iss, mailer=mailer)
        policy = ThrottlePolicy.from_settings(settings)
        if settings.redis_url:
            from ..store.redis import FailureCounters, RedisLink
            from .redis_throttle import RedisThrottle

            link = RedisLink(settings.redis_url, prefix=settings.redis_prefix)
            throttle = throttle or RedisThrottle(policy, FailureCounters(link), clock=clock)
        ctx = AuthContext(
            settings=settings,
            store=store,
            clock=clock,
            hasher=PasswordHasher.from_settings(settings),
            policy=PasswordPolicy.from_settings(settings),
            throttle=throttle or SqlThrottle(policy, store, clock=clock),
            keyring=keyring,
            id_keyring=id_keyring,
            revocations=revocations,
            pseudonyms=Pseudonyms(derive_subkey(master, PSEUDONYM_PURPOSE)),
            tokens=AccessTokens(
                keyring,
                revocations,
                clock=clock,
                issuer=iss,
                audience=settings.audience,
                ttl=settings.access_ttl,
                leeway=settings.leeway,
                max_size=settings.max_token_size,
            ),
            mail=mail,
            rotation=Rotation.from_master_key(
                master, reuse_interval=settings.refresh_reuse_interval
            ),
            id_tokens=IdTokens(
                id_keyring,
                clock=clock,
                issuer=iss,
                ttl=settings.id_token_ttl,
                max_size=settings.max_token_size,
            ),
            backchannel=BackchannelLogout(
                store,
                id_keyring,
                logout_sender,
                clock=clock,
                issuer=iss,
                attempts=settings.backchannel_logout_attempts,
                timeout=settings.backchannel_logout_timeout,
            ),
        )
        replay = None
        if link is not None:
            from ..store.redis import RedisReplayCache

            replay = RedisReplayCache(link)
        service = AuthService(
            ctx,
            DPoPChecks(
                clock=clock,
                secret=master,  # every instance derives the same nonce key
                require_nonce=settings.dpop_require_nonce,
                replay=replay,
            ),
        )
        service.load_revocations()
        if link is not None:
            from .redis_sync import RedisSync

            def reload_keys() -> bool:
                changed = keyring.reload()
                return id_keyring.reload() or changed

            def resync() -> None:
                service.load_revocations()
                reload_keys()

            ctx.announcer = RedisSync(
                link, revocations=revocations, reload_keys=reload_keys, resync=resync
            )
            ctx.announcer.start()
    except BaseException:
        if link is not None:
            link.close()
        store.dispose()
        raise
    return service
