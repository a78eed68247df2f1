"""The contract suite's fixtures. A backend defines one of its own, `tracking_store_factory`
(and `artifacts` for an artifact store), and loads these with
`pytest_plugins = ["tuitrack.testing.plugin"]` in its root conftest.py, or with
`from tuitrack.testing.plugin import *` in the conftest.py of the folder that runs the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tuitrack.core.capabilities import Capability
from tuitrack.core.store import ArtifactStore, TrackingStore
from tuitrack.sdk.client import TrackingClient

StoreFactory = Callable[[], TrackingStore]

# What the tests that start from an empty store need to fill it.
FILLING = (Capability.CREATE_EXPERIMENTS, Capability.CREATE_RUNS, Capability.LOG_METRICS)

SERVER_SCHEMES = ("postgresql", "mysql", "mariadb", "http")


def behind_a_server(store: TrackingStore) -> bool:
    """Whether each call goes over a network (property tests try fewer examples there)."""
    scheme = store.store_uri.partition("://")[0]
    return any(name in scheme for name in SERVER_SCHEMES)


def require(store: TrackingStore, *needed: Capability) -> None:
    """Skip the calling test, naming what `store` does not declare it can do."""
    missing = [capability.name for capability in needed if capability not in store.capabilities]
    if missing:
        pytest.skip(
            f"{type(store).__name__} lacks {', '.join(missing)} (tuitrack.core.capabilities)"
        )


def _missing(fixture: str, what: str) -> NoReturn:
    message = f"the tuitrack contract suite needs a `{fixture}` fixture: {what}"
    pytest.fail(f"{message} (see tuitrack.testing)", pytrace=False)


@pytest.fixture(scope="session")
def tracking_store_factory() -> StoreFactory:
    """Override this (session or module scope): a callable that returns a store in its
    starting state each time it is called. A store that declares every Capability.FILLING
    starts empty; it may be the same object every time, emptied. A store that cannot be
    filled starts with the data it holds, and only the suite's reading tests run on it."""
    _missing("tracking_store_factory", "a callable returning the TrackingStore to test")


@pytest.fixture
def any_store(tracking_store_factory: StoreFactory) -> TrackingStore:
    """The store in its starting state, whatever it can do."""
    return tracking_store_factory()


@pytest.fixture
def store(any_store: TrackingStore) -> TrackingStore:
    """An empty store that takes every write (tests skip on stores that do not)."""
    require(any_store, *FILLING)
    return any_store


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    return store.create_experiment("contract")


@pytest.fixture
def client(store: TrackingStore, tmp_path: Path) -> Iterator[TrackingClient]:
    """A second client of the same store, opened from its URI."""
    require(store, Capability.OPEN_BY_URI)
    tracking_client = TrackingClient(store.store_uri, artifact_uri=str(tmp_path / "artifacts"))
    yield tracking_client
    tracking_client.close()


@pytest.fixture
def artifacts() -> ArtifactStore:
    """Override this: an ArtifactStore over an empty root of its own."""
    _missing("artifacts", "an ArtifactStore over an empty root")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A local directory tree to upload: a.txt, data/b.bin, data/deep/c.json."""
    src = tmp_path / "src"
    (src / "data" / "deep").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "data" / "b.bin").write_bytes(b"\x00\x01\x02")
    (src / "data" / "deep" / "c.json").write_text('{"c": 1}')
    return src
