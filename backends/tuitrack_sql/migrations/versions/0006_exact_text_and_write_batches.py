"""text compares exactly on MySQL/MariaDB; write_batches records the batches stored

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tuitrack_sql.migrations import steps

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# utf8mb4_bin is a PAD SPACE collation: "loss" and "loss " are one key to it. These are
# binary NO PAD collations (MariaDB >= 10.2, MySQL >= 8.0.17), the first one found is used.
_EXACT_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin")
_PAD_COLLATION = "utf8mb4_bin"
# Every text column but the run ids: MySQL refuses to change a column of a foreign key,
# and run ids are 32 hex digits the store issues.
_TEXT_COLUMNS = {
    "experiments": ("name", "artifact_location", "lifecycle_stage"),
    "experiment_tags": ("key", "value"),
    "runs": (
        "name",
        "user_id",
        "status",
        "artifact_uri",
        "lifecycle_stage",
        "parent_run_id",
        "host",
    ),
    "params": ("key", "value"),
    "tags": ("key", "value"),
    "latest_metrics": ("key",),
    "metric_series": ("key",),
    "metric_blocks": ("key",),
    "metrics": (),
    "metric_chunks": (),
}


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _exact_collation() -> str | None:
    names = ", ".join(f"'{name}'" for name in _EXACT_COLLATIONS)
    found = set(
        op.get_bind()
        .exec_driver_sql(
            f"SELECT COLLATION_NAME FROM information_schema.COLLATIONS "
            f"WHERE COLLATION_NAME IN ({names})"
        )
        .scalars()
    )
    return next((name for name in _EXACT_COLLATIONS if name in found), None)


def _set_collation(collation: str) -> None:
    """One ALTER per table (all of it or none), skipped where it is done already."""
    connection = op.get_bind()
    tables: dict[str, str] = dict(
        connection.exec_driver_sql(
            "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE()"
        ).all()
    )
    quote = connection.dialect.identifier_preparer.quote
    for table, names in _TEXT_COLUMNS.items():
        columns = connection.exec_driver_sql(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s",
            (table,),
        ).all()
        changes = [
            f"MODIFY {quote(name)} {kind} COLLATE {collation} "
            + ("NULL" if nullable == "YES" else "NOT NULL")
            for name, kind, nullable, current in columns
            if name in names and current != collation
        ]
        if changes or tables.get(table) != collation:
            default = f"DEFAULT CHARACTER SET utf8mb4 COLLATE {collation}"
            op.execute(f"ALTER TABLE {quote(table)} {', '.join([default, *changes])}")


def upgrade() -> None:
    collation = _exact_collation() if _is_mysql() else None
    if collation is not None:
        _set_collation(collation)
    steps.create_table(
        "write_batches",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_write_batches")),
        mysql_charset="utf8mb4",
        mysql_collate=collation or _PAD_COLLATION,
    )
    steps.create_index("ix_write_batches_created", "write_batches", ["created"])


def downgrade() -> None:
    op.drop_table("write_batches")
    if _is_mysql():
        _set_collation(_PAD_COLLATION)
