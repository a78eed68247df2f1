"""The tables of the SQL backend store (SQLAlchemy Core); alembic migrations must match."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.mysql import MEDIUMTEXT

from tuitrack.core.history_request import BUCKET_BLOCK_SHIFT

# MySQL's default collations compare case-insensitively; tuitrack keys are case-sensitive.
# Migration 0006 then moves text to a NO PAD binary collation ("loss " is not "loss"),
# where the server has one; the migrations, not these definitions, create the tables.
MYSQL_TABLE_ARGS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
# In SQLite only INTEGER PRIMARY KEY aliases the rowid (and so autoincrements cheaply).
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("artifact_location", String(1000), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=True),
    Column("last_update_time", BigInteger, nullable=True),
    UniqueConstraint("name"),
    **MYSQL_TABLE_ARGS,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", Integer, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", String(8000), nullable=False),
    PrimaryKeyConstraint("experiment_id", "key"),
    ForeignKeyConstraint(["experiment_id"], ["experiments.experiment_id"], ondelete="CASCADE"),
    **MYSQL_TABLE_ARGS,
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(250), nullable=True),
    Column("user_id", String(256), nullable=True),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("artifact_uri", String(1000), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("parent_run_id", String(32), nullable=True),
    Column("host", String(255), nullable=True),
    Column("pid", Integer, nullable=True),
    Column("heartbeat_time", BigInteger, nullable=True),
    Column("deleted_time", BigInteger, nullable=True),
    Index(None, "experiment_id", "start_time"),
    Index(None, "parent_run_id"),
    Index(None, "status"),
    **MYSQL_TABLE_ARGS,
)

params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", String(6000), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], ondelete="CASCADE"),
    Index(None, "key", "value", "run_uuid", mysql_length={"value": 255}),
    **MYSQL_TABLE_ARGS,
)

tags = Table(
    "tags",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", String(8000), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], ondelete="CASCADE"),
    Index(None, "key", "value", "run_uuid", mysql_length={"value": 255}),
    **MYSQL_TABLE_ARGS,
)

# One row per metric series (a run's metric key): points refer to it by its integer id,
# which keeps the points table and its index small (the write path's main cost).
metric_series = Table(
    "metric_series",
    metadata,
    Column("series_id", BigIntId, primary_key=True, autoincrement=True),
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    UniqueConstraint("run_uuid", "key"),
    ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], ondelete="CASCADE"),
    **MYSQL_TABLE_ARGS,
)

# One row per logged point. `value` is NULL for NaN and +-DBL_MAX for +-inf; `kind` says
# which (see floats.py), so every database stores every float exactly.
metrics = Table(
    "metrics",
    metadata,
    Column("id", BigIntId, primary_key=True, autoincrement=True),
    Column("series_id", BigIntId, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Column("kind", SmallInteger, nullable=False),
    ForeignKeyConstraint(["series_id"], ["metric_series.series_id"], ondelete="CASCADE"),
    Index(None, "series_id", "step"),
    **MYSQL_TABLE_ARGS,
)

# The same points again, packed column-wise per series into chunks of up to 4,096 points
# (see packed.py): a whole history reads a few chunks instead of one row per point. Chunk
# ids follow logging order.
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("chunk_id", BigIntId, primary_key=True, autoincrement=True),
    Column("series_id", BigIntId, nullable=False),
    Column("first_step", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("points", Integer, nullable=False),
    Column("nans", Integer, nullable=False),
    Column("in_order", SmallInteger, nullable=False),
    Column("step_bytes", LargeBinary, nullable=False),
    Column("timestamp_bytes", LargeBinary, nullable=False),
    Column("value_bytes", LargeBinary, nullable=False),
    ForeignKeyConstraint(["series_id"], ["metric_series.series_id"], ondelete="CASCADE"),
    Index(None, "series_id", "chunk_id"),
    **MYSQL_TABLE_ARGS,
)

# The latest point (highest step, then latest timestamp) and the range of each series,
# maintained by log_batch so that listing runs never reads whole histories.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Column("kind", SmallInteger, nullable=False),
    Column("min_value", Double, nullable=True),
    Column("max_value", Double, nullable=True),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], ondelete="CASCADE"),
    Index(None, "key", "value", "run_uuid"),
    **MYSQL_TABLE_ARGS,
)

# Steps per block of metric_blocks: a block holds the steps [block * 256, block * 256 + 255],
# the blocks of the contract's downsampling buckets.
BLOCK_SHIFT = BUCKET_BLOCK_SHIFT
BLOCK_STEPS = 1 << BLOCK_SHIFT
# The summary points of a block, each stored as <name>_step, _timestamp, _value, _kind, _seq.
BLOCK_POINTS = ("first", "last", "min", "max", "nan")


def _block_point(name: str, nullable: bool) -> list[Column[Any]]:
    columns = [
        Column(f"{name}_step", BigInteger, nullable=nullable),
        Column(f"{name}_timestamp", BigInteger, nullable=nullable),
    ]
    if name != "nan":  # a NaN point's value is NULL and its kind NAN
        columns.append(Column(f"{name}_value", Double, nullable=True))
        columns.append(Column(f"{name}_kind", SmallInteger, nullable=nullable))
    columns.append(Column(f"{name}_seq", BigInteger, nullable=nullable))
    return columns


# A summary of each block of 256 steps of each series, maintained by log_batch, so that a
# downsampled history reads one row per block instead of every point. Per block: how many
# points and NaNs, and whole copies of its first and last point (by step, timestamp, then
# logging order), its lowest and highest point (+-inf included; ties go to the earliest) and
# its first NaN (NULL when it has none). `seq` orders a block's points as logging did (the
# order of their ids): equal seqs are the same point. `next_seq` is the seq of the next point.
metric_blocks = Table(
    "metric_blocks",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("nans", BigInteger, nullable=False),
    Column("next_seq", BigInteger, nullable=False),
    *_block_point("first", nullable=False),
    *_block_point("last", nullable=False),
    *_block_point("min", nullable=True),
    *_block_point("max", nullable=True),
    *_block_point("nan", nullable=True),
    PrimaryKeyConstraint("run_uuid", "key", "block"),
    ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], ondelete="CASCADE"),
    # Clustered by (run, key, block) as InnoDB does anyway: one B-tree to write, and a
    # series' blocks read from neighbouring pages.
    sqlite_with_rowid=False,
    **MYSQL_TABLE_ARGS,
)

# The datasets runs were given (log_inputs), in the tables and columns MLflow keeps them in,
# so that one toolkit module (tuitrack_sqlkit.run_inputs) reads and writes both schemas:
# a dataset is stored once per experiment by (name, digest); an input links it to a run
# (source DATASET, destination RUN); input_tags are the tags of that use. Source, schema
# and profile are JSON text up to MLflow's limits (16 MiB: MEDIUMTEXT on MySQL).
LongText = Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb")

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(36), nullable=False),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("dataset_source_type", String(36), nullable=False),
    Column("dataset_source", LongText, nullable=False),
    Column("dataset_schema", LongText, nullable=True),
    Column("dataset_profile", LongText, nullable=True),
    PrimaryKeyConstraint("experiment_id", "name", "digest"),
    UniqueConstraint("dataset_uuid"),
    ForeignKeyConstraint(["experiment_id"], ["experiments.experiment_id"], ondelete="CASCADE"),
    **MYSQL_TABLE_ARGS,
)

inputs = Table(
    "inputs",
    metadata,
    Column("input_uuid", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source_id", String(36), nullable=False),
    Column("destination_type", String(36), nullable=False),
    Column("destination_id", String(36), nullable=False),
    PrimaryKeyConstraint("source_type", "source_id", "destination_type", "destination_id"),
    UniqueConstraint("input_uuid"),
    Index(None, "destination_type", "destination_id", "source_type"),
    **MYSQL_TABLE_ARGS,
)

input_tags = Table(
    "input_tags",
    metadata,
    Column("input_uuid", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("value", String(500), nullable=False),
    PrimaryKeyConstraint("input_uuid", "name"),
    ForeignKeyConstraint(["input_uuid"], ["inputs.input_uuid"], ondelete="CASCADE"),
    **MYSQL_TABLE_ARGS,
)

# The batches the SDK's writer stored, by the id it gave each batch: a batch retried after
# its COMMIT's reply was lost is found here and skipped. Rows older than a day are pruned.
write_batches = Table(
    "write_batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("run_uuid", String(32), nullable=False),
    Column("created", BigInteger, nullable=False),
    Index(None, "created"),
    **MYSQL_TABLE_ARGS,
)
