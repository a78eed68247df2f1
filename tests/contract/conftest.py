"""The contract suite (tuitrack.testing) on tuitrack_sql, once per database kind: one store
per database for the session, emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.testing.plugin import *  # noqa: F403
from tuitrack.testing.plugin import StoreFactory


@pytest.fixture(scope="session", params=DATABASE_KINDS)
def database_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as uri:
        yield uri


@pytest.fixture(scope="session")
def session_store(
    database_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingStore]:
    artifacts = tmp_path_factory.mktemp("artifacts")
    store = registry.get_tracking_store(database_uri, str(artifacts))
    yield store
    store.close()


def _empty(store: TrackingStore) -> None:
    """Remove every row so each test starts from an empty store (schema kept)."""
    from tuitrack_sql import schema

    engine = store.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        for table in reversed(schema.metadata.sorted_tables):
            connection.execute(delete(table))


@pytest.fixture(scope="session")
def tracking_store_factory(session_store: TrackingStore) -> StoreFactory:
    def emptied() -> TrackingStore:
        _empty(session_store)
        return session_store

    return emptied
