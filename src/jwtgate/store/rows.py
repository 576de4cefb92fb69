"""Mapping between table rows and the frozen records, by field name.

A record's fields are named after its table's columns; JSON lists become tuples on the way in
and lists on the way out.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Row, Table

__all__ = ["record_from_row", "record_values"]

R = TypeVar("R")


def record_from_row(cls: type[R], table: Table, row: Row[Any]) -> R:
    """Build a ``cls`` record from the columns of ``table`` in ``row`` (joins included)."""
    mapping = row._mapping
    values: dict[str, Any] = {}
    for field in fields(cls):  # type: ignore[arg-type]
        column = table.c.get(field.name)
        if column is None:
            continue
        value = mapping[column]
        values[field.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def record_values(record: object, table: Table, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of ``record`` for an INSERT into ``table``."""
    values: dict[str, Any] = {}
    for field in fields(record):  # type: ignore[arg-type]
        if field.name in exclude or field.name not in table.c:
            continue
        value = getattr(record, field.name)
        values[field.name] = list(value) if isinstance(value, tuple) else value
    return values
