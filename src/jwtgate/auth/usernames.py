"""Which names may become usernames (at registration and when an admin creates a user).

A username is 1 to 64 characters, valid as typed under RFC 8265's UsernameCaseMapped PRECIS
profile (no spaces, no compatibility characters such as the Kelvin sign or fullwidth forms,
no controls), made of letters, combining marks, digits and ``. _ @ + -``, and starting with a
letter or a digit. Two further rules keep one account from impersonating another (UTS #39,
"Unicode Security Mechanisms"):

- **one script** ("highly restrictive", UTS #39 5.2): all letters from one script, or the
  combinations written together in Japanese (Han, Hiragana, Katakana), Chinese (Han,
  Bopomofo) and Korean (Han, Hangul), each with Latin. ``pаypal`` with a Cyrillic ``а`` is
  refused.
- **no whole-script confusable**: a name in Cyrillic or Greek written only with letters that
  look like Latin ones (``раура1``, ``ορεν``) reads as a Latin name that is not it.

Each refusal is InvalidRequest saying why. Lookups (login, search) use the same
normalisation as uniqueness (:func:`jwtgate.store.usernames.username_key`).
"""

from __future__ import annotations

import unicodedata

from ..store.usernames import prepared, username_key
from .errors import InvalidRequest

__all__ = ["check_username", "scripts_of"]

MAX_LENGTH = 64
PUNCTUATION = frozenset("._@+-")

# Scripts allowed together with others (UTS #39 5.2 "Highly Restrictive"); anything else must
# be alone. Script names are the first word of the Unicode character name.
_COMBINATIONS = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
# Lower-case letters of Cyrillic and Greek that pass for Latin ones (from the UTS #39
# confusables data): a name made only of these looks like a Latin name.
_LATIN_LOOKALIKES = frozenset(
    "аеорсухіјѕһԁԛԝӏьгкп"  # Cyrillic
    "οανικυρχτ"  # Greek
)
_SCRIPT_ALIASES = {"KATAKANA-HIRAGANA": "KATAKANA", "HALFWIDTH": "KATAKANA"}

_RULES = (
    "a username has 1 to 64 characters: letters, digits and . _ @ + -, starting with a letter "
    "or digit"
)


def _script(char: str) -> str | None:
    """The script of a letter or digit (the first word of its Unicode name); None for the
    characters every script shares (ASCII digits and punctuation, combining marks)."""
    if char.isascii() and not char.isalpha():
        return None
    if unicodedata.category(char).startswith("M"):
        return None  # a combining mark takes its base letter's script
    word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(word, word)


def scripts_of(name: str) -> frozenset[str]:
    """The scripts the letters and digits of ``name`` come from."""
    return frozenset(s for s in map(_script, name) if s is not None)


def _readable(scripts: frozenset[str]) -> str:
    names = sorted("Han" if s == "CJK" else s.capitalize() for s in scripts)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def check_username(username: object) -> str:
    """The username as given when it may be registered. Raises InvalidRequest saying why not."""
    if not isinstance(username, str) or not 0 < len(username) <= MAX_LENGTH:
        raise InvalidRequest(_RULES)
    if not prepared(username):
        raise InvalidRequest(
            f"{_RULES}; this one holds a space, a control character or a character that "
            "stands for another (a compatibility form such as the Kelvin sign or a fullwidth "
            "letter: type the plain letter instead)"
        )
    first = unicodedata.category(username[0])
    if first[0] != "L" and first != "Nd":
        raise InvalidRequest(_RULES)
    for char in username:
        category = unicodedata.category(char)
        if char not in PUNCTUATION and category[0] not in "LM" and category != "Nd":
            raise InvalidRequest(f"{_RULES}; {char!r} is not allowed")
    key = username_key(username)
    if key is None:
        raise InvalidRequest(f"{_RULES}; this one is not a valid username (RFC 8265)")
    scripts = scripts_of(username)
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _COMBINATIONS):
        raise InvalidRequest(
            f"a username is written in one script; this one mixes {_readable(scripts)}, "
            "which lets one name pass for another"
        )
    if scripts & {"CYRILLIC", "GREEK"} and all(
        c in _LATIN_LOOKALIKES or not c.isalpha() for c in key
    ):
        raise InvalidRequest(
            f"this username is written in {_readable(scripts)} letters that all look like "
            "Latin ones, so it would pass for a Latin name; choose another"
        )
    return username
