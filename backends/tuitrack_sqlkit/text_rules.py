"""How a schema's text compares and sorts: exactly already (EXACT_TEXT), or, on MySQL whose
columns use case-insensitive collations, only once turned into bytes (BINARY_ON_MYSQL)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, String, TypeDecorator, func, type_coerce
from sqlalchemy.engine import Dialect

from tuitrack.search import Comparison
from tuitrack_sqlkit.dialects import SqlDialect


class TextRule(Protocol):
    """Makes a schema's text columns compare and sort as tuitrack does (code point order,
    case-sensitive)."""

    def comparable(
        self, column: ColumnElement[Any], node: Comparison, dialect: SqlDialect
    ) -> ColumnElement[Any]:
        """`column` as it must be compared with the value of `node`."""
        ...

    def sort_key(self, expression: ColumnElement[Any], dialect: SqlDialect) -> ColumnElement[Any]:
        """`expression` as it must be sorted."""
        ...


class _ExactText:
    def comparable(
        self, column: ColumnElement[Any], node: Comparison, dialect: SqlDialect
    ) -> ColumnElement[Any]:
        return column

    def sort_key(self, expression: ColumnElement[Any], dialect: SqlDialect) -> ColumnElement[Any]:
        return expression


class _BinaryText(TypeDecorator[str]):
    """MySQL's BINARY(text): compared and sorted byte by byte, read back as text."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class _BinaryOnMysql:
    def comparable(
        self, column: ColumnElement[Any], node: Comparison, dialect: SqlDialect
    ) -> ColumnElement[Any]:
        value = node.value
        text = isinstance(value, str) or (isinstance(value, tuple) and not node.is_numeric)
        if text and dialect.is_mysql and node.op != "ILIKE":
            return type_coerce(func.binary(column), String)
        return column

    def sort_key(self, expression: ColumnElement[Any], dialect: SqlDialect) -> ColumnElement[Any]:
        # Bytes of UTF-8 sort in code point order, as tuitrack sorts text.
        if dialect.is_mysql and isinstance(expression.type, String):
            return type_coerce(func.binary(expression), _BinaryText)
        return expression


EXACT_TEXT: TextRule = _ExactText()
BINARY_ON_MYSQL: TextRule = _BinaryOnMysql()
