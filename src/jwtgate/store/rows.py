"""Mapping between table rows and the frozen records, by field name.

A record's fields are named after its table's columns; JSON lists become tuples on the way in
and lists on the way out.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Column, Row, Table

__all__ = ["record_from_row", "record_values"]

R = TypeVar("R")


_Plan = tuple[tuple[str, Column[Any]], ...]
_PLANS: dict[tuple[type, Table], _Plan] = {}


def _plan(cls: type, table: Table) -> _Plan:
    """The (field name, column) pairs of ``cls`` in ``table``, worked out once per pair (the
    refresh path maps three records per request)."""
    key = (cls, table)
    plan = _PLANS.get(key)
    if plan is None:
        plan = tuple((f.name, table.c[f.name]) for f in fields(cls) if f.name in table.c)
        _PLANS[key] = plan
    return plan


def record_from_row(cls: type[R], table: Table, row: Row[Any]) -> R:
    """Build a ``cls`` record from the columns of ``table`` in ``row`` (joins included)."""
    mapping = row._mapping
    values: dict[str, Any] = {}
    for name, column in _plan(cls, table):
        value = mapping[column]
        values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def record_values(record: object, table: Table, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of ``record`` for an INSERT into ``table``."""
    values: dict[str, Any] = {}
    for name, _ in _plan(type(record), table):
        if name in exclude:
            continue
        value = getattr(record, name)
        values[name] = list(value) if isinstance(value, tuple) else value
    return values
