"""metric_blocks: a summary per 256 steps of each series, backfilled from metrics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tuitrack_sql.migrations import steps

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Kinds of stored values (tuitrack_sql/floats.py), fixed here as this revision knows them.
FINITE, NAN, POS_INF, NEG_INF = 0, 1, 2, 3


def _point(name: str, nullable: bool) -> list[sa.Column[Any]]:
    columns = [
        sa.Column(f"{name}_step", sa.BigInteger(), nullable=nullable),
        sa.Column(f"{name}_timestamp", sa.BigInteger(), nullable=nullable),
    ]
    if name != "nan":
        columns.append(sa.Column(f"{name}_value", sa.Double(), nullable=True))
        columns.append(sa.Column(f"{name}_kind", sa.SmallInteger(), nullable=nullable))
    columns.append(sa.Column(f"{name}_seq", sa.BigInteger(), nullable=nullable))
    return columns


def upgrade() -> None:
    steps.create_table(
        "metric_blocks",
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("nans", sa.BigInteger(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        *_point("first", nullable=False),
        *_point("last", nullable=False),
        *_point("min", nullable=True),
        *_point("max", nullable=True),
        *_point("nan", nullable=True),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name=op.f("fk_metric_blocks_run_uuid_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_uuid", "key", "block", name=op.f("pk_metric_blocks")),
        sqlite_with_rowid=False,
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    if steps.is_empty("metric_blocks"):  # the backfill is one statement: all of it or none
        op.execute(_backfill_sql(op.get_bind().dialect))


def downgrade() -> None:
    op.drop_table("metric_blocks")


def _backfill_sql(dialect: sa.Dialect) -> str:
    """One INSERT ... SELECT: per (run, key, block) the counts and the ids of the first,
    last, lowest, highest and first NaN point (as the write path picks them), joined back
    to metrics for their fields. A backfilled point's seq is its id."""
    key = dialect.identifier_preparer.quote("key")
    div = " DIV " if dialect.name in ("mysql", "mariadb") else " / "
    # floor(step / 256); integer division truncates toward zero on every database, and
    # -(step + 1) cannot overflow where -step could.
    block = f"CASE WHEN step >= 0 THEN step{div}256 ELSE -((-(step + 1)){div}256) - 1 END"
    # The lowest point is -inf if any, else a finite one if any, else +inf; the highest
    # likewise. (+-inf are stored as +-DBL_MAX: the value alone cannot tell.)
    low_kind = (
        f"CASE WHEN g.most_kind = {NEG_INF} THEN {NEG_INF} "
        f"WHEN g.least_kind = {FINITE} THEN {FINITE} ELSE {POS_INF} END"
    )
    high_kind = (
        f"CASE WHEN g.has_pos_inf = 1 THEN {POS_INF} "
        f"WHEN g.least_kind = {FINITE} THEN {FINITE} ELSE {NEG_INF} END"
    )
    series = f"m.run_uuid = g.run_uuid AND m.{key} = g.series_key"
    in_block = f"{series} AND m.step BETWEEN g.first_step AND g.last_step"
    earliest = "ORDER BY m.step, m.timestamp, m.id LIMIT 1"
    groups = (
        f"SELECT run_uuid, {key} AS series_key, {block} AS block, COUNT(*) AS points, "
        "COUNT(*) - COUNT(value) AS nans, MAX(id) + 1 AS next_seq, "
        "MIN(step) AS first_step, MAX(step) AS last_step, MIN(value) AS low, "
        "MAX(value) AS high, MIN(kind) AS least_kind, MAX(kind) AS most_kind, "
        f"MAX(CASE WHEN kind = {POS_INF} THEN 1 ELSE 0 END) AS has_pos_inf "
        f"FROM metrics GROUP BY run_uuid, {key}, {block}"
    )
    chosen = (
        "SELECT g.run_uuid, g.series_key, g.block, g.points, g.nans, g.next_seq, "
        f"(SELECT m.id FROM metrics m WHERE {series} AND m.step = g.first_step "
        "ORDER BY m.timestamp, m.id LIMIT 1) AS first_id, "
        f"(SELECT m.id FROM metrics m WHERE {series} AND m.step = g.last_step "
        "ORDER BY m.timestamp DESC, m.id DESC LIMIT 1) AS last_id, "
        f"(SELECT m.id FROM metrics m WHERE {in_block} AND m.value = g.low "
        f"AND m.kind = {low_kind} {earliest}) AS min_id, "
        f"(SELECT m.id FROM metrics m WHERE {in_block} AND m.value = g.high "
        f"AND m.kind = {high_kind} {earliest}) AS max_id, "
        f"CASE WHEN g.nans > 0 THEN (SELECT m.id FROM metrics m WHERE {in_block} "
        f"AND m.value IS NULL {earliest}) END AS nan_id "
        f"FROM ({groups}) g"
    )
    names = ["run_uuid", key, "block", "points", "nans", "next_seq"]
    fields = ["c.run_uuid", "c.series_key", "c.block", "c.points", "c.nans", "c.next_seq"]
    for name, alias in (("first", "f"), ("last", "l"), ("min", "lo"), ("max", "hi"), ("nan", "n")):
        parts = ["step", "timestamp"] + (["value", "kind"] if name != "nan" else [])
        names += [f"{name}_{part}" for part in parts] + [f"{name}_seq"]
        fields += [f"{alias}.{part}" for part in parts] + [f"{alias}.id"]
    return (
        f"INSERT INTO metric_blocks ({', '.join(names)}) "
        f"SELECT {', '.join(fields)} FROM ({chosen}) c "
        "JOIN metrics f ON f.id = c.first_id "
        "JOIN metrics l ON l.id = c.last_id "
        "LEFT JOIN metrics lo ON lo.id = c.min_id "
        "LEFT JOIN metrics hi ON hi.id = c.max_id "
        "LEFT JOIN metrics n ON n.id = c.nan_id"
    )
