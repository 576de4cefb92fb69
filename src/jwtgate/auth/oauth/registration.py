"""Client metadata rules: redirect URIs, audiences, grant types, authentication methods.

Redirect URIs (RFC 6749 3.1.2, RFC 8252 7, RFC 9700 4.1): absolute ``https`` URIs, loopback
``http`` URIs (``127.0.0.1``, ``[::1]`` or ``localhost``; any port at use, RFC 8252 7.3), or a
private-use scheme with a dot (``com.example.app:/cb``, RFC 8252 7.1). Never a fragment, a
wildcard, user information or a dangerous scheme. A presented URI matches a registered one
only as the exact same string, except that a loopback ``http`` URI may name another port: no
case folding, no percent-decoding, no added path, so nothing an attacker writes differently
can pass for a registered URI.

Audiences (RFC 8707): an absolute URI without fragment, or a name (a letter, then letters,
digits or ``. _ : -``), compared exactly as registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from ...jose.algorithms import ALGORITHMS
from ..errors import InvalidRequest

__all__ = [
    "AUTH_METHODS",
    "GRANT_TYPES",
    "ID_TOKEN_ALGORITHMS",
    "check_audiences",
    "check_auth_method",
    "check_grant_types",
    "check_redirect_uris",
    "check_uri",
    "redirect_uri_matches",
    "valid_audience",
]

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", "password")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
ID_TOKEN_ALGORITHMS = tuple(name for name, alg in ALGORITHMS.items() if alg.family != "HMAC")
MAX_URI = 2048
MAX_URIS = 32
MAX_AUDIENCES = 32
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._:-]{0,255}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_LOOPBACK = frozenset({"127.0.0.1", "[::1]", "localhost"})
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob"})
_PORT = re.compile(r":[0-9]{1,5}$")


def _clean(uri: object, what: str) -> str:
    if not isinstance(uri, str) or not 0 < len(uri) <= MAX_URI:
        raise InvalidRequest(f"{what}: a URI of 1 to {MAX_URI} characters")
    if any(c.isspace() or ord(c) < 0x21 or ord(c) == 0x7F for c in uri):
        raise InvalidRequest(f"{what}: no spaces or control characters")
    return uri


def _is_loopback_http(uri: str) -> bool:
    parts = urlsplit(uri)
    host = _PORT.sub("", parts.netloc)
    return parts.scheme == "http" and host in _LOOPBACK


def check_uri(uri: object, what: str, *, native: bool = True) -> str:
    """A redirect-style URI as the module docstring says (``native``: private-use schemes
    allowed). Raises InvalidRequest saying what is wrong."""
    text = _clean(uri, what)
    if "*" in text:
        raise InvalidRequest(f"{what}: wildcards are not allowed (exact URIs only)")
    if "#" in text:
        raise InvalidRequest(f"{what}: a fragment is not allowed (RFC 6749 3.1.2)")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidRequest(f"{what}: not a valid URI") from None
    scheme = parts.scheme
    if not scheme or not _SCHEME.fullmatch(scheme) or text[: len(scheme)] != scheme:
        raise InvalidRequest(f"{what}: an absolute URI with a lower-case scheme is needed")
    if "@" in parts.netloc:
        raise InvalidRequest(f"{what}: user information (user@host) is not allowed")
    if scheme == "https":
        if not parts.hostname or not text.startswith("https://"):
            raise InvalidRequest(f"{what}: an https URI needs a host")
        return text
    if scheme == "http":
        if not _is_loopback_http(text):
            raise InvalidRequest(
                f"{what}: http is allowed only for loopback (127.0.0.1, [::1], localhost); "
                "use https"
            )
        return text
    if scheme in _FORBIDDEN_SCHEMES:
        raise InvalidRequest(f"{what}: the {scheme} scheme is not allowed")
    if not native or "." not in scheme:
        raise InvalidRequest(
            f"{what}: use https, loopback http, or a private-use scheme in reverse domain "
            "form such as com.example.app:/callback (RFC 8252 7.1)"
        )
    return text


def check_redirect_uris(uris: Iterable[object], what: str = "redirect_uri") -> tuple[str, ...]:
    """Validated, de-duplicated URIs. Raises InvalidRequest."""
    out: list[str] = []
    for uri in uris:
        text = check_uri(uri, what)
        if text not in out:
            out.append(text)
    if len(out) > MAX_URIS:
        raise InvalidRequest(f"at most {MAX_URIS} of {what}")
    return tuple(out)


def _without_port(uri: str) -> str:
    parts = urlsplit(uri)
    return uri.replace("//" + parts.netloc, "//" + _PORT.sub("", parts.netloc), 1)


def redirect_uri_matches(presented: str, registered: Sequence[str]) -> bool:
    """True when ``presented`` is exactly one of ``registered`` (a loopback http URI on any
    port, RFC 8252 7.3)."""
    if presented in registered:
        return True
    if not _is_loopback_http(presented) or "@" in presented or "#" in presented:
        return False
    bare = _without_port(presented)
    return any(_is_loopback_http(r) and _without_port(r) == bare for r in registered)


def valid_audience(value: object) -> bool:
    """True for an absolute URI without fragment or a name (RFC 8707 2)."""
    if not isinstance(value, str) or not 0 < len(value) <= 512:
        return False
    if any(c.isspace() or ord(c) < 0x21 or ord(c) == 0x7F for c in value) or "#" in value:
        return False
    if _NAME.fullmatch(value):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return (
        bool(parts.scheme)
        and _SCHEME.fullmatch(parts.scheme) is not None
        and bool(parts.netloc or parts.path)
    )


def check_audiences(values: Iterable[object]) -> tuple[str, ...]:
    """Validated, de-duplicated audiences, in order. Raises InvalidRequest."""
    out: list[str] = []
    for value in values:
        if not valid_audience(value):
            raise InvalidRequest(
                "an audience is an absolute URI without fragment, or a name: a letter, then "
                "letters, digits or . _ : -"
            )
        if str(value) not in out:
            out.append(str(value))
    if len(out) > MAX_AUDIENCES:
        raise InvalidRequest(f"at most {MAX_AUDIENCES} audiences")
    return tuple(out)


def check_grant_types(
    grants: Iterable[object], *, public: bool, redirect_uris: Sequence[str]
) -> tuple[str, ...]:
    """Validated grant types for a client. Raises InvalidRequest."""
    out: list[str] = []
    for grant in grants:
        if grant not in GRANT_TYPES:
            raise InvalidRequest(f"a grant type is one of {', '.join(GRANT_TYPES)}")
        if str(grant) not in out:
            out.append(str(grant))
    if public and "client_credentials" in out:
        raise InvalidRequest("a public client cannot use client_credentials (no secret)")
    if "authorization_code" in out and not redirect_uris:
        raise InvalidRequest("the authorization_code grant needs at least one redirect URI")
    if "refresh_token" in out and not {"authorization_code", "password"} & set(out):
        raise InvalidRequest("refresh_token needs authorization_code or password as well")
    return tuple(out)


def check_auth_method(method: object, *, public: bool) -> str:
    """The token endpoint authentication method, defaulted by client type. Raises
    InvalidRequest."""
    if method is None:
        return "none" if public else "client_secret_basic"
    if method not in AUTH_METHODS:
        raise InvalidRequest(f"token_endpoint_auth_method is one of {', '.join(AUTH_METHODS)}")
    if public != (method == "none"):
        raise InvalidRequest(
            "a public client authenticates with none; a confidential one with "
            "client_secret_basic or client_secret_post"
        )
    return str(method)
