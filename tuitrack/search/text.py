"""AST -> canonical filter text: `parse_filter(to_text(node)) == node` for every valid AST."""

from __future__ import annotations

from tuitrack.search.lexical import format_number, quote_key, quote_string
from tuitrack.search.nodes import And, Comparison, Kind, Node, Not, Or, OrderKey, Scalar

_PREFIXES: dict[Kind, str] = {"metric": "metrics.", "param": "params.", "tag": "tags."}


def to_text(node: Node) -> str:
    """Canonical text of a filter AST: upper-case keywords, plural prefixes, bare attribute
    names, single-quoted strings, and parentheses exactly where the AST nests."""
    if isinstance(node, Comparison):
        return _comparison(node)
    if isinstance(node, Not):
        inner = to_text(node.item)
        return f"NOT {inner}" if isinstance(node.item, Comparison | Not) else f"NOT ({inner})"
    if isinstance(node, And):
        return " AND ".join(_wrapped(item, isinstance(item, And | Or)) for item in node.items)
    return " OR ".join(_wrapped(item, isinstance(item, Or)) for item in node.items)


def order_by_to_text(keys: list[OrderKey]) -> list[str]:
    """The order_by clauses that `parse_order_by` turns back into `keys`."""
    return [f"{identifier_text(k.kind, k.key)} {'ASC' if k.ascending else 'DESC'}" for k in keys]


def identifier_text(kind: Kind, key: str) -> str:
    if kind == "attribute":
        return key
    return _PREFIXES[kind] + quote_key(key)


def _wrapped(node: Node, parenthesize: bool) -> str:
    text = to_text(node)
    return f"({text})" if parenthesize else text


def _literal(value: Scalar) -> str:
    return quote_string(value) if isinstance(value, str) else format_number(value)


def _comparison(node: Comparison) -> str:
    identifier = identifier_text(node.kind, node.key)
    if node.op in ("IS NULL", "IS NOT NULL"):
        return f"{identifier} {node.op}"
    if isinstance(node.value, tuple):
        values = ", ".join(_literal(value) for value in node.value)
        return f"{identifier} {node.op} ({values})"
    assert node.value is not None
    return f"{identifier} {node.op} {_literal(node.value)}"
