"""The ``jwtgate`` command: serve the auth server and administer it from a shell.

Every command reads the settings from the environment (``JWTGATE_*``) or ``jwtgate.toml``, as
the server does, and works on the database they name. Failures print what went wrong and what
to do next on stderr, and exit with status 1 (2 for unusable settings or arguments).
"""

from __future__ import annotations

import errno
import os
import shlex
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import orjson
import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from .auth.errors import Conflict, NotFound, Throttled, WeakPassword
from .cli_db import (
    MissingDatabase,
    connection_failure,
    describe_database,
    require_database,
)
from .cli_help import typer_app
from .config import Settings
from .jose.errors import JWTGateError
from .store import DatabaseURLError

if TYPE_CHECKING:
    from .auth.service import AuthService

__all__ = ["app", "main"]

app = typer_app(
    name="jwtgate",
    help="jwtgate: JWT authentication server. Settings come from JWTGATE_* environment "
    "variables or ./jwtgate.toml (see docs/configuration.md).",
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer_app("Manage user accounts.")
keys_app = typer_app("List and rotate the token signing keys.")
clients_app = typer_app(
    "Manage OAuth clients: apps that sign users in (authorization code + PKCE) and "
    "services (client_credentials, introspection, the revocation feed)."
)
token_app = typer_app("Look inside tokens.")
db_app = typer_app("Database schema.")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(clients_app, name="clients")
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")


# -- plumbing ------------------------------------------------------------------------------


def fail(message: str, hint: str = "", code: int = 1) -> NoReturn:
    """Print ``error: message`` (and the hint) on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    if hint:
        typer.echo(hint, err=True)
    raise typer.Exit(code)


def _hint(exc: JWTGateError) -> str:
    if isinstance(exc, WeakPassword):
        return "Choose a longer, less common password (a few unrelated words work well)."
    if isinstance(exc, Conflict):
        return "Pick another name, or see the existing ones with `jwtgate users list`."
    if isinstance(exc, NotFound):
        return "See the existing ones with `jwtgate users list`."
    if isinstance(exc, Throttled):
        return f"Wait {exc.retry_after} s and try again."
    return ""


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment and jwtgate.toml; exits 2 when they are unusable."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [
            f"  JWTGATE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
        fail("the configuration is not valid:\n" + "\n".join(lines), _CONFIG_HINT, code=2)


_CONFIG_HINT = "Fix the environment variable or jwtgate.toml (see docs/configuration.md)."


@contextmanager
def failures(settings: Settings | None = None) -> Iterator[None]:
    """Turn the errors a command may meet into a message and exit status 1 (2 for settings)."""
    try:
        yield
    except JWTGateError as exc:
        fail(str(exc), _hint(exc))
    except MissingDatabase as exc:
        fail(str(exc))
    except DatabaseURLError as exc:
        fail(f"JWTGATE_DATABASE_URL: {exc}", _CONFIG_HINT, code=2)
    except (SQLAlchemyError, OSError) as exc:
        url = settings.database_url if settings else ""
        fail(
            connection_failure(exc, url),
            "Check JWTGATE_DATABASE_URL, and that the database server is running, reachable "
            "and lets this user in (a SQLite file: that it is writable).",
        )
    except ValueError as exc:
        fail(str(exc), _CONFIG_HINT, code=2)


@contextmanager
def open_auth(settings: Settings, *, create: bool = False) -> Iterator[AuthService]:
    """The auth service on the configured database (schema upgraded), closed afterwards.

    Unless ``create``, a database that does not exist yet is refused (exit 1, saying where
    it was looked for) instead of being created empty; the database opened is named on
    stderr, so a command run from another directory cannot mislead.
    """
    from .auth import build_auth

    with failures(settings):
        if not create:
            require_database(settings.database_url)
        auth = build_auth(settings)
        if not create:
            typer.echo(f"jwtgate: database {describe_database(settings.database_url)}", err=True)
        try:
            yield auth
        finally:
            auth.close()


def read_password(from_stdin: bool, command: str, prompt: str = "Password") -> str:
    """A new password from stdin (one line) or typed twice without echo; ``command`` (such as
    ``jwtgate users add bob``) is named in the hint when neither works."""
    pipe = f"printf '%s\\n' \"$PASSWORD\" | {command} --password-stdin"
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on stdin", f"Pipe it in: {pipe}")
        return password
    if not sys.stdin.isatty():
        # Asking would print getpass's "Password input may be echoed", then "Aborted." at EOF.
        fail(
            "cannot ask for the password: stdin is not a terminal",
            f"Pipe it in with --password-stdin: {pipe}",
        )
    try:
        value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    except typer.Abort:
        fail("no password given", "Type it twice, or pipe it in with --password-stdin.")
    return value


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> None:
    """Print rows as aligned columns."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in (headers, *rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def when(moment: Any) -> str:
    """A datetime as ``YYYY-MM-DD HH:MM UTC``; "-" for None."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


# -- serve ---------------------------------------------------------------------------------


def base_url(settings: Settings) -> str:
    """The URL to reach the server from this machine (a wildcard host becomes loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(  # noqa: S104
        settings.host, settings.host
    )
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def check_listen(host: str, port: int) -> None:
    """Exit with a message and a next step when ``host:port`` cannot be listened on.

    Checked before anything else so that a busy port fails at once, not after the admin
    password was printed and a server log line said "startup complete".
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(
                    f"port {port} on {host} is already in use",
                    "Stop the other server, or pick another port with --port (or JWTGATE_PORT).",
                )
            if exc.errno == errno.EACCES:
                fail(
                    f"not allowed to listen on port {port}",
                    "Ports below 1024 need privileges: pick one such as 8000 with --port.",
                )
            reason = exc.strerror or type(exc).__name__
            fail(
                f"cannot listen on {host}:{port}: {reason}",
                "Use an address of this machine with --host (127.0.0.1, or 0.0.0.0 for all).",
            )


def login_command(url: str, password: str) -> str:
    """A curl command that logs ``admin`` in (the password as given, or a placeholder)."""
    body = orjson.dumps({"username": "admin", "password": password}).decode()
    return (
        f"curl -s -X POST {url}/auth/login -H 'content-type: application/json' "
        f"-d {shlex.quote(body)}"
    )


# Prints the access token of a login answer, or exits with the server's error_description.
_PRINT_ACCESS = (
    "python3 -c 'import json, sys; r = json.load(sys.stdin); "
    'print(r.get("access_token") or sys.exit(r.get("error_description")))\''
)


def try_it_lines(url: str, password: str) -> list[str]:
    """Two shell lines: log ``admin`` in keeping the access token, then call /auth/me."""
    return [
        f"ACCESS=$({login_command(url, password)} | {_PRINT_ACCESS})",
        f'curl -s {url}/auth/me -H "authorization: Bearer $ACCESS"',
    ]


# RFC 9864's fully-specified names: most verifiers (Nimbus/Spring, ASP.NET Core, go-oidc,
# PyJWT, jose before 6) know only "EdDSA", which signs exactly the same way.
_UNPORTABLE_ALGORITHMS = frozenset({"Ed25519", "Ed448"})


def warn_unportable_algorithm(auth: AuthService, settings: Settings) -> None:
    """Warn on stderr when the active signing key's algorithm, or JWTGATE_ALGORITHM (that
    of keys to come), is Ed25519 or Ed448."""
    active = {key.alg for key in auth.list_keys() if key.status == "active"}
    for alg in sorted((active | {settings.algorithm}) & _UNPORTABLE_ALGORITHMS):
        typer.echo(
            f"warning: {alg} (the RFC 9864 name) is unknown to most verifiers outside "
            "jwtgate (Spring Security, ASP.NET Core, go-oidc...); EdDSA signs the same way "
            "and every EdDSA verifier accepts it: set JWTGATE_ALGORITHM=EdDSA and run "
            "`jwtgate keys rotate --alg EdDSA` (see docs/resource-servers.md).",
            err=True,
        )


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: 127.0.0.1, JWTGATE_HOST]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port [default: 8000, JWTGATE_PORT]", min=1, max=65535)
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Worker processes (more than 1 needs a shared database)", min=1)
    ] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Start the auth server.

    Upgrades the database schema, creates a signing key on the first start, and on a database
    with no users creates `admin` (role admin) with the password of JWTGATE_ADMIN_PASSWORD or a
    generated one, printed once. Prints two shell lines that log in and call a protected
    endpoint. Stop with Ctrl-C.
    """
    import uvicorn

    from .server.memory import tune_allocator

    tune_allocator()

    from .server import create_app
    from .server.logging import configure_logging

    settings = load_settings(host=host, port=port)
    check_listen(settings.host, settings.port)
    url = base_url(settings)
    with open_auth(settings, create=True) as auth:
        given = settings.admin_password.get_secret_value() if settings.admin_password else None
        with failures(settings):
            created = auth.bootstrap_admin(given)
        typer.echo(
            f"jwtgate: database {describe_database(settings.database_url)}, issuer {auth.issuer}"
        )
        warn_unportable_algorithm(auth, settings)
        password = "<admin password>"  # noqa: S105 (a placeholder in the printed command)
        if created is not None:
            user, generated = created
            typer.echo(f"Created the user {user.username!r} with role admin.")
            if generated:
                typer.echo(f"Its password, shown only this once: {generated}")
                password = generated
        lines = "".join(f"\n  {line}" for line in try_it_lines(url, password))
        typer.echo(f"Log in and call a protected endpoint (paste both lines in a shell):{lines}")
        typer.echo(f"API docs: {url}/docs    Web sign-in: {url}/web/login")
        typer.echo(auth.account_email.mail_description)
        sys.stdout.flush()
        configure_logging(log_level.upper())
        common: dict[str, Any] = {
            "host": settings.host,
            "port": settings.port,
            "log_config": None,
            "access_log": False,
            "server_header": False,
            "log_level": log_level.lower(),
            # X-Forwarded-For/-Proto only from the configured proxies (none by default), not
            # uvicorn's default of every loopback peer: any local process could otherwise pick
            # its own client address (and defeat per-address throttling) or flip cookie flags.
            "proxy_headers": bool(settings.forwarded_allow_ips),
            "forwarded_allow_ips": settings.forwarded_allow_ips or None,
            "http": bounded_http(settings),
        }
        if os.environ.get("FORWARDED_ALLOW_IPS") and not settings.forwarded_allow_ips:
            typer.echo(
                "jwtgate: FORWARDED_ALLOW_IPS is ignored; name the proxies in "
                "JWTGATE_FORWARDED_ALLOW_IPS (forwarded headers are trusted from no one now)",
                err=True,
            )
        if workers == 1:
            uvicorn.run(create_app(settings, auth=auth), **common)
            return
    # Each worker builds its own app from the environment (its own key ring and revocation
    # state, kept in step through the database by the lifespan's poll).
    os.environ["JWTGATE_HOST"] = settings.host
    os.environ["JWTGATE_PORT"] = str(settings.port)
    uvicorn.run("jwtgate.server.app:app_from_env", factory=True, workers=workers, **common)


def bounded_http(settings: Settings) -> Any:
    """uvicorn's ``http`` protocol for ``serve``: httptools with the header size, header time
    and connection bounds of the settings (picklable, for ``--workers``)."""
    from functools import partial

    from .server.protocol import BoundedHttpToolsProtocol, ConnectionLimits

    limits = ConnectionLimits(
        max_header_size=settings.max_header_size,
        header_timeout=settings.header_timeout,
        max_connections=settings.max_connections,
    )
    return partial(BoundedHttpToolsProtocol, limits=limits)


# -- users ---------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The username (case-insensitively unique)")],
    role: Annotated[
        list[str] | None, typer.Option("--role", help="A role to grant; repeat for more")
    ] = None,
    email: Annotated[str | None, typer.Option(help="An email address")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line)")
    ] = False,
) -> None:
    """Create a user. Asks for the password twice (hidden) unless --password-stdin."""
    settings = load_settings()
    with failures(settings):
        require_database(settings.database_url)  # before asking for a password in vain
    password = read_password(password_stdin, f"jwtgate users add {shlex.quote(name)}")
    with open_auth(settings) as auth:
        user = auth.create_user(name, password, roles=role or (), email=email)
    roles = ", ".join(user.roles) or "no roles"
    typer.echo(f"Created user {user.username} ({roles}), id {user.id}")


