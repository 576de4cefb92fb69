"""The one normalisation of usernames: RFC 8265's UsernameCaseMapped PRECIS profile.

``username_key`` is what must be unique and what every lookup compares: the name width-mapped
(fullwidth ``ＫＡＴＥ`` is ``KATE``), checked against the PRECIS IdentifierClass as typed
(RFC 8265 3.3.1 preparation), then case-mapped and NFC-normalised (3.3.2 enforcement). The
preparation check is what refuses compatibility characters such as the Kelvin sign U+212A:
Unicode lower-cases it to ``k``, so ``\\u212aate`` was ``kate`` under ``str.casefold`` and
logged in as kate. A name that fails has no key and matches no account.

The rules that decide which names may be *registered* (one script, no confusables) are the
auth layer's (:mod:`jwtgate.auth.usernames`); this module only normalises.
"""

from __future__ import annotations

from functools import lru_cache

from precis_i18n import get_profile

__all__ = ["counting_key", "prepared", "username_key"]

_PROFILE = get_profile("UsernameCaseMapped")


@lru_cache(maxsize=4096)
def username_key(name: str) -> str | None:
    """The PRECIS UsernameCaseMapped form of ``name`` (RFC 8265 3.3), or None when it is not a
    valid username under that profile (empty, spaces, compatibility or control characters...).
    """
    if not isinstance(name, str) or not name or len(name) > 256:
        return None
    try:
        mapped = _PROFILE.width_mapping_rule(name)
        _PROFILE.base.enforce(mapped)  # preparation: IdentifierClass code points only
        key: str = _PROFILE.enforce(mapped)
    except UnicodeError:
        return None
    return key


def prepared(name: str) -> bool:
    """Whether ``name`` as typed, without any mapping, consists of IdentifierClass code points
    (RFC 8265 3.3.1 preparation): no compatibility forms, spaces or controls."""
    try:
        _PROFILE.base.enforce(name)
    except UnicodeError:
        return False
    return True


def counting_key(name: str) -> str:
    """The key a login throttle or the audit log counts a typed name under: its username key,
    or for a name that cannot be one, the name itself marked so (it matches no account)."""
    key = username_key(name)
    return key if key is not None else "\x00" + name[:256]
