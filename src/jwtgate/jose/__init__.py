"""The token core: JWK, JWS and JWT per RFC 7515, 7517, 7518, 7519, 7638 and 8037.

Pure: no I/O and no framework, only ``cryptography`` and ``orjson``.
"""

from .errors import (
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
    MalformedToken,
    MissingClaim,
    MissingToken,
    RevokedToken,
    UnknownKey,
    UnsupportedAlgorithm,
    UseDPoPNonce,
)
from .jwk import Key
from .jws import sign_jws, unverified_header, verify_jws
from .jwt import decode, encode
from .keyset import KeySet

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
    "Key",
    "KeySet",
    "MalformedToken",
    "MissingClaim",
    "MissingToken",
    "RevokedToken",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "UseDPoPNonce",
    "decode",
    "encode",
    "sign_jws",
    "unverified_header",
    "verify_jws",
]