@users_app.command("list")
def users_list() -> None:
    """List every user: id, username, roles, state, creation time."""
    settings = load_settings()
    rows: list[list[str]] = []
    with open_auth(settings) as auth:
        cursor: str | None = None
        while True:
            page = auth.list_users(cursor, 200)
            for u in page.items:
                state = "disabled" if u.disabled else "active"
                rows.append([u.id, u.username, ",".join(u.roles) or "-", state, when(u.created_at)])
            cursor = page.next_cursor
            if cursor is None:
                break
    if not rows:
        typer.echo("No users yet: `jwtgate users add NAME` or start `jwtgate serve`.")
        return
    table(rows, ["ID", "USERNAME", "ROLES", "STATE", "CREATED"])


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="The username")]) -> None:
    """Disable a user: logins fail and every session and access token is revoked at once."""
    settings = load_settings()
    with open_auth(settings) as auth:
        user = auth.update_user(auth.find_user(name).id, disabled=True)
    typer.echo(f"Disabled {user.username}; every session of the user is revoked.")


@users_app.command("set-password")
def users_set_password(
    name: Annotated[str, typer.Argument(help="The username")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line)")
    ] = False,
) -> None:
    """Set a user's password (asked twice, hidden); every session of the user is revoked."""
    settings = load_settings()
    with open_auth(settings) as auth:
        user_id = auth.find_user(name).id
        command = f"jwtgate users set-password {shlex.quote(name)}"
        password = read_password(password_stdin, command, "New password")
        user = auth.update_user(user_id, password=password)
    typer.echo(f"Password of {user.username} changed; every session of the user is revoked.")


