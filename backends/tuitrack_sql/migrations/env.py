"""Alembic environment: always run with a connection handed in by tuitrack_sql.migrate."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.migration import MigrationContext, MigrationInfo

from tuitrack_sql.schema import metadata

connection = context.config.attributes["connection"]


def _commit_revision(
    ctx: MigrationContext,
    step: MigrationInfo,
    heads: Collection[Any],
    run_args: Mapping[str, Any],
) -> None:
    """MySQL/MariaDB commit each DDL statement anyway: record each revision as soon as it
    is done, so that an upgrade killed later resumes after it."""
    connection.commit()


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    on_version_apply=_commit_revision if connection.dialect.name in ("mysql", "mariadb") else None,
)
with context.begin_transaction():
    context.run_migrations()
