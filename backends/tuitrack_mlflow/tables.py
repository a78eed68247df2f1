"""The parts of MLflow's SQL schema tuitrack reads, as SQLAlchemy Core tables.

Never used to create anything: the database is MLflow's. NaN metrics are stored as value 0
with `is_nan` true; +-inf as +-DBL_MAX (see `metric_value`).
"""

from __future__ import annotations

import math
import sys

from sqlalchemy import BigInteger, Boolean, Column, Double, Integer, MetaData, String, Table

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
    Column("user_id", String(256)),
    Column("status", String(9)),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    Column("lifecycle_stage", String(20)),
    Column("artifact_uri", String(200)),
    Column("experiment_id", Integer),
    Column("deleted_time", BigInteger),
)


def _keyed(name: str, *extra: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column("key", String(250)),
        Column("value", String),
        Column("run_uuid", String(32)),
        *extra,
    )


params = _keyed("params")
tags = _keyed("tags")


def _metric_points(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("key", String(250)),
        Column("value", Double),
        Column("timestamp", BigInteger),
        Column("step", BigInteger),
        Column("is_nan", Boolean),
        Column("run_uuid", String(32)),
    )


metrics = _metric_points("metrics")
latest_metrics = _metric_points("latest_metrics")


def metric_value(value: float | None, is_nan: object) -> float:
    """A stored metric as the float MLflow logged: NaN, +-inf restored."""
    if is_nan or value is None:
        return math.nan
    if value >= DBL_MAX:
        return math.inf
    if value <= -DBL_MAX:
        return -math.inf
    return float(value)
