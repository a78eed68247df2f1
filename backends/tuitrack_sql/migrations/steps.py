"""Schema changes that a rerun completes: each creates or drops only what is (still) there.

MySQL/MariaDB commit every DDL statement on its own, so a process killed during an upgrade
leaves the statements before the kill done and the revision unrecorded. The next open runs
that revision again: these steps skip what is done, and the revisions guard their data
copies likewise. A table or index found is one these steps created, with their definition:
one CREATE statement makes it whole or not at all. (SQLite and PostgreSQL roll a killed
upgrade back whole; the checks then always find nothing done.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


def _inspector() -> sa.Inspector:
    return sa.inspect(op.get_bind())  # a new one each time: its cache would go stale


def has_table(name: str) -> bool:
    return _inspector().has_table(name)


def has_column(table: str, column: str) -> bool:
    if not has_table(table):
        return False
    return any(found["name"] == column for found in _inspector().get_columns(table))


def has_index(table: str, name: str) -> bool:
    return any(found["name"] == name for found in _inspector().get_indexes(table))


def is_empty(table: str) -> bool:
    first_row = sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)
    return op.get_bind().execute(first_row).first() is None


def create_table(name: str, *elements: Any, **options: Any) -> sa.Table:
    """The table, created unless it exists."""
    if has_table(name):
        return sa.Table(name, sa.MetaData(), *elements, **options)
    return op.create_table(name, *elements, **options)


def create_index(name: str, table: str, columns: Sequence[str], **options: Any) -> None:
    if not has_index(table, name):
        op.create_index(name, table, list(columns), **options)


def drop_index(name: str, table: str) -> None:
    if has_index(table, name):
        op.drop_index(name, table_name=table)


def drop_table(name: str) -> None:
    if has_table(name):
        op.drop_table(name)
