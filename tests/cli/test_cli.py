"""The jwtgate command through Typer's CliRunner, and once as a real subprocess."""

from __future__ import annotations

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
    output = run("users", "add", "bob", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "Created user bob (no roles)" in output
    assert PASSWORD not in output
    assert can_login("bob", PASSWORD)
    mismatch = runner.invoke(app, ["users", "add", "carol"], input=f"{PASSWORD}\nother\n")
    assert mismatch.exit_code != 0
    assert "do not match" in mismatch.output.lower() or "match" in mismatch.output.lower()


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


def test_an_unusable_database_exits_1_with_a_hint(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("JWTGATE_DATABASE_URL", f"sqlite:///{blocker}/sub/x.db")
    output = run("users", "list", code=1)
    assert "JWTGATE_DATABASE_URL" in output
    monkeypatch.setenv("JWTGATE_DATABASE_URL", "postgresql+psycopg://u:hunter2@127.0.0.1:1/x")
    output = run("db", "upgrade", code=1)
    assert "hunter2" not in output and "JWTGATE_DATABASE_URL" in output
    monkeypatch.setenv("JWTGATE_DATABASE_URL", "not a url")
    assert "not a database URL" in run("db", "upgrade", code=1)


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
    assert password.group(1) in first.split("Log in:")[1]
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
    run("serve", "--workers", "3", "--host", "0.0.0.0", "--port", "9001")
    target, options = uvicorn_calls[0]
    assert target == "jwtgate.server.app:app_from_env"
    assert options["factory"] is True and options["workers"] == 3
    assert os.environ["JWTGATE_HOST"] == "0.0.0.0" and os.environ["JWTGATE_PORT"] == "9001"
    run("serve", "--workers", "0", code=2)
    run("serve", "--port", "70000", code=2)


def test_serve_on_a_busy_port_says_so_before_anything_else(
    env: dict[str, str], tmp_path: Path
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
