"""One test body for every tracking backend and database, and every artifact store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tuitrack import registry
from tuitrack.client import TrackingClient
from tuitrack.store import TrackingStore


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


@pytest.fixture
def store(session_store: TrackingStore) -> TrackingStore:
    _empty(session_store)
    return session_store


@pytest.fixture
def client(store: TrackingStore, database_uri: str, tmp_path: Path) -> Iterator[TrackingClient]:
    tracking_client = TrackingClient(database_uri, str(tmp_path / "artifacts"))
    yield tracking_client
    tracking_client.close()


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    return store.create_experiment("contract")