# -- keys, clients ---------------------------------------------------------------------------


@keys_app.command("list")
def keys_list() -> None:
    """List the signing keys: the active one signs, retired ones still verify until expiry."""
    settings = load_settings()
    with open_auth(settings) as auth:
        keys = auth.list_keys()
    rows = [[k.kid, k.alg, k.use, k.status, when(k.created_at), when(k.expires_at)] for k in keys]
    table(rows, ["KID", "ALG", "USE", "STATUS", "CREATED", "LEAVES JWKS"])


@keys_app.command("rotate")
def keys_rotate(
    alg: Annotated[
        str | None,
        typer.Option(
            help="Algorithm of the new key (ES256, EdDSA, RS256...) [default: JWTGATE_ALGORITHM]"
        ),
    ] = None,
    use: Annotated[
        str,
        typer.Option(
            help="access (access tokens) or id_token (ID and logout tokens; --alg defaults "
            "to RS256 there)"
        ),
    ] = "access",
) -> None:
    """Make a new signing key active. The old one stays in the JWKS until the last token it
    signed has expired, so nothing in flight breaks; running servers pick it up within
    JWTGATE_REVOCATION_POLL_INTERVAL seconds."""
    settings = load_settings()
    with open_auth(settings) as auth:
        key = auth.rotate_key(alg, use=use)
    suffix = "" if key.use == "access" else " for ID tokens"
    typer.echo(f"New signing key {key.kid} ({key.alg}) is active{suffix}.")


