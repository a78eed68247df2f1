"""What a SQL backend tells the shared search and loading code about its tables.

Both schemas name their columns as MLflow does: runs (run_uuid, experiment_id, name,
status, ...), experiments (experiment_id, name, ...), the run-keyed tables params, tags and
latest_metrics (run_uuid, key, value) and experiment_tags (experiment_id, key, value). What
differs is described here: which tables, how a metric's NaN and +-inf are stored, how text
compares, where a run's parent is kept, and a few choices of plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, FromClause, MetaData, Table

from tuitrack.search import Comparison, Kind
from tuitrack.search.field_tags import FIELD_TAGS
from tuitrack_sqlkit.text_rules import EXACT_TEXT, TextRule

# RunInfo field -> column of the runs table, in the order runs are selected (run id first).
_RUN_INFO_COLUMNS = {
    "run_id": "run_uuid",
    "experiment_id": "experiment_id",
    "run_name": "name",
    "user_id": "user_id",
    "status": "status",
    "start_time": "start_time",
    "end_time": "end_time",
    "artifact_uri": "artifact_uri",
    "lifecycle_stage": "lifecycle_stage",
    "parent_run_id": "parent_run_id",
    "host": "host",
    "pid": "pid",
    "heartbeat_time": "heartbeat_time",
}
# The RunInfo fields a filter or ordering names as attributes (the rest are not searchable).
_NOT_SEARCHED = ("lifecycle_stage", "host", "pid", "heartbeat_time")
_EXPERIMENT_ATTRIBUTES = ("experiment_id", "name", "creation_time", "last_update_time")


class MetricEncoding(Protocol):
    """How a schema stores a latest metric value that SQL doubles cannot hold exactly."""

    @property
    def flag_column(self) -> str:
        """The column read with `value` to restore it (see decode)."""
        ...

    def decode(self, value: float | None, flag: Any) -> float:
        """The float that was logged, from the stored value and flag column."""
        ...

    def test(self, table: FromClause, node: Comparison) -> ColumnElement[bool]:
        """A latest-metrics row of `table` (with this key) satisfies the comparison: a NaN
        fails every comparison but != and NOT IN, +-inf equals no literal."""
        ...

    def sort_value(self, table: FromClause) -> ColumnElement[Any]:
        """The value to sort by, NULL for NaN (it sorts with the missing values)."""
        ...


@dataclass(frozen=True)
class SearchTables:
    """A SQL backend's tables as searched and loaded by tuitrack_sqlkit: those of `metadata`
    named runs, experiments, params, tags, latest_metrics and experiment_tags.

    `join_keyed_tests`: a top-level AND-ed metric, param or tag test becomes an inner join
    (tuitrack's (key, value, run_uuid) indexes serve them) instead of an IN subquery.
    `keys_ordered_by_database`: the (run_uuid, key) order of a run's keys comes from the
    database (binary collations, a primary key in that order); otherwise keys are sorted
    in Python. `token_scope` starts every page token's fingerprint. `run_inputs`: the
    schema has MLflow's tables of run inputs (datasets, inputs, input_tags), and runs are
    read with the datasets they were given (tuitrack_sqlkit.run_inputs).

    Runs are read with the columns of the RunInfo fields that the runs table has
    (`run_columns`, named `run_fields`; the others are `absent_run_fields`). A schema that
    keeps a run's parent or name in tags names them (`parent_tag`, `run_name_tag`: the
    latter used when the name column is empty). A schema that keeps them only in columns
    sets `tags_from_columns`: runs are read with MLflow's tags of them (field_tags) made
    from the columns, and filters and orderings on those tags test the columns.
    """

    metadata: MetaData
    metrics: MetricEncoding
    text: TextRule = EXACT_TEXT
    parent_tag: str | None = None
    run_name_tag: str | None = None
    tags_from_columns: bool = False
    join_keyed_tests: bool = False
    keys_ordered_by_database: bool = False
    token_scope: tuple[str, ...] = ()
    run_inputs: bool = False
    runs: Table = field(init=False)
    experiments: Table = field(init=False)
    params: Table = field(init=False)
    tags: Table = field(init=False)
    latest_metrics: Table = field(init=False)
    experiment_tags: Table = field(init=False)
    run_fields: tuple[str, ...] = field(init=False)
    absent_run_fields: Mapping[str, None] = field(init=False)
    run_columns: tuple[ColumnElement[Any], ...] = field(init=False)
    run_attributes: Mapping[str, ColumnElement[Any]] = field(init=False)
    experiment_attributes: Mapping[str, ColumnElement[Any]] = field(init=False)

    def __post_init__(self) -> None:
        for name in ("runs", "experiments", "params", "tags", "latest_metrics", "experiment_tags"):
            object.__setattr__(self, name, self.metadata.tables[name])
        runs, experiments = self.runs.c, self.experiments.c
        read = {name: runs[c] for name, c in _RUN_INFO_COLUMNS.items() if c in runs}
        attributes = {name: c for name, c in read.items() if name not in _NOT_SEARCHED}
        experiment_attributes = {name: experiments[name] for name in _EXPERIMENT_ATTRIBUTES}
        object.__setattr__(self, "run_fields", tuple(read))
        absent = dict.fromkeys(name for name in _RUN_INFO_COLUMNS if name not in read)
        object.__setattr__(self, "absent_run_fields", absent)
        object.__setattr__(self, "run_columns", tuple(read.values()))
        object.__setattr__(self, "run_attributes", attributes)
        object.__setattr__(self, "experiment_attributes", experiment_attributes)

    def keyed(self, kind: str) -> Table:
        """The run-keyed table of a metric, param or tag key."""
        return {"metric": self.latest_metrics, "param": self.params, "tag": self.tags}[kind]

    def stored(self, node: Comparison) -> Comparison:
        """`node` as the schema stores what it tests: `parent_run_id` as the parent tag
        where runs have no such column; with `tags_from_columns`, the tags of a run's name
        and parent as those attributes."""
        kind, key = self.stored_key(node.kind, node.key)
        if (kind, key) == (node.kind, node.key):
            return node
        return replace(node, kind=cast("Kind", kind), key=key)

    def stored_key(self, kind: str, key: str) -> tuple[str, str]:
        """(kind, key) of a sort key as stored (see stored)."""
        if self.parent_tag is not None and _is_parent(kind, key):
            return "tag", self.parent_tag
        if self.tags_from_columns and kind == "tag" and key in FIELD_TAGS:
            return "attribute", FIELD_TAGS[key]
        return kind, key


def _is_parent(kind: str, key: str) -> bool:
    return kind == "attribute" and key == "parent_run_id"
