"""On every database: the migrated schema equals the table definitions."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tuitrack.core.store import TrackingStore
from tuitrack_sql import migrate, schema


def test_migrations_agree_with_the_models(store: TrackingStore) -> None:
    engine = store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
