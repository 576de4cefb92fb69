"""The jwtgate command through Typer's CliRunner, and once as a real subprocess."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jwtgate.auth import AuthService, InvalidClient, InvalidGrant, build_auth
from jwtgate.cli import app
from jwtgate.config import Settings

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "violet tractor umbrella 42"

runner = CliRunner()


def run(*args: str, input: str | None = None, code: int = 0) -> str:
    """Invoke the CLI; assert the exit code; return stdout and stderr together."""
    result = runner.invoke(app, list(args), input=input)
    output = result.stdout + (result.stderr or "")
    assert result.exit_code == code, f"exit {result.exit_code}:\n{output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in output
    return output


@contextmanager
def service() -> Iterator[AuthService]:
    auth = build_auth(Settings())
    try:
        yield auth
    finally:
        auth.close()


def can_login(username: str, password: str) -> bool:
    with service() as auth:
        try:
            auth.login(username, password)
        except InvalidGrant:
            return False
    return True


COMMANDS = [
    ["serve"],
    ["users"],
    ["users", "add"],
    ["users", "list"],
    ["users", "disable"],
    ["users", "set-password"],
    ["keys"],
    ["keys", "list"],
    ["keys", "rotate"],
    ["clients"],
    ["clients", "add"],
    ["token"],
    ["token", "inspect"],
    ["db"],
    ["db", "upgrade"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself(command: list[str]) -> None:
    output = run(*command, "--help")
    assert "Usage:" in output
    summary = output.split("Usage:", 1)[1]
    assert len(re.sub(r"\s+", " ", summary)) > 60
    # Was "--help <bool>", "--password-stdin <bool>", "--role <list[str]>", "{name}".
    assert not re.search(r"<(bool|str|int|list)|\{\w+\}|int range", output), output
    assert re.search(r"^  --help +Show this message and exit\.$", output, re.MULTILINE), output


def test_help_shows_names_not_types() -> None:
    added = run("users", "add", "--help")
    assert "Usage: jwtgate users add [OPTIONS] NAME\n" in added
    assert re.search(r"^  NAME +The username", added, re.MULTILINE)
    assert re.search(r"^  --role ROLE +A role to grant", added, re.MULTILINE)
    assert re.search(r"^  --password-stdin +Read the password", added, re.MULTILINE)
    served = run("serve", "--help")
    assert "[default: 127.0.0.1," in served and "JWTGATE_HOST]" in served  # not eaten as markup
    assert re.search(r"^  --port PORT +Port \[default: 8000, JWTGATE_PORT\]", served, re.MULTILINE)


def test_help_lists_every_command() -> None:
    output = run("--help")
    for name in ("serve", "users", "keys", "clients", "token", "db"):
        assert name in output


def test_db_upgrade_is_idempotent(env: dict[str, str]) -> None:
    assert "is at revision" in run("db", "upgrade")
    assert "is at revision" in run("db", "upgrade")


def test_users_add_list_disable_set_password(env: dict[str, str]) -> None:
    output = run(
        "users",
        "add",
        "alice",
        "--role",
        "admin",
        "--role",
        "ops",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert "Created user alice (admin, ops)" in output
    assert PASSWORD not in output
    listed = run("users", "list")
    assert re.search(r"alice\s+admin,ops\s+active", listed)
    assert can_login("alice", PASSWORD)

    changed = run("users", "set-password", "alice", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert "revoked" in changed
    assert not can_login("alice", PASSWORD) and can_login("alice", NEW_PASSWORD)

    run("users", "disable", "ALICE")
    assert re.search(r"alice\s+admin,ops\s+disabled", run("users", "list"))
    assert not can_login("alice", NEW_PASSWORD)


def test_users_add_prompts_twice_without_echo(env: dict[str, str]) -> None:
    """At a real terminal (a pty): asked twice, nothing echoed; a mismatch asks again."""
    screen = at_terminal(["users", "add", "bob"], [PASSWORD, PASSWORD])
    assert "Created user bob (no roles)" in screen
    assert PASSWORD not in screen and "may be echoed" not in screen
    assert can_login("bob", PASSWORD)
    mismatch = at_terminal(["users", "add", "carol"], [PASSWORD, "other", PASSWORD, PASSWORD])
    assert "do not match" in mismatch.lower() and "Created user carol" in mismatch
    assert PASSWORD not in mismatch


def test_users_add_without_a_terminal_says_to_use_password_stdin(env: dict[str, str]) -> None:
    # Was: "Warning: Password input may be echoed." then "Aborted." (getpass at EOF).
    output = run("users", "add", "bob", input="", code=1)
    assert "error: cannot ask for the password: stdin is not a terminal" in output
    assert "| jwtgate users add bob --password-stdin" in output
    assert "echoed" not in output and "Aborted" not in output
    run("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n")
    again = run("users", "set-password", "alice", input="", code=1)
    assert "jwtgate users set-password alice --password-stdin" in again


def at_terminal(args: list[str], lines: list[str]) -> str:
    """Run the installed command with a pty as its terminal, typing ``lines`` as it asks."""
    import os
    import pty
    import select
    import time

    script = Path(sys.executable).with_name("jwtgate")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(script), *args], stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    # A line is typed once a prompt ends in ": " after the last one typed: click writes
    # "Password:" and getpass, having switched echo off, the final " ". Whatever appears on
    # screen after that was echoed.
    screen, typed, mark, deadline = b"", 0, 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
            if typed < len(lines) and screen[mark:].endswith(b": "):
                os.write(leader, lines[typed].encode() + b"\n")
                typed, mark = typed + 1, len(screen)
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(leader)
    return screen.decode(errors="replace")


def test_users_errors_say_what_to_do(env: dict[str, str]) -> None:
    run("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n")
    taken = run("users", "add", "Alice", "--password-stdin", input=PASSWORD + "\n", code=1)
    assert "taken" in taken and "jwtgate users list" in taken
    weak = run("users", "add", "dave", "--password-stdin", input="short\n", code=1)
    assert "error:" in weak and "password" in weak.lower()
    empty = run("users", "add", "erin", "--password-stdin", input="", code=1)
    assert "no password on stdin" in empty
    bad_role = run(
        "users",
        "add",
        "frank",
        "--role",
        "no spaces",
        "--password-stdin",
        input=PASSWORD + "\n",
        code=1,
    )
    assert "role" in bad_role
    unknown = run("users", "disable", "nobody", code=1)
    assert "no such user" in unknown and "jwtgate users list" in unknown
    run("users", "set-password", "nobody", "--password-stdin", input=PASSWORD + "\n", code=1)


def test_users_list_on_an_empty_database(env: dict[str, str]) -> None:
    assert "No users yet" in run("users", "list")


def test_keys_list_and_rotate(env: dict[str, str]) -> None:
    first = run("keys", "list")
    assert re.search(r"\sES256\s+access\s+active\s", first)
    assert re.search(r"\sRS256\s+id_token\s+active\s", first)
    rotated = run("keys", "rotate", "--alg", "EdDSA")
    kid = re.search(r"New signing key (\S+) \(EdDSA\) is active\.", rotated)
    assert kid
    listed = run("keys", "list")
    assert re.search(rf"{re.escape(kid.group(1))}\s+EdDSA\s+access\s+active", listed)
    assert re.search(r"ES256\s+access\s+retired", listed)
    rotated = run("keys", "rotate", "--use", "id_token")
    assert re.search(r"New signing key \S+ \(RS256\) is active for ID tokens", rotated)
    assert re.search(r"RS256\s+id_token\s+retired", run("keys", "list"))
    bad = run("keys", "rotate", "--alg", "none", code=1)
    assert "unsupported signing algorithm" in bad


def test_clients_add_prints_the_secret_once(env: dict[str, str]) -> None:
    output = run("clients", "add", "billing", "--scope", "invoices:read")
    client_id = re.search(r"client_id:\s+(\S+)", output)
    secret = re.search(r"client_secret:\s+(\S+)", output)
    assert client_id and secret
    with service() as auth:
        client = auth.authenticate_client(client_id.group(1), secret.group(1))
        assert client.scopes == ("invoices:read",)
    run("clients", "add", "", code=1)


def test_clients_public_app_and_lifecycle(env: dict[str, str]) -> None:
    output = run(
        "clients",
        "add",
        "spa",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--scope",
        "openid",
        "--audience",
        "https://api.example",
        "--first-party",
    )
    assert "client_secret" not in output
    match = re.search(r"client_id:\s+(\S+)", output)
    assert match and "public" in output and "authorization_code" in output
    spa = match.group(1)
    listed = run("clients", "list")
    assert spa in listed and "http://127.0.0.1/cb" in listed and "enabled" in listed
    with service() as auth:
        client = auth.get_client(spa)
        assert client.first_party and client.audiences == ("https://api.example",)
        assert client.token_endpoint_auth_method == "none"
    assert "disabled" in run("clients", "disable", spa)
    assert "disabled" in run("clients", "list")
    run("clients", "enable", spa)
    # A public client has no secret to rotate; a bad redirect URI is refused with the reason.
    assert "no secret" in run("clients", "rotate-secret", spa, code=1)
    bad = run("clients", "add", "x", "--redirect-uri", "http://evil.example/cb", code=1)
    assert "loopback" in bad
    service_out = run("clients", "add", "svc")
    svc = re.search(r"client_id:\s+(\S+)", service_out)
    old = re.search(r"client_secret:\s+(\S+)", service_out)
    assert svc and old
    rotated = re.search(r"client_secret:\s+(\S+)", run("clients", "rotate-secret", svc.group(1)))
    assert rotated and rotated.group(1) != old.group(1)
    with service() as auth:
        auth.authenticate_client(svc.group(1), rotated.group(1))
        with pytest.raises(InvalidClient):
            auth.authenticate_client(svc.group(1), old.group(1))
    run("clients", "delete", svc.group(1))
    assert svc.group(1) not in run("clients", "list")
    assert "no such client" in run("clients", "delete", svc.group(1), code=1)


def test_token_inspect(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    run("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n")
    with service() as auth:
        token = auth.login("alice", PASSWORD).access_token
    valid = run("token", "inspect", token)
    assert "VALID: Valid" in valid
    assert '"preferred_username": "alice"' in valid and '"typ": "at+jwt"' in valid
    assert re.search(r"exp\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 1[45] min\)", valid)
    assert "[pass] Signature" in valid
    assert "VALID" in run("token", "inspect", "-", input=token + "\n")

    header, claims, signature = token.split(".")
    tampered = run("token", "inspect", f"{header}.{claims}.{signature[::-1]}", code=1)
    assert "INVALID" in tampered and "[fail] Signature" in tampered
    assert "INVALID: Not a JWT" in run("token", "inspect", "garbage", code=1)
    monkeypatch.setenv("JWTGATE_AUDIENCE", "other")
    other = run("token", "inspect", token, code=1)
    assert "[fail] Audience" in other


def test_unusable_settings_exit_2(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWTGATE_ACCESS_TTL", "soon")
    output = run("users", "list", code=2)
    assert "JWTGATE_ACCESS_TTL" in output and "docs/configuration.md" in output


def test_commands_refuse_to_create_a_database(
    bare_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`cd /tmp && jwtgate users list` used to create an empty ./jwtgate.db and say "No users
    yet"; only serve and db upgrade create a database."""
    monkeypatch.delenv("JWTGATE_DATABASE_URL")  # the default: ./jwtgate.db
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for command in (
        ["users", "list"],
        ["users", "disable", "bob"],
        ["keys", "list"],
        ["keys", "rotate"],
        ["clients", "add", "svc"],
        ["token", "inspect", "abc"],
        ["db", "prune"],
    ):
        output = run(*command, code=1)
        assert output.startswith(
            f"error: no database at {elsewhere / 'jwtgate.db'}: start `jwtgate serve` first, "
            "or set JWTGATE_DATABASE_URL"
        ), command
    added = run("users", "add", "bob", input="", code=1)  # said before asking for a password
    assert "no database at" in added and "password" not in added
    assert list(elsewhere.iterdir()) == []
    assert f"{elsewhere / 'jwtgate.db'} is at revision" in run("db", "upgrade")
    assert "No users yet" in run("users", "list")


