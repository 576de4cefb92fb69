"""The error tree of jwtgate.

::

    JWTGateError
     └── InvalidToken                 invalid_token (RFC 6750 3.1)
          ├── MalformedToken          not a compact JWS, bad base64url, bad JSON, too large
          │    └── InvalidHeader      header of the wrong shape, ``crit`` not understood
          ├── UnsupportedAlgorithm    ``none``, unknown, or not allowed for this key / call
          ├── UnknownKey              no key with this ``kid`` (or this ``alg``)
          ├── InvalidSignature        the signature does not verify
          ├── ExpiredToken            ``exp`` has passed (RFC 7519 4.1.4)
          ├── ImmatureToken           ``nbf`` not reached or ``iat`` in the future
          ├── InvalidIssuer           ``iss`` is not the expected issuer
          ├── InvalidAudience         ``aud`` does not name this audience
          ├── MissingClaim            a required claim is absent
          ├── InvalidClaim            a claim has the wrong type or value
          │    └── InvalidTokenType   the ``typ`` header is not the expected one
          ├── RevokedToken            signed and valid, but revoked since
          ├── MissingToken            no token at all (RFC 6750 3: a bare challenge)
          └── InvalidDPoPProof        invalid_dpop_proof: the DPoP proof fails (RFC 9449 4.3)
               └── UseDPoPNonce       use_dpop_nonce: send a proof with the server's nonce (8)

Every class carries ``code``, the RFC 6750 error code a server answers with.
"""

from __future__ import annotations

__all__ = [
    "ExpiredToken",
    "ImmatureToken",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidDPoPProof",
    "InvalidHeader",
    "InvalidIssuer",
    "InvalidSignature",
    "InvalidToken",
    "InvalidTokenType",
    "JWTGateError",
    "MalformedToken",
    "MissingClaim",
    "MissingToken",
    "RevokedToken",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "UseDPoPNonce",
]


class JWTGateError(Exception):
    """Root of every error jwtgate raises on purpose."""

    code: str = "server_error"


class InvalidToken(JWTGateError):
    """A token was rejected. Its message says why, and never contains the token."""

    code = "invalid_token"


class MalformedToken(InvalidToken):
    """The token is not a well-formed compact JWS (RFC 7515 7.1)."""


class InvalidHeader(MalformedToken):
    """The JOSE header has the wrong shape or a ``crit`` member we do not understand."""


class UnsupportedAlgorithm(InvalidToken):
    """The ``alg`` is unknown, ``none``, or not the algorithm the key is bound to."""


class UnknownKey(InvalidToken):
    """No key in the key set matches the token's ``kid`` and ``alg``."""


class InvalidSignature(InvalidToken):
    """The signature does not verify with the selected key."""


class ExpiredToken(InvalidToken):
    """The ``exp`` claim is in the past (RFC 7519 4.1.4)."""


class ImmatureToken(InvalidToken):
    """The ``nbf`` claim is in the future, or ``iat`` is (RFC 7519 4.1.5, 4.1.6)."""


class InvalidIssuer(InvalidToken):
    """The ``iss`` claim is not the expected issuer (RFC 7519 4.1.1)."""


class InvalidAudience(InvalidToken):
    """The ``aud`` claim does not name the expected audience (RFC 7519 4.1.3)."""


class MissingClaim(InvalidToken):
    """A required claim is absent."""

    def __init__(self, claim: str) -> None:
        super().__init__(f"the token has no {claim!r} claim, which is required")
        self.claim = claim


class InvalidClaim(InvalidToken):
    """A claim has the wrong type or value."""


class InvalidTokenType(InvalidClaim):
    """The ``typ`` header is not the expected token type (RFC 8725 3.11)."""


class RevokedToken(InvalidToken):
    """The token was valid but has been revoked (logout, reuse detection, admin action)."""


class MissingToken(InvalidToken):
    """The request carries no bearer token at all (RFC 6750 3: a bare challenge, no code)."""

    def __init__(
        self, message: str = "authentication required: send Authorization: Bearer <access token>"
    ) -> None:
        super().__init__(message)


class InvalidDPoPProof(InvalidToken):
    """The DPoP proof is missing, malformed, or fails a check of RFC 9449 4.3 / 7.1."""

    code = "invalid_dpop_proof"


class UseDPoPNonce(InvalidDPoPProof):
    """The proof lacks the server's current nonce (RFC 9449 8, 9): retry with ``nonce``, the
    value the server sends in ``DPoP-Nonce``."""

    code = "use_dpop_nonce"

    def __init__(self, message: str, *, nonce: str) -> None:
        super().__init__(message)
        self.nonce = nonce
