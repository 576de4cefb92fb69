"""Apache httpd with mod_auth_openidc (Debian packages ``apache2`` and
``libapache2-mod-auth-openidc``, installed by ``make oidc-deps``) in front of a static page,
configured with jwtgate's discovery URL, a client id and secret only.

The protected page is server-side-included HTML that shows the claims mod_auth_openidc puts in
its environment (``OIDC_CLAIM_*``). Apache runs in the foreground on a free 127.0.0.1 port
with everything (config, pid, logs, page) in the test's own directory. Missing Apache or the
module: the test is skipped with the reason, failed under ``CI=true``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..backends import unreachable
from .browserkit import free_port

APACHE = Path("/usr/sbin/apache2")
_MODULES = ("mpm_event", "authn_core", "authz_core", "authz_user", "include", "mime", "dir")
MODULES = Path("/usr/lib/apache2/modules")
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Protected by mod_auth_openidc</title></head>
<body>
<h1>Signed in</h1>
<p id="user"><!--#echo var="OIDC_CLAIM_preferred_username" --></p>
<p id="sub"><!--#echo var="OIDC_CLAIM_sub" --></p>
<p id="email"><!--#echo var="OIDC_CLAIM_email" --></p>
</body></html>
"""


@dataclass
class Apache:
    """A running Apache: its base URL, the redirect URI and back-channel logout URI it
    serves, and its error log."""

    url: str
    redirect_uri: str
    backchannel_logout_uri: str
    error_log: Path

    def log(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""


def require_apache() -> None:
    """Skip (fail under CI=true) unless Apache and mod_auth_openidc are installed."""
    if not APACHE.is_file() or not (MODULES / "mod_auth_openidc.so").is_file():
        unreachable(
            "Apache with mod_auth_openidc is not installed: run `make oidc-deps` "
            "(apt-get install apache2 libapache2-mod-auth-openidc)"
        )


def _config(workdir: Path, port: int, discovery: str, client_id: str, secret: str) -> str:
    base = f"http://127.0.0.1:{port}"
    user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
    modules = "\n".join(
        f"LoadModule {name}_module {MODULES}/mod_{name}.so"
        for name in (
            "mpm_event",
            "authn_core",
            "authz_core",
            "authz_user",
            "include",
            "mime",
            "dir",
        )
    )
    return f"""
ServerRoot "{workdir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{workdir}/httpd.pid"
ErrorLog "{workdir}/error.log"
LogLevel warn auth_openidc:info
{user}{modules}
LoadModule auth_openidc_module {MODULES}/mod_auth_openidc.so
DefaultRuntimeDir "{workdir}"
Mutex file:{workdir} default
DocumentRoot "{workdir}/htdocs"
DirectoryIndex index.html
TypesConfig /dev/null

OIDCProviderMetadataURL {discovery}
OIDCClientID {client_id}
OIDCClientSecret {secret}
OIDCRedirectURI {base}/protected/redirect_uri
OIDCCryptoPassphrase {secrets.token_urlsafe(24)}
OIDCScope "openid profile email"
OIDCPKCEMethod S256
OIDCSessionType server-cache
OIDCCacheType shm
OIDCCookieSameSite On
OIDCDefaultLoggedOutURL {base}/loggedout.html

<Directory "{workdir}/htdocs">
    AllowOverride None
    Require all granted
</Directory>
<Location /protected>
    AuthType openid-connect
    Require valid-user
    Options +Includes
    SetOutputFilter INCLUDES
</Location>
"""


@contextmanager
def apache(
    workdir: Path, *, discovery: str, client_id: str, client_secret: str, port: int | None = None
) -> Iterator[Apache]:
    """Start Apache with mod_auth_openidc for jwtgate's ``discovery`` URL (on ``port``, by
    default a free one); stop it after."""
    require_apache()
    # Apache's workers run as www-data, which cannot enter pytest's private (0700) temp
    # directories: a world-traversable directory of its own, removed afterwards.
    root = Path(tempfile.mkdtemp(prefix="jwtgate-apache-"))
    root.chmod(0o755)
    (root / "htdocs" / "protected").mkdir(parents=True)
    (root / "htdocs" / "protected" / "index.html").write_text(PAGE)
    (root / "htdocs" / "loggedout.html").write_text("<!DOCTYPE html><title>out</title>Signed out")
    port = port or free_port()
    conf = root / "httpd.conf"
    conf.write_text(_config(root, port, discovery, client_id, client_secret))
    if os.geteuid() == 0:
        shutil.chown(root, "www-data", "www-data")  # the shm cache and mutexes run as www-data
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(APACHE), "-f", str(conf), "-DFOREGROUND"],
        stdout=subprocess.DEVNULL,
        stderr=(root / "stderr.log").open("wb"),
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"},
    )
    server = Apache(
        url=base,
        redirect_uri=f"{base}/protected/redirect_uri",
        backchannel_logout_uri=f"{base}/protected/redirect_uri?logout=backchannel",
        error_log=root / "error.log",
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    "apache2 exited early:\n"
                    + (root / "stderr.log").read_text(errors="replace")
                    + server.log()
                )
            try:
                httpx.get(base + "/loggedout.html", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError("apache2 did not start:\n" + server.log()) from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        for log in ("error.log", "stderr.log"):  # kept for a failing test's report
            if (root / log).exists():
                shutil.copy2(root / log, workdir / f"apache-{log}")
        shutil.rmtree(root, ignore_errors=True)


def apache_urls(port: int) -> tuple[str, str]:
    """The redirect URI and back-channel logout URI Apache on ``port`` serves (to register
    the client before Apache starts)."""
    base = f"http://127.0.0.1:{port}"
    return f"{base}/protected/redirect_uri", f"{base}/protected/redirect_uri?logout=backchannel"