def test_every_command_names_its_database(env: dict[str, str], tmp_path: Path) -> None:
    where = f"jwtgate: database {tmp_path / 'jwtgate.db'}"
    run("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n")
    for command in (["users", "list"], ["keys", "list"], ["db", "prune"]):
        assert where in run(*command), command
    assert where in run("token", "inspect", "abc", code=1)


def test_database_url_mistakes_say_what_to_write(
    bare_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = {
        # Was: "JWTGATE_DATABASE_URL is not a database URL" / "Example: sqlite:///./jwtgate.db".
        "postgres://u:hunter2@db.example/x": "postgres:// is not a database URL jwtgate can "
        "use: write postgresql+psycopg://u:***@db.example/x",
        # Was: a 60-line traceback (No module named 'MySQLdb').
        "mysql://u:hunter2@db.example/x": "mysql is not supported: jwtgate stores its data in "
        "SQLite (one machine) or PostgreSQL (several)",
        "not a url": "this is not a database URL; examples: sqlite:///./jwtgate.db",
    }
    for url, says in cases.items():
        monkeypatch.setenv("JWTGATE_DATABASE_URL", url)
        for command in (["users", "list"], ["db", "upgrade"], ["serve"]):
            output = run(*command, code=2)
            assert output.startswith(f"error: JWTGATE_DATABASE_URL: {says}"), output
            assert "hunter2" not in output and "Traceback" not in output


def test_a_sqlite_directory_that_does_not_exist_is_not_created(
    bare_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    """Was: sqlite:////nonexistent/dir/x.db silently created the directories."""
    missing = tmp_path / "nonexistent" / "dir"
    monkeypatch.setenv("JWTGATE_DATABASE_URL", f"sqlite:///{missing / 'x.db'}")
    for command in (["serve"], ["db", "upgrade"]):
        output = run(*command, code=2)
        assert f"the directory {missing} of the SQLite database does not exist" in output
    assert f"the directory {missing} of the SQLite" in run("users", "list", code=2)
    assert not (tmp_path / "nonexistent").exists() and uvicorn_calls == []


def test_a_refused_postgresql_connection_gives_the_drivers_reason(
    bare_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: "cannot use ...: OperationalError", then "... and run `jwtgate db upgrade`"."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("JWTGATE_DATABASE_URL", f"postgresql+psycopg://u:hunter2@127.0.0.1:{port}/x")
    for command in (["users", "list"], ["db", "upgrade"]):
        output = run(*command, code=1)
        assert f"error: cannot use the database postgresql+psycopg://u:***@127.0.0.1:{port}/x" in (
            output
        )
        assert "Connection refused" in output and "is the server running" in output.lower()
        assert "hunter2" not in output and "db upgrade" not in output


@pytest.mark.postgres
def test_an_empty_postgresql_database_is_not_filled_by_other_commands(
    bare_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.store.dbkit import fresh_database

    with fresh_database("postgresql", tmp_path) as url:
        monkeypatch.setenv("JWTGATE_DATABASE_URL", url)
        output = run("users", "list", code=1)
        assert "holds no jwtgate tables: start `jwtgate serve` first" in output
        assert "is at revision" in run("db", "upgrade")
        assert "No users yet" in run("users", "list")


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Replace uvicorn.run: record what serve would have served."""
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    # The ports these tests name are never listened on; the check has its own test.
    monkeypatch.setattr("jwtgate.cli.check_listen", lambda host, port: None)
    monkeypatch.setattr("jwtgate.server.logging.configure_logging", lambda *a, **k: None)
    return calls


def test_serve_bootstraps_the_admin_once(
    env: dict[str, str], uvicorn_calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    first = run("serve", "--port", "8123")
    password = re.search(r"shown only this once: (\S+)", first)
    assert password, first
    assert "curl -s -X POST http://127.0.0.1:8123/auth/login" in first
    assert password.group(1) in first.split("Log in and call a protected endpoint")[1]
    assert 'curl -s http://127.0.0.1:8123/auth/me -H "authorization: Bearer $ACCESS"' in first
    assert can_login("admin", password.group(1))
    target, options = uvicorn_calls[0]
    assert hasattr(target, "router") and options["port"] == 8123
    assert options["host"] == "127.0.0.1"

    second = run("serve", "--port", "8123")
    assert "shown only this once" not in second and password.group(1) not in second
    assert "<admin password>" in second


def test_serve_takes_the_admin_password_from_the_environment(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    monkeypatch.setenv("JWTGATE_ADMIN_PASSWORD", NEW_PASSWORD)
    output = run("serve")
    assert "Created the user 'admin'" in output and NEW_PASSWORD not in output
    assert can_login("admin", NEW_PASSWORD)
    monkeypatch.setenv("JWTGATE_ADMIN_PASSWORD", "x")
    monkeypatch.setenv("JWTGATE_DATABASE_URL", env["JWTGATE_DATABASE_URL"] + "2")
    weak = run("serve", code=1)
    assert "error:" in weak


def test_serve_with_workers_uses_the_app_factory(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    import os

    monkeypatch.setenv("JWTGATE_HOST", "127.0.0.1")
    monkeypatch.setenv("JWTGATE_PORT", "8000")  # serve sets both: restored afterwards
    run("serve", "--workers", "3", "--host", "0.0.0.0", "--port", "9001")
    target, options = uvicorn_calls[0]
    assert target == "jwtgate.server.app:app_from_env"
    assert options["factory"] is True and options["workers"] == 3
    assert os.environ["JWTGATE_HOST"] == "0.0.0.0" and os.environ["JWTGATE_PORT"] == "9001"
    run("serve", "--workers", "0", code=2)
    run("serve", "--port", "70000", code=2)


def test_serve_on_a_busy_port_says_so_before_anything_else(
    bare_env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        output = run("serve", "--port", str(port), code=1)
    assert f"error: port {port} on 127.0.0.1 is already in use" in output
    assert "--port" in output and "Log in" not in output
    assert not (tmp_path / "jwtgate.db").exists()  # no admin created, no password shown


def test_serve_on_an_address_of_another_machine_says_what_to_use(env: dict[str, str]) -> None:
    output = run("serve", "--host", "192.0.2.1", "--port", "8000", code=1)
    assert "cannot listen on 192.0.2.1:8000" in output and "--host" in output


def test_the_installed_command_runs(env: dict[str, str], tmp_path: Path) -> None:
    """One real subprocess: the console script, stdin, exit codes."""
    script = Path(sys.executable).with_name("jwtgate")
    added = subprocess.run(
        [str(script), "users", "add", "zoe", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    listed = subprocess.run(
        [str(script), "users", "list"], capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0 and "zoe" in listed.stdout
    failed = subprocess.run(
        [str(script), "users", "disable", "nobody"], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1 and "no such user" in failed.stderr


def test_serve_says_where_mail_goes_and_never_the_smtp_password(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    assert "goes to the server log" in run("serve")
    monkeypatch.setenv("JWTGATE_SMTP_URL", "smtp+starttls://mailer:hunter2@mail.example:2525")
    monkeypatch.setenv("JWTGATE_PUBLIC_URL", "https://login.example")
    output = run("serve")
    assert "smtp+starttls://mail.example:2525" in output and "https://login.example" in output
    assert "hunter2" not in output and "server log" not in output
    monkeypatch.setenv("JWTGATE_SMTP_URL", "http://mailer:hunter2@mail.example")
    bad = run("serve", code=2)  # unusable settings
    assert "JWTGATE_SMTP_URL" in bad and "hunter2" not in bad


def test_serve_warns_when_tokens_are_signed_with_an_rfc_9864_name(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    monkeypatch.setenv("JWTGATE_ALGORITHM", "EdDSA")
    assert "warning" not in run("serve")
    monkeypatch.setenv("JWTGATE_ALGORITHM", "Ed25519")
    output = run("serve")  # the EdDSA key still signs; new keys would be Ed25519
    assert "warning: Ed25519 (the RFC 9864 name) is unknown to most verifiers" in output
    assert "set JWTGATE_ALGORITHM=EdDSA" in output and "docs/resource-servers.md" in output
    monkeypatch.setenv("JWTGATE_ALGORITHM", "EdDSA")
    run("keys", "rotate", "--alg", "Ed448")
    assert "warning: Ed448 (the RFC 9864 name)" in run("serve")
    assert len(uvicorn_calls) == 3


def test_the_lines_serve_prints_log_in_and_call_a_protected_endpoint(tmp_path: Path) -> None:
    """A real `jwtgate serve` with a generated admin password: its two lines, pasted in bash."""
    import os
    import time

    import httpx

    from tests.server.live import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWTGATE_")}
    env.update(JWTGATE_ARGON2_TIME_COST="1", JWTGATE_ARGON2_MEMORY_COST="8")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("jwtgate")), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=env,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        printed = log.read_text().split("(paste both lines in a shell):\n", 1)[1]
        lines = [line.strip() for line in printed.splitlines()[:2]]
        assert lines[0].startswith("ACCESS=$(curl") and lines[1].startswith("curl")
        pasted = subprocess.run(
            ["bash", "-c", "\n".join(lines)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert pasted.returncode == 0, pasted.stderr
        me = json.loads(pasted.stdout)
        assert me["username"] == "admin" and me["roles"] == ["admin"]
        wrong = "\n".join(lines).replace(re.search(r'"password":"([^"]+)"', lines[0]).group(1), "x")
        failed = subprocess.run(["bash", "-c", wrong], capture_output=True, text=True, timeout=30)
        # A wrong password: the first line stops with the server's reason, not a traceback.
        assert failed.stderr.startswith("invalid username or password"), failed.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_listens_where_jwtgate_port_and_host_say(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    monkeypatch.setenv("JWTGATE_PORT", "9123")
    monkeypatch.setenv("JWTGATE_HOST", "0.0.0.0")
    output = run("serve")
    assert uvicorn_calls[0][1]["port"] == 9123 and uvicorn_calls[0][1]["host"] == "0.0.0.0"
    assert "curl -s http://127.0.0.1:9123/auth/me" in output  # a wildcard becomes loopback
    run("serve", "--port", "9124")
    assert uvicorn_calls[1][1]["port"] == 9124  # the option wins over the environment


def test_token_inspect_of_a_deeply_nested_token_explains_it(env: dict[str, str]) -> None:
    """A header nested past orjson's limit is refused by `token inspect`, not a traceback."""
    header = base64.urlsafe_b64encode(b'{"alg":"ES256","x":' + b"[" * 300 + b"]" * 300 + b"}")
    token = header.rstrip(b"=").decode() + ".e30.AAAA"
    output = run("token", "inspect", token, code=1)
    assert "INVALID" in output and "nested too deeply" in output
    assert "Traceback" not in output


def test_clients_add_an_openid_connect_app(env: dict[str, str]) -> None:
    output = run(
        "clients",
        "add",
        "wiki",
        "--redirect-uri",
        "https://wiki.example/cb",
        "--scope",
        "openid",
        "--post-logout-redirect-uri",
        "https://wiki.example/bye",
        "--backchannel-logout-uri",
        "https://wiki.example/backchannel",
        "--id-token-alg",
        "ES256",
    )
    match = re.search(r"client_id:\s+(\S+)", output)
    assert match
    with service() as auth:
        client = auth.get_client(match.group(1))
        assert client.post_logout_redirect_uris == ("https://wiki.example/bye",)
        assert client.backchannel_logout_uri == "https://wiki.example/backchannel"
        assert client.id_token_signed_response_alg == "ES256"
    bad = run("clients", "add", "x", "--redirect-uri", "https://x.example/cb",
              "--id-token-alg", "HS256", code=1)  # fmt: skip
    assert "id_token_signed_response_alg" in bad
