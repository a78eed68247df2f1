"""metric_series: points refer to their series by an integer id instead of (run, key)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tuitrack_sql.migrations import steps

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COPY = "metrics_0004_copy"


def _point_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
    ]


def _key() -> str:
    return op.get_bind().dialect.identifier_preparer.quote("key")


def _restart_id_sequence() -> None:
    """Rows were copied with their ids; PostgreSQL's sequence must continue after them
    (SQLite and MySQL continue from the highest id on their own)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('metrics', 'id'), "
            "COALESCE(MAX(id), 0) + 1, false) FROM metrics"
        )


def upgrade() -> None:
    key = _key()
    steps.create_table(
        "metric_series",
        sa.Column("series_id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name=op.f("fk_metric_series_run_uuid_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", name=op.f("pk_metric_series")),
        sa.UniqueConstraint("run_uuid", "key", name=op.f("uq_metric_series_run_uuid_key")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    if steps.has_column("metrics", "key"):  # the points still name their run and key
        if steps.is_empty("metric_series"):  # one statement: all series or none
            op.execute(
                f"INSERT INTO metric_series (run_uuid, {key}) "
                f"SELECT DISTINCT run_uuid, {key} FROM metrics"
            )
        # Copy aside, drop, recreate: the new table takes the old one's constraint names.
        # While the old table is there it is the source: a copy left by a killed upgrade
        # is made again.
        steps.drop_table(_COPY)
        op.execute(
            f"CREATE TABLE {_COPY} AS SELECT m.id, s.series_id, m.step, m.timestamp, m.value, "
            f"m.kind FROM metrics m JOIN metric_series s "
            f"ON s.run_uuid = m.run_uuid AND s.{key} = m.{key}"
        )
        op.drop_table("metrics")
    steps.create_table(
        "metrics",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("series_id", _ID, nullable=False),
        *_point_columns(),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["metric_series.series_id"],
            name=op.f("fk_metrics_series_id_metric_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_index("ix_metrics_series_id_step", "metrics", ["series_id", "step"])
    # The copy goes only after the points are back; their INSERT commits with its DROP.
    if steps.has_table(_COPY) and steps.is_empty("metrics"):
        op.execute(
            "INSERT INTO metrics (id, series_id, step, timestamp, value, kind) "
            f"SELECT id, series_id, step, timestamp, value, kind FROM {_COPY}"
        )
    steps.drop_table(_COPY)
    _restart_id_sequence()


def downgrade() -> None:
    key = _key()
    op.execute(
        f"CREATE TABLE {_COPY} AS SELECT m.id, s.run_uuid, s.{key}, m.step, m.timestamp, "
        "m.value, m.kind FROM metrics m JOIN metric_series s ON s.series_id = m.series_id"
    )
    op.drop_table("metrics")
    op.drop_table("metric_series")
    op.create_table(
        "metrics",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        *_point_columns(),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name=op.f("fk_metrics_run_uuid_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_index("ix_metrics_run_uuid_key_step", "metrics", ["run_uuid", "key", "step"])
    op.execute(
        f"INSERT INTO metrics (id, run_uuid, {key}, step, timestamp, value, kind) "
        f"SELECT id, run_uuid, {key}, step, timestamp, value, kind FROM {_COPY}"
    )
    op.drop_table(_COPY)
    _restart_id_sequence()
