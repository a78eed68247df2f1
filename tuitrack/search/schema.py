"""What a filter may name: identifier prefixes, attributes, and what each compares with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from tuitrack.entities import RunStatus
from tuitrack.search.nodes import Kind, Op

AttributeType: TypeAlias = Literal["string", "number", "status"]

STRING_OPS: frozenset[Op] = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})
NUMBER_OPS: frozenset[Op] = frozenset({"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN"})
NULL_OPS: frozenset[Op] = frozenset({"IS NULL", "IS NOT NULL"})
STATUS_VALUES: tuple[str, ...] = tuple(status.value for status in RunStatus)


def describe_ops(ops: frozenset[Op]) -> str:
    order: tuple[Op, ...] = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN")
    return " ".join(op for op in order if op in ops)


@dataclass(frozen=True, slots=True)
class Field:
    """A resolved identifier: its kind, key, and the literals it accepts."""

    kind: Kind
    key: str
    label: str  # how messages name it: "metrics", "params", "status", ...
    string_ops: frozenset[Op]
    number_ops: frozenset[Op]
    normalize_status: bool = False

    @property
    def ops(self) -> frozenset[Op]:
        return self.string_ops | self.number_ops | NULL_OPS

    def describe(self) -> str:
        """What this field compares with, e.g. 'metrics compare with numbers using = != ...'."""
        verb = "compare" if self.label.endswith("s") and self.kind != "attribute" else "compares"
        parts = []
        if self.string_ops:
            parts.append(f"with strings using {describe_ops(self.string_ops)}")
        if self.number_ops:
            parts.append(f"with numbers using {describe_ops(self.number_ops)}")
        return f"{self.label} {verb} " + ", or ".join(parts)


@dataclass(frozen=True, slots=True)
class Schema:
    """The identifiers one kind of search (runs or experiments) understands."""

    subject: str
    prefixes: Mapping[str, Kind]  # lower-case prefix before the dot -> kind
    attributes: Mapping[str, AttributeType]  # canonical attribute name -> type
    aliases: Mapping[str, str]  # lower-case alternative attribute name -> canonical

    def attribute_name(self, name: str) -> str | None:
        lowered = name.lower()
        if lowered in self.attributes:
            return lowered
        return self.aliases.get(lowered)

    def field(self, kind: Kind, key: str) -> Field:
        """The Field of a known kind and (for attributes, canonical) key."""
        if kind == "metric":
            return Field(kind, key, "metrics", frozenset(), NUMBER_OPS)
        if kind == "param":
            return Field(kind, key, "params", STRING_OPS, NUMBER_OPS)
        if kind == "tag":
            return Field(kind, key, "tags", STRING_OPS, frozenset())
        attribute_type = self.attributes[key]
        if attribute_type == "number":
            return Field(kind, key, key, frozenset(), NUMBER_OPS)
        return Field(kind, key, key, STRING_OPS, frozenset(), attribute_type == "status")

    def describe_prefixes(self) -> str:
        """The first (canonical) prefix of each kind, e.g. 'metrics., params., ... attributes.'."""
        first: dict[Kind, str] = {}
        for prefix, kind in self.prefixes.items():
            first.setdefault(kind, prefix)
        canonical = [f"{prefix}." for prefix in first.values()]
        return ", ".join(canonical[:-1]) + " or " + canonical[-1]

    def describe_identifiers(self) -> str:
        by_kind: dict[Kind, list[str]] = {}
        for prefix, kind in self.prefixes.items():
            by_kind.setdefault(kind, []).append(prefix)
        plural = {"metric": "metrics", "param": "params", "tag": "tags"}
        shapes = [f"{plural[k]}.<key>" for k in ("metric", "param", "tag") if k in by_kind]
        attributes = ", ".join(self.attributes)
        return f"{', '.join(shapes)} or an attribute ({attributes})"


RUN_SCHEMA = Schema(
    subject="run",
    prefixes={
        "metrics": "metric",
        "metric": "metric",
        "params": "param",
        "param": "param",
        "parameters": "param",
        "parameter": "param",
        "tags": "tag",
        "tag": "tag",
        "attributes": "attribute",
        "attribute": "attribute",
        "attr": "attribute",
        "run": "attribute",
    },
    attributes={
        "run_id": "string",
        "run_name": "string",
        "status": "status",
        "user_id": "string",
        "start_time": "number",
        "end_time": "number",
        "artifact_uri": "string",
        "experiment_id": "string",
        "parent_run_id": "string",
    },
    aliases={"run_uuid": "run_id", "run name": "run_name", "created": "start_time"},
)

EXPERIMENT_SCHEMA = Schema(
    subject="experiment",
    prefixes={
        "tags": "tag",
        "tag": "tag",
        "attributes": "attribute",
        "attribute": "attribute",
        "attr": "attribute",
    },
    attributes={
        "name": "string",
        "experiment_id": "string",
        "creation_time": "number",
        "last_update_time": "number",
    },
    aliases={},
)
