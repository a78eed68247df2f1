"""initial schema

Revision ID: 0001
Revises: none
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tuitrack_sql.migrations import steps

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    steps.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("artifact_location", sa.String(length=1000), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=32), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=True),
        sa.Column("last_update_time", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("name", name=op.f("uq_experiments_name")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=8000), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name=op.f("fk_experiment_tags_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "key", name=op.f("pk_experiment_tags")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=True),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("artifact_uri", sa.String(length=1000), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=32), nullable=False),
        sa.Column("parent_run_id", sa.String(length=32), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("heartbeat_time", sa.BigInteger(), nullable=True),
        sa.Column("deleted_time", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name=op.f("fk_runs_experiment_id_experiments"),
        ),
        sa.PrimaryKeyConstraint("run_uuid", name=op.f("pk_runs")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_index("ix_runs_experiment_id_start_time", "runs", ["experiment_id", "start_time"])
    steps.create_index("ix_runs_parent_run_id", "runs", ["parent_run_id"])
    steps.create_index("ix_runs_status", "runs", ["status"])

    steps.create_table(
        "latest_metrics",
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("min_value", sa.Double(), nullable=True),
        sa.Column("max_value", sa.Double(), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name=op.f("fk_latest_metrics_run_uuid_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_uuid", "key", name=op.f("pk_latest_metrics")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])

    steps.create_table(
        "metrics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
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
    steps.create_index("ix_metrics_run_uuid_key_step", "metrics", ["run_uuid", "key", "step"])

    steps.create_table(
        "params",
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=6000), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name=op.f("fk_params_run_uuid_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_uuid", "key", name=op.f("pk_params")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    steps.create_table(
        "tags",
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=8000), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"], ["runs.run_uuid"], name=op.f("fk_tags_run_uuid_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_uuid", "key", name=op.f("pk_tags")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )


def downgrade() -> None:
    op.drop_table("tags")
    op.drop_table("params")
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metrics_run_uuid_key_step"))

    op.drop_table("metrics")
    with op.batch_alter_table("latest_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_latest_metrics_key_value"))

    op.drop_table("latest_metrics")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_status"))
        batch_op.drop_index(batch_op.f("ix_runs_parent_run_id"))
        batch_op.drop_index(batch_op.f("ix_runs_experiment_id_start_time"))

    op.drop_table("runs")
    op.drop_table("experiment_tags")
    op.drop_table("experiments")
