"""The parts of MLflow's SQL schema tuitrack reads, as SQLAlchemy Core tables.

Never used to create anything: the database is MLflow's. NaN metrics are stored as value 0
with `is_nan` true; +-inf as +-DBL_MAX (see `metric_value` and `stored_metric`).
"""

from __future__ import annotations

import math
import sys
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Double, Integer, MetaData, String, Table, Text

DBL_MAX = sys.float_info.max

metadata = MetaData()

alembic_version = Table("alembic_version", metadata, Column("version_num", String(32)))

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True),
    Column("name", String(256)),
    Column("artifact_location", String(256)),
    Column("lifecycle_stage", String(32)),
    Column("creation_time", BigInteger),
    Column("last_update_time", BigInteger),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("key", String(250)),
    Column("value", String),
    Column("experiment_id", Integer),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(250)),
    Column("source_type", String(20)),
    Column("source_name", String(500)),
    Column("entry_point_name", String(50)),
    Column("source_version", String(50)),
    Column("user_id", String(256)),
    Column("status", String(9)),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    Column("lifecycle_stage", String(20)),
    Column("artifact_uri", String(200)),
    Column("experiment_id", Integer),
    Column("deleted_time", BigInteger),
)


def _keyed(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("key", String(250), primary_key=True),
        Column("value", String),
        Column("run_uuid", String(32), primary_key=True),
    )


params = _keyed("params")
tags = _keyed("tags")


def _metric_points(name: str, key_columns: frozenset[str]) -> Table:
    """A metric table; `key_columns` are its primary key (MLflow's)."""
    columns: dict[str, Any] = {
        "key": String(250),
        "value": Double,
        "timestamp": BigInteger,
        "step": BigInteger,
        "is_nan": Boolean,
        "run_uuid": String(32),
    }
    return Table(
        name,
        metadata,
        *(Column(n, kind, primary_key=n in key_columns) for n, kind in columns.items()),
    )


# MLflow keeps one row per distinct point, and the latest point of each key of a run.
METRIC_KEY = ("key", "timestamp", "step", "run_uuid", "value", "is_nan")
LATEST_METRIC_KEY = ("key", "run_uuid")
metrics = _metric_points("metrics", frozenset(METRIC_KEY))
latest_metrics = _metric_points("latest_metrics", frozenset(LATEST_METRIC_KEY))


# The datasets runs were given (MLflow 2.4 and later; absent from older revisions).
datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(36)),
    Column("experiment_id", Integer, primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("digest", String(36), primary_key=True),
    Column("dataset_source_type", String(36)),
    Column("dataset_source", Text),
    Column("dataset_schema", Text),
    Column("dataset_profile", Text),
)
inputs = Table(
    "inputs",
    metadata,
    Column("input_uuid", String(36)),
    Column("source_type", String(36), primary_key=True),
    Column("source_id", String(36), primary_key=True),
    Column("destination_type", String(36), primary_key=True),
    Column("destination_id", String(36), primary_key=True),
)
input_tags = Table(
    "input_tags",
    metadata,
    Column("input_uuid", String(36), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("value", String(500)),
)


def metric_value(value: float | None, is_nan: object) -> float:
    """A stored metric as the float MLflow logged: NaN, +-inf restored."""
    if is_nan or value is None:
        return math.nan
    if value >= DBL_MAX:
        return math.inf
    if value <= -DBL_MAX:
        return -math.inf
    return float(value)


def stored_metric(value: float) -> tuple[float, bool]:
    """(value, is_nan) as MLflow stores a metric value: NaN as 0, +-inf as +-DBL_MAX."""
    if math.isnan(value):
        return 0.0, True
    if math.isinf(value):
        return (DBL_MAX if value > 0 else -DBL_MAX), False
    return value, False
