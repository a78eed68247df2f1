"""The contract suite on tuitrack_mlflow: MLflow 3's SQL store on SQLite, PostgreSQL and
MariaDB, and mlruns folders. The SQL store takes every write, so it starts each test
emptied (MLflow's schema kept); so does an mlruns folder tuitrack makes (`mlruns`, made
anew for each test). The folder MLflow 2 made (`mlflow2_mlruns`) stands for MLflow's data:
only the suite's reading tests run on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import MetaData, text

from tests.mlflow.fixtures import copy_fixture
from tests.mlflow.servers import SERVER_NAMES, server_fixture, server_skip_reason
from tuitrack.core import registry
from tuitrack.core.capabilities import Capability
from tuitrack.core.store import TrackingStore
from tuitrack.testing.plugin import StoreFactory
from tuitrack_mlflow.mlruns_store import MlrunsStore

KINDS = ("mlflow3_sqlite", "mlflow3_postgresql", "mlflow3_mysql", "mlflow2_mlruns", "mlruns")
READING_KINDS = frozenset({"mlflow2_mlruns"})
WRITABLE_KINDS = frozenset(KINDS) - READING_KINDS

# Where MLflow's rules differ from tuitrack's contract, MLflow's SQL store follows MLflow;
# these contract tests are expected to fail there (strictly: one that passes is reported).
_HEARTBEAT = "MLflow's schema has no heartbeat, host or pid: runs are judged by last activity"
MLFLOW_DIFFERENCES = {
    "test_special_floats_are_exact": "MLflow stores +-inf as +-DBL_MAX: DBL_MAX reads as inf",
    "test_infinities_beat_finite_extremes": "MLflow stores +-inf as +-DBL_MAX",
    "test_round_trip_in_step_then_time_order": (
        "MLflow orders points of one step and time by value, not by logging order"
    ),
    "test_create_run_round_trip": _HEARTBEAT,
    "test_heartbeat": _HEARTBEAT,
    "test_killed_run_is_found_by_pid_at_once_and_marked_failed": _HEARTBEAT,
    "test_other_host_is_judged_by_heartbeat_only": _HEARTBEAT,
    "test_reused_pid_is_still_detected": _HEARTBEAT,
    "test_the_tagged_process_start_time_decides_who_owns_a_live_pid": _HEARTBEAT,
}

# tuitrack's mlruns folder meets the whole contract: it keeps heartbeats, host and pid (in
# a file of each run MLflow does not read) and +-inf as MLflow's file store does.
MLRUNS_KIND = "mlruns"

# The MLflow-made folder takes every write like the other mlruns kind, but stands for
# reading here: its declared capabilities are narrowed, so the refusal test does not apply.
_REFUSALS = "test_writes_outside_its_capabilities_are_refused"
_READING_ONLY = "mlflow2_mlruns stands for reading MLflow's data; writes run on `mlruns`"

# MLflow's MySQL tables compare text case-insensitively (utf8mb4_general_ci), in keys too:
# 'acc' and 'Acc' are one metric, 'CASE' and 'case' one experiment name.
_MYSQL_CASE = "MLflow's MySQL keys and names are case-insensitive"
MYSQL_DIFFERENCES = {
    "test_names_are_case_sensitive": _MYSQL_CASE,
    "test_tags_last_write_wins": _MYSQL_CASE,
    "test_experiment_tags_last_write_wins": _MYSQL_CASE,
    "test_summaries_agree_with_histories": _MYSQL_CASE,
}
# The search cases whose answer depends on metrics acc and Acc being two keys.
_MYSQL_CASE_SEARCHES = {
    "metrics.acc > 0.9",
    "metrics.acc >= 0.91",
    "metrics.Acc > 0",
    "NOT metrics.acc > 0.8",
    "metric.acc > 0.9 OR metrics.acc IS NULL",
    "metrics.acc > 0.9 AND (tags.env = 'staging' OR tags.env = 'PROD')",
    "['metrics.acc DESC']",
    "['metrics.acc ASC']",
}


def _difference(item: pytest.Item, params: dict[str, object]) -> str | None:
    """Why `item` (with these parameters) is expected to fail, or None."""
    name: str = item.originalname  # type: ignore[attr-defined]
    kind = params.get("mlflow_contract_store")
    if kind not in WRITABLE_KINDS:
        return None
    if kind == MLRUNS_KIND:
        return None
    if kind == "mlflow3_mysql":
        search = params.get("filter_string", params.get("order_by"))
        if name in ("test_filter_case", "test_order_case") and str(search) in _MYSQL_CASE_SEARCHES:
            return _MYSQL_CASE
        if name in MYSQL_DIFFERENCES:
            return MYSQL_DIFFERENCES[name]
    return MLFLOW_DIFFERENCES.get(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the contract tests whose rule MLflow does not share (strict xfail)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec else {}
        reason = _difference(item, params)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
        kind = params.get("mlflow_contract_store")
        if kind in READING_KINDS and item.originalname == _REFUSALS:  # type: ignore[attr-defined]
            item.add_marker(pytest.mark.skip(reason=_READING_ONLY))


@pytest.fixture(scope="session", params=KINDS)
def mlflow_contract_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingStore]:
    """A copy of the fixture of its own: the suite writes in it."""
    name: str = request.param
    folder = tmp_path_factory.mktemp(name)
    artifacts = str(tmp_path_factory.mktemp("unused"))
    if name == MLRUNS_KIND:
        yield registry.get_tracking_store(f"file:{folder / 'mlruns'}", artifacts)
        return
    if name not in SERVER_NAMES:
        store = registry.get_tracking_store(copy_fixture(name, folder).uri, artifacts)
        if name in READING_KINDS:
            store.capabilities = frozenset({Capability.OPEN_BY_URI})
        yield store
        store.close()
        return
    reason = server_skip_reason(name)
    if reason:
        pytest.skip(reason)
    with server_fixture(name, folder) as fixture:
        store = registry.get_tracking_store(fixture.uri, artifacts)
        yield store
        store.close()  # before the server fixture drops its database


@pytest.fixture(scope="session")
def tracking_store_factory(mlflow_contract_store: TrackingStore) -> StoreFactory:
    store = mlflow_contract_store
    if isinstance(store, MlrunsStore) and Capability.CREATE_RUNS in store.capabilities:
        return lambda: _fresh_mlruns(store)
    if not hasattr(mlflow_contract_store, "engine"):
        return lambda: mlflow_contract_store

    def emptied() -> TrackingStore:
        _empty(mlflow_contract_store)
        return mlflow_contract_store

    return emptied


def _fresh_mlruns(store: MlrunsStore) -> TrackingStore:
    """The folder made anew, as tuitrack makes a missing one, then emptied as the SQL
    kinds are: without MLflow's experiment "0" (its .trash marks it MLflow's)."""
    shutil.rmtree(store.root, ignore_errors=True)
    fresh = registry.get_tracking_store(store.store_uri, store.default_artifact_root)
    shutil.rmtree(store.root / "0")
    return fresh


def _empty(store: TrackingStore) -> None:
    """Delete every row of MLflow's tables but its schema revision."""
    engine = store.engine  # type: ignore[attr-defined]
    schema = MetaData()
    schema.reflect(engine)
    with engine.begin() as connection:
        if engine.dialect.name in ("mysql", "mariadb"):
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        for table in reversed(schema.sorted_tables):
            if table.name != "alembic_version":
                connection.execute(table.delete())
        if engine.dialect.name in ("mysql", "mariadb"):
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
