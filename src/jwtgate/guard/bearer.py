"""Bearer tokens over HTTP (RFC 6750), without any framework: read the ``Authorization``
header, and say what to answer when a request is turned away.

- no credentials: 401, ``WWW-Authenticate: Bearer realm="jwtgate"`` with no error code (3.1:
  the client may not have known authentication was needed);
- a bad token: 401, ``Bearer realm="jwtgate", error="invalid_token", error_description="..."``;
- a valid token without the role or scope: 403, ``... error="insufficient_scope" ...``.

The body is always JSON ``{"error", "error_description"}`` (``invalid_token`` also when the
token is missing), with ``Cache-Control: no-store``: the same answers as jwtgate's own server.
The scheme name is matched case-insensitively (RFC 7235 2.1). Integrations turn a
:class:`Denial` into their response.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..jose.errors import InvalidDPoPProof, InvalidToken, JWTGateError, MalformedToken, UseDPoPNonce
from .policy import InsufficientScope, Requirement
from .principal import Principal

if TYPE_CHECKING:
    from .core import Guard
    from .dpop import DPoPPolicy

__all__ = [
    "REALM",
    "Denial",
    "Denied",
    "aauthorize",
    "authorize",
    "bearer_token",
    "credentials",
    "deny",
]

REALM = "jwtgate"
MISSING = "authentication required: send Authorization: Bearer <access token>"
# RFC 6750 3: error_description and scope values use %x20-21 / %x23-5B / %x5D-7E only.
_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
_MAX_DESCRIPTION = 200
_SCHEMES = {"bearer": "Bearer", "dpop": "DPoP"}


def credentials(authorization: str | None) -> tuple[str, str] | None:
    """(scheme in lower case, token) of ``Authorization: Bearer <token>`` (RFC 6750 2.1) or
    ``DPoP <token>`` (RFC 9449 7.1).

    None when there is no header or another scheme (no such credentials at all);
    MalformedToken for the scheme followed by nothing, or by more than one token.
    """
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    scheme = scheme.lower()
    if scheme != "bearer" and scheme != "dpop":
        return None
    token = rest.strip()
    if not token or " " in token:
        raise MalformedToken(f"the Authorization header must be '{_SCHEMES[scheme]} <token>'")
    return scheme, token


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 2.1); None for
    none or another scheme, MalformedToken for a malformed one."""
    found = credentials(authorization)
    return found[1] if found is not None and found[0] == "bearer" else None


def _quoted(text: str) -> str:
    return _UNSAFE.sub("?", text)[:_MAX_DESCRIPTION]


@dataclass(frozen=True, slots=True)
class Denial:
    """How to turn a request away: status, ``WWW-Authenticate`` challenge and JSON body, and
    the ``DPoP-Nonce`` to use next (RFC 9449 8) when the refusal asks for one."""

    status: int
    challenge: str
    error: str
    description: str
    nonce: str | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers: ``WWW-Authenticate``, no caching, ``DPoP-Nonce``."""
        headers = {"WWW-Authenticate": self.challenge, "Cache-Control": "no-store"}
        if self.nonce is not None:
            headers["DPoP-Nonce"] = self.nonce
        return headers

    @property
    def body(self) -> dict[str, str]:
        """The JSON body ``{"error", "error_description"}``."""
        return {"error": self.error, "error_description": self.description}


class Denied(Exception):
    """A request was turned away; ``denial`` says how to answer."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.description)
        self.denial = denial


def deny(
    error: JWTGateError | None, scheme: str = "bearer", dpop: DPoPPolicy | None = None
) -> Denial:
    """The answer for ``error`` met with credentials of ``scheme``: None means no credentials
    (401 with bare challenges), an InsufficientScope 403, a DPoP proof error 401
    ``invalid_dpop_proof`` or ``use_dpop_nonce``, anything else 401 ``invalid_token``
    (RFC 6750 3.1, RFC 9449 7.1). With ``dpop`` the challenges name both schemes the Guard
    accepts (``DPoP`` with its ``algs``), the one the client used first."""
    if error is None:
        return Denial(401, _challenges(scheme, "", dpop), InvalidToken.code, MISSING)
    description = _quoted(str(error) or error.code)
    code = error.code if isinstance(error, InsufficientScope | InvalidDPoPProof) else None
    code = code or InvalidToken.code
    params = f'error="{code}", error_description="{description}"'
    if isinstance(error, InsufficientScope) and error.scopes:
        params += f', scope="{_quoted(" ".join(error.scopes))}"'
    nonce = error.nonce if isinstance(error, UseDPoPNonce) else None
    status = 403 if isinstance(error, InsufficientScope) else 401
    if isinstance(error, InvalidDPoPProof):
        scheme = "dpop"
    return Denial(status, _challenges(scheme, params, dpop), code, description, nonce)


def _challenges(scheme: str, params: str, dpop: DPoPPolicy | None) -> str:
    realm = f'realm="{REALM}"'
    if dpop is None:
        return f"Bearer {realm}, {params}" if params else f"Bearer {realm}"
    used = params if scheme == "dpop" else ""
    dpop_challenge = f'DPoP {realm}, {used + ", " if used else ""}algs="{dpop.algs}"'
    if dpop.required:
        return dpop_challenge
    bearer = f"Bearer {realm}, {params}" if params and scheme == "bearer" else f"Bearer {realm}"
    if scheme == "dpop":
        return f"{dpop_challenge}, {bearer}"
    return f"{bearer}, {dpop_challenge}"


def authorize(
    guard: Guard,
    requirement: Requirement,
    authorization: str | None,
    *,
    method: str = "GET",
    url: Callable[[], str] = lambda: "",
    proofs: Sequence[str] = (),
) -> Principal:
    """Verify the request's token (Bearer, or DPoP with its proof: ``method``, ``url``, the
    ``DPoP`` header values ``proofs``) and apply ``requirement``. Raises Denied."""
    scheme = "bearer"
    try:
        found = credentials(authorization)
        if found is None:
            raise Denied(deny(None, scheme, guard.dpop))
        scheme, token = found
        principal = guard.verify_token(token)
        principal = guard.dpop.check(scheme, token, principal, proofs, method, url)
        requirement.check(principal)
    except (InvalidToken, InsufficientScope) as exc:
        raise Denied(deny(exc, scheme, guard.dpop)) from None
    return principal


async def aauthorize(
    guard: Guard,
    requirement: Requirement,
    authorization: str | None,
    *,
    method: str = "GET",
    url: Callable[[], str] = lambda: "",
    proofs: Sequence[str] = (),
) -> Principal:
    """The async twin of :func:`authorize`."""
    scheme = "bearer"
    try:
        found = credentials(authorization)
        if found is None:
            raise Denied(deny(None, scheme, guard.dpop))
        scheme, token = found
        principal = await guard.averify_token(token)
        principal = guard.dpop.check(scheme, token, principal, proofs, method, url)
        requirement.check(principal)
    except (InvalidToken, InsufficientScope) as exc:
        raise Denied(deny(exc, scheme, guard.dpop)) from None
    return principal
