"""Input rules for usernames, emails, roles and page cursors. Each raises InvalidRequest."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import InvalidRequest
from .usernames import check_username

__all__ = [
    "MAX_PAGE",
    "check_email",
    "check_limit",
    "check_roles",
    "check_username",
    "parse_int_cursor",
    "parse_user_cursor",
]

MAX_PAGE = 200
MAX_ROLES = 32
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}")
_ROLE = re.compile(r"[A-Za-z][A-Za-z0-9_:.-]{0,63}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_email(email: object) -> str | None:
    """An email address of plausible shape, or None."""
    if email is None or email == "":
        return None
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidRequest("the email address is not valid")
    return email


def check_roles(roles: Iterable[object]) -> tuple[str, ...]:
    """Role names (a letter, then letters, digits, ``_:.-``; at most 32), de-duplicated."""
    if isinstance(roles, str):
        raise InvalidRequest("roles must be a list of names")
    out: list[str] = []
    for role in roles:
        if not isinstance(role, str) or not _ROLE.fullmatch(role):
            raise InvalidRequest("a role name is a letter then letters, digits or _ : . -")
        if role not in out:
            out.append(role)
    if len(out) > MAX_ROLES:
        raise InvalidRequest(f"at most {MAX_ROLES} roles")
    return tuple(out)


def check_limit(limit: object) -> int:
    """A page size between 1 and MAX_PAGE."""
    if type(limit) is not int or not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be an integer from 1 to {MAX_PAGE}")
    return limit


def parse_user_cursor(cursor: str | None) -> str | None:
    """A users page cursor (the last user id seen)."""
    if cursor is None:
        return None
    if not isinstance(cursor, str) or not _UUID.fullmatch(cursor):
        raise InvalidRequest("the cursor is not valid")
    return cursor


def parse_int_cursor(cursor: str | None) -> int | None:
    """An events or revocations cursor (a row id)."""
    if cursor is None:
        return None
    if not isinstance(cursor, str) or not cursor.isascii() or not cursor.isdigit():
        raise InvalidRequest("the cursor is not valid")
    if len(cursor) > 18:
        raise InvalidRequest("the cursor is not valid")
    return int(cursor)
