"""RFC 8725 2.6 (multiplicity of JSON encodings) and 3.7 (use UTF-8): the header and the claims
are UTF-8 JSON and nothing else. UTF-16 and UTF-32 (with or without a byte order mark), a UTF-8
byte order mark, invalid or overlong UTF-8, and lone surrogates (raw or escaped, which no UTF-8
text can carry) are all MalformedToken, in the header and in the claims alike, so that two
parsers can never read one token two ways.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from jwtgate import Key, MalformedToken, decode, unverified_header

NOW = 1_700_000_000
KEY = Key.from_secret(b"k" * 32, "HS256")
HEADER = b'{"alg":"HS256"}'
CLAIMS = b'{"exp":1700000600,"sub":"a"}'


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed(header: bytes, claims: bytes) -> str:
    signing_input = b64u(header) + "." + b64u(claims)
    return signing_input + "." + b64u(KEY.sign(signing_input.encode()))


def test_the_plain_utf8_token_verifies() -> None:
    assert decode(signed(HEADER, CLAIMS), KEY, now=NOW) == {"exp": 1_700_000_600, "sub": "a"}


ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "utf-16": lambda text: text.decode().encode("utf-16"),
    "utf-16-le": lambda text: text.decode().encode("utf-16-le"),
    "utf-32": lambda text: text.decode().encode("utf-32"),
    "utf-8 bom": lambda text: b"\xef\xbb\xbf" + text,
}
BAD_STRINGS = {
    "invalid utf-8": b'"\xff"',
    "overlong utf-8": b'"\xc0\xaf"',
    "raw surrogate": b'"\xed\xa0\x80"',
    "escaped lone surrogate": b'"\\ud800"',
    "escaped lone low surrogate": b'"\\udc00x"',
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("part", ["header", "claims"])
def test_json_in_another_encoding_is_malformed(part: str, encoding: str) -> None:
    recode = ENCODINGS[encoding]
    header, claims = (recode(HEADER), CLAIMS) if part == "header" else (HEADER, recode(CLAIMS))
    with pytest.raises(MalformedToken):
        decode(signed(header, claims), KEY, now=NOW)


@pytest.mark.parametrize("string", BAD_STRINGS)
@pytest.mark.parametrize("part", ["header", "claims"])
def test_strings_no_utf8_text_can_carry_are_malformed(part: str, string: str) -> None:
    """The escaped lone surrogate in the header was accepted (stdlib json decodes it) while the
    same string in the claims was refused (orjson): a header value that could then not be
    written out as UTF-8 by whatever displayed or logged it."""
    value = BAD_STRINGS[string]
    if part == "header":
        token = signed(b'{"alg":"HS256","x":' + value + b"}", CLAIMS)
    else:
        token = signed(HEADER, b'{"exp":1700000600,"sub":' + value + b"}")
    with pytest.raises(MalformedToken):
        decode(token, KEY, now=NOW)
    if part == "header":
        with pytest.raises(MalformedToken):
            unverified_header(token)


def test_escaped_valid_characters_are_fine() -> None:
    """Escapes are JSON, not an alternative encoding: a surrogate pair and \\u00e9 decode."""
    header = b'{"alg":"HS256","x":"\\ud83d\\ude00\\u00e9"}'
    token = signed(header, CLAIMS)
    assert decode(token, KEY, now=NOW)["sub"] == "a"
    assert unverified_header(token)["x"] == "\U0001f600\u00e9"