@clients_app.command("add")
def clients_add(
    name: Annotated[str, typer.Argument(help="A name for people (1-128 characters)")],
    public: Annotated[
        bool,
        typer.Option("--public", help="A public client (SPA, mobile or desktop app): no secret"),
    ] = False,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--redirect-uri",
            help="A redirect URI, exact (https, loopback http, or com.example.app:/cb); repeat",
        ),
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="A scope the client may ask for; repeat")
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option(
            "--audience",
            help="An API its tokens may be for (RFC 8707); the first is the default; repeat",
        ),
    ] = None,
    grant: Annotated[
        list[str] | None,
        typer.Option(
            "--grant",
            help="authorization_code, refresh_token, client_credentials or "
            "password; repeat [default: code + refresh with redirect URIs, else "
            "client_credentials]",
        ),
    ] = None,
    first_party: Annotated[
        bool, typer.Option("--first-party", help="Your own app: no consent page")
    ] = False,
    post_logout_redirect_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--post-logout-redirect-uri",
            help="Where /auth/end-session may send the user back (OpenID Connect); repeat",
        ),
    ] = None,
    backchannel_logout_uri: Annotated[
        str | None,
        typer.Option(
            "--backchannel-logout-uri",
            help="Where logout tokens are POSTed when a session of this app ends",
        ),
    ] = None,
    id_token_alg: Annotated[
        str | None,
        typer.Option(
            "--id-token-alg",
            help="id_token_signed_response_alg, one of JWTGATE_ID_TOKEN_ALGORITHMS "
            "[default: RS256]",
        ),
    ] = None,
) -> None:
    """Register an OAuth client. A confidential client's client_secret is printed once: it is
    stored hashed and cannot be shown again."""
    from .auth.oauth import ClientMetadata

    meta = ClientMetadata(
        scopes=scope or (),
        redirect_uris=redirect_uri or (),
        audiences=audience or (),
        grant_types=grant or None,
        first_party=first_party,
        post_logout_redirect_uris=post_logout_redirect_uri or None,
        backchannel_logout_uri=backchannel_logout_uri,
        id_token_signed_response_alg=id_token_alg,
    )
    settings = load_settings()
    with open_auth(settings) as auth:
        client, secret = auth.create_client(name, public=public, meta=meta)
    typer.echo(f"client_id:     {client.client_id}")
    if secret is not None:
        typer.echo(f"client_secret: {secret}")
        typer.echo("Store the secret now: it is not shown again.", err=True)
    typer.echo(f"type:          {client.type}, grants: {' '.join(client.grant_types)}")


