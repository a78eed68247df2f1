"""metric_chunks: each series' points again, packed column-wise, for whole-history reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tuitrack_sql.floats import decode
from tuitrack_sql.migrations import steps
from tuitrack_sql.packed import CHUNK_COLUMNS, pack

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INSERT_BATCH = 200


def upgrade() -> None:
    chunks = steps.create_table(
        "metric_chunks",
        sa.Column("chunk_id", _ID, autoincrement=True, nullable=False),
        sa.Column("series_id", _ID, nullable=False),
        sa.Column("first_step", sa.BigInteger(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("nans", sa.Integer(), nullable=False),
        sa.Column("in_order", sa.SmallInteger(), nullable=False),
        sa.Column("step_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("value_bytes", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["metric_series.series_id"],
            name=op.f("fk_metric_chunks_series_id_metric_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chunk_id", name=op.f("pk_metric_chunks")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_index(
        "ix_metric_chunks_series_id_chunk_id", "metric_chunks", ["series_id", "chunk_id"]
    )
    _backfill(op.get_bind(), chunks)


def _backfill(connection: sa.Connection, chunks: sa.Table) -> None:
    """Pack every series' points, in logging (id) order; a rerun leaves series that have
    chunks already as they are."""
    series_ids = connection.exec_driver_sql(
        "SELECT series_id FROM metric_series "
        "WHERE series_id NOT IN (SELECT series_id FROM metric_chunks)"
    ).scalars()
    points = sa.text(
        "SELECT step, timestamp, value, kind FROM metrics WHERE series_id = :series ORDER BY id"
    )
    pending: list[dict[str, object]] = []
    for series_id in list(series_ids):
        rows = connection.execute(points, {"series": series_id}).all()
        if not rows:
            continue
        steps, times = [row[0] for row in rows], [row[1] for row in rows]
        values = [decode(row[2], row[3]) for row in rows]
        for chunk in pack(series_id, steps, times, values):
            pending.append(dict(zip(CHUNK_COLUMNS, chunk, strict=True)))
        if len(pending) >= _INSERT_BATCH:
            connection.execute(chunks.insert(), pending)
            pending = []
    if pending:
        connection.execute(chunks.insert(), pending)


def downgrade() -> None:
    op.drop_table("metric_chunks")
