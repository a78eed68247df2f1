"""covering indexes for filters on params, tags and latest metrics

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from tuitrack_sql.migrations import steps

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    steps.drop_index("ix_latest_metrics_key_value", "latest_metrics")
    steps.create_index(
        "ix_latest_metrics_key_value_run_uuid", "latest_metrics", ["key", "value", "run_uuid"]
    )
    steps.create_index(
        "ix_params_key_value_run_uuid",
        "params",
        ["key", "value", "run_uuid"],
        mysql_length={"value": 255},
    )
    steps.create_index(
        "ix_tags_key_value_run_uuid",
        "tags",
        ["key", "value", "run_uuid"],
        mysql_length={"value": 255},
    )


def downgrade() -> None:
    op.drop_index("ix_tags_key_value_run_uuid", table_name="tags")
    op.drop_index("ix_params_key_value_run_uuid", table_name="params")
    op.drop_index("ix_latest_metrics_key_value_run_uuid", table_name="latest_metrics")
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