@clients_app.command("list")
def clients_list() -> None:
    """List the clients (never their secrets)."""
    settings = load_settings()
    with open_auth(settings) as auth:
        clients = auth.list_clients()
    rows = [
        [
            c.client_id,
            c.name,
            c.type,
            "disabled" if c.disabled else "enabled",
            " ".join(c.grant_types) or "-",
            " ".join(c.redirect_uris) or "-",
        ]
        for c in clients
    ]
    table(rows, ["CLIENT_ID", "NAME", "TYPE", "STATE", "GRANTS", "REDIRECT URIS"])


ClientId = Annotated[str, typer.Argument(help="The client_id (see `jwtgate clients list`)")]


def _set_disabled(client_id: str, disabled: bool) -> None:
    from .auth.oauth import ClientMetadata

    settings = load_settings()
    with open_auth(settings) as auth:
        client = auth.update_client(client_id, ClientMetadata(disabled=disabled))
    state = "disabled: its sessions and tokens are revoked" if disabled else "enabled"
    typer.echo(f"Client {client.client_id} ({client.name}) {state}.")


@clients_app.command("disable")
def clients_disable(client_id: ClientId) -> None:
    """Disable a client: its credentials are refused and every session and token it holds
    is revoked."""
    _set_disabled(client_id, True)


@clients_app.command("enable")
def clients_enable(client_id: ClientId) -> None:
    """Enable a disabled client again (tokens revoked by the disabling stay revoked)."""
    _set_disabled(client_id, False)


@clients_app.command("delete")
def clients_delete(client_id: ClientId) -> None:
    """Delete a client; every session and token it holds is revoked."""
    settings = load_settings()
    with open_auth(settings) as auth:
        auth.delete_client(client_id)
    typer.echo(f"Client {client_id} deleted; its sessions and tokens are revoked.")


@clients_app.command("rotate-secret")
def clients_rotate_secret(client_id: ClientId) -> None:
    """Give a confidential client a new secret, printed once; the old one stops working."""
    settings = load_settings()
    with open_auth(settings) as auth:
        client, secret = auth.rotate_client_secret(client_id)
    typer.echo(f"client_id:     {client.client_id}")
    typer.echo(f"client_secret: {secret}")
    typer.echo(
        "Store the secret now: it is not shown again; the old one no longer works.", err=True
    )


# -- token, db -----------------------------------------------------------------------------


@token_app.command("inspect")
def token_inspect(
    token: Annotated[str, typer.Argument(help="The JWT, or - to read it from stdin")],
) -> None:
    """Show a token's header and claims (times made readable) and whether this server accepts
    it, check by check. Exit status 0 when valid, 1 when not."""
    from .server.web.inspector import inspect_token

    if token == "-":  # noqa: S105 (the stdin marker, not a secret)
        token = sys.stdin.read().strip()
    settings = load_settings()
    with open_auth(settings) as auth:
        result = inspect_token(
            token, auth=auth, audience=settings.audience, now=time.time(), leeway=settings.leeway
        )
    if result.header is not None:
        typer.echo("Header:\n" + result.pretty(result.header))
    if result.claims is not None:
        typer.echo("Claims:\n" + result.pretty(result.claims))
    for name, text in result.times:
        typer.echo(f"  {name:<9} {text}")
    if result.checks:
        typer.echo("Checks:")
        for check in result.checks:
            typer.echo(f"  [{check.status}] {check.name}: {check.detail}")
    verdict = "VALID" if result.valid else "INVALID"
    typer.echo(f"{verdict}: {result.headline}. {result.reason}")
    if not result.valid:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to this version (Alembic). Safe to run twice,
    and while servers run."""
    from .store import create_db_engine, current_revision, upgrade

    settings = load_settings()
    with failures(settings):
        engine = create_db_engine(settings.database_url)
        try:
            upgrade(settings.database_url, engine=engine)
            revision = current_revision(engine)
        finally:
            engine.dispose()
    typer.echo(f"{describe_database(settings.database_url)} is at revision {revision}.")


@db_app.command("prune")
def db_prune() -> None:
    """Delete expired rows now (each server also does it hourly).

    Expired revocations, refresh tokens past their expiry, sessions dead for a day, retired
    keys past their last token, and audit events older than JWTGATE_AUDIT_RETENTION_DAYS, in
    small batches: safe while servers run.
    """
    settings = load_settings()
    with open_auth(settings) as auth:
        counts = auth.prune()
    done = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    typer.echo(f"Deleted {done}.")


def main() -> None:
    """Entry point of the ``jwtgate`` console script."""
    app()
