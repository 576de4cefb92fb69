"""jwtgate: JWT authentication for Python APIs.

The token core (``Key``, ``KeySet``, ``encode``, ``decode``, ``verify_jws`` and the
``InvalidToken`` tree) is importable from here without pulling in any web framework or
database driver.
"""

from .guard import Guard, Principal
from .jose import (
    ExpiredToken,
    ImmatureToken,
    InvalidAudience,
    InvalidClaim,
    InvalidDPoPProof,
    InvalidHeader,
    InvalidIssuer,
    InvalidSignature,
    InvalidToken,
    InvalidTokenType,
    JWTGateError,
    Key,
    KeySet,
    MalformedToken,
    MissingClaim,
    MissingToken,
    RevokedToken,
    UnknownKey,
    UnsupportedAlgorithm,
    UseDPoPNonce,
    decode,
    encode,
    sign_jws,
    unverified_header,
    verify_jws,
)

__version__ = "0.1.0"

__all__ = [
    "ExpiredToken",
    "Guard",
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
    "Key",
    "KeySet",
    "MalformedToken",
    "MissingClaim",
    "MissingToken",
    "Principal",
    "RevokedToken",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "UseDPoPNonce",
    "__version__",
    "decode",
    "encode",
    "sign_jws",
    "unverified_header",
    "verify_jws",
]
