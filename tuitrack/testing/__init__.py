"""The storage contract's test suite, for any backend: pytest tests that every TrackingStore
(and ArtifactStore) must pass, run here on tuitrack_sql, tuitrack_mlflow and tuitrack_fsspec.

A backend's tests need two things: the suite's fixtures, and one fixture of its own that
makes its store. In a conftest.py::

    import pytest
    from tuitrack.testing.plugin import *  # noqa: F403

    @pytest.fixture(scope="session")
    def tracking_store_factory(tmp_path_factory):
        return lambda: MyStore("mystore://...", str(tmp_path_factory.mktemp("artifacts")))

and in a test module::

    from tuitrack.testing.suite import *  # noqa: F403

The factory returns the store in its starting state at each call: empty, for a store that
declares every capability of plugin.FILLING (see tuitrack.core.capabilities); otherwise the data
it holds, which the reading tests (reading.py) check for consistency while the tests that
fill a store skip, naming the capability it lacks. For an artifact store, define an
`artifacts` fixture (an ArtifactStore over an empty root) and import
`tuitrack.testing.artifacts`. Needs pytest and hypothesis (the `dev` extra).
"""
