"""the datasets runs were given (log_inputs): datasets, inputs and input_tags

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

The three tables as MLflow names and lays them out (see schema.py). On MySQL/MariaDB they
take the exact (NO PAD binary) collation migration 0006 gave the other tables, where the
server has one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import MEDIUMTEXT

from tuitrack_sql.migrations import steps

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_EXACT_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin")  # as in 0006, first found
_PAD_COLLATION = "utf8mb4_bin"
_LONG_TEXT = sa.Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb")


def _mysql_options() -> dict[str, str]:
    """The table options of a new table on MySQL/MariaDB; none elsewhere."""
    connection = op.get_bind()
    if connection.dialect.name not in ("mysql", "mariadb"):
        return {}
    names = ", ".join(f"'{name}'" for name in _EXACT_COLLATIONS)
    found = set(
        connection.exec_driver_sql(
            f"SELECT COLLATION_NAME FROM information_schema.COLLATIONS "
            f"WHERE COLLATION_NAME IN ({names})"
        ).scalars()
    )
    collation = next((name for name in _EXACT_COLLATIONS if name in found), _PAD_COLLATION)
    return {"mysql_charset": "utf8mb4", "mysql_collate": collation}


def upgrade() -> None:
    options = _mysql_options()
    steps.create_table(
        "datasets",
        sa.Column("dataset_uuid", sa.String(length=36), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=36), nullable=False),
        sa.Column("dataset_source_type", sa.String(length=36), nullable=False),
        sa.Column("dataset_source", _LONG_TEXT, nullable=False),
        sa.Column("dataset_schema", _LONG_TEXT, nullable=True),
        sa.Column("dataset_profile", _LONG_TEXT, nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", "name", "digest", name=op.f("pk_datasets")),
        sa.UniqueConstraint("dataset_uuid", name=op.f("uq_datasets_dataset_uuid")),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name=op.f("fk_datasets_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        **options,
    )
    steps.create_table(
        "inputs",
        sa.Column("input_uuid", sa.String(length=36), nullable=False),
        sa.Column("source_type", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("destination_type", sa.String(length=36), nullable=False),
        sa.Column("destination_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_type", "source_id", "destination_type", "destination_id", name=op.f("pk_inputs")
        ),
        sa.UniqueConstraint("input_uuid", name=op.f("uq_inputs_input_uuid")),
        **options,
    )
    steps.create_index(
        "ix_inputs_destination_type_destination_id_source_type",
        "inputs",
        ["destination_type", "destination_id", "source_type"],
    )
    steps.create_table(
        "input_tags",
        sa.Column("input_uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("input_uuid", "name", name=op.f("pk_input_tags")),
        sa.ForeignKeyConstraint(
            ["input_uuid"],
            ["inputs.input_uuid"],
            name=op.f("fk_input_tags_input_uuid_inputs"),
            ondelete="CASCADE",
        ),
        **options,
    )


def downgrade() -> None:
    steps.drop_table("input_tags")
    steps.drop_table("inputs")
    steps.drop_table("datasets")
