"""The example backend runs the whole contract suite, as a third-party backend would: one
fixture that makes its store, and the suite's tests and fixtures imported."""

import pytest

from tests.example_backend.store import MemoryTrackingStore
from tuitrack.testing.plugin import *  # noqa: F403
from tuitrack.testing.plugin import StoreFactory
from tuitrack.testing.suite import *  # noqa: F403


@pytest.fixture(scope="session")
def tracking_store_factory() -> StoreFactory:
    return lambda: MemoryTrackingStore("memory://example", "memory://example-artifacts")
