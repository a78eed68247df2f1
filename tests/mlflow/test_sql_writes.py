"""MLflow's databases (MLflow 2 and 3 schemas) take every write, in MLflow's format: the
rows MLflow's SqlAlchemyStore would write, read back here without MLflow."""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

import pytest

from tests.mlflow.fixtures import copy_fixture
from tuitrack.core import registry
from tuitrack.entities import LifecycleStage, Metric, Param, RunStatus, RunTag
from tuitrack.errors import AlreadyExistsError, ParamConflictError, ReadOnlyError
from tuitrack_mlflow.sql_store import MlflowSqlStore
from tuitrack_mlflow.tables import DBL_MAX
from tuitrack_sql.store import SqlTrackingStore

SQL_NAMES = ("mlflow3_sqlite", "mlflow2_sqlite")


def _rows(path: str, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


@pytest.mark.parametrize("name", SQL_NAMES)
def test_runs_are_written_as_mlflow_writes_them(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = copy_fixture(name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    store = registry.get_tracking_store(f"sqlite:///{fixture.uri}", "./mlruns")
    assert isinstance(store, MlflowSqlStore)
    experiment_id = store.create_experiment("written", tags={"owner": "ada"})
    located = store.create_experiment("located", artifact_location="./elsewhere")
    with pytest.raises(AlreadyExistsError):
        store.create_experiment("written")
    experiment = store.get_experiment(experiment_id)
    assert experiment.artifact_location == f"{tmp_path}/mlruns/{experiment_id}"
    assert store.get_experiment(located).artifact_location == f"{tmp_path}/elsewhere"
    assert experiment.tags == {"owner": "ada"}

    parent = store.create_run(experiment_id, tags={"mlflow.user": "ada"}, run_name="parent")
    run = store.create_run(experiment_id, run_name="child", parent_run_id=parent.info.run_id)
    run_id = run.info.run_id
    assert run.info.artifact_uri == f"{tmp_path}/mlruns/{experiment_id}/{run_id}/artifacts"
    assert run.info.parent_run_id == parent.info.run_id
    assert run.data.tags == {"mlflow.runName": "child", "mlflow.parentRunId": parent.info.run_id}
    assert parent.info.user_id == "ada"

    points = [math.nan, math.inf, -math.inf, 0.5]
    store.log_batch(
        run_id,
        metrics=[Metric(key="m", value=v, timestamp=10, step=i) for i, v in enumerate(points)],
        params=[Param(key="lr", value="0.1")],
        tags=[RunTag(key="mlflow.runName", value="renamed")],
    )
    store.log_metric_columns(run_id, ["m"], [0.5], [10], [3])  # the same point: kept once
    with pytest.raises(ParamConflictError):
        store.log_batch(run_id, params=[Param(key="lr", value="0.2")])
    rows = _rows(
        fixture.uri,
        f"SELECT value, is_nan, step FROM metrics WHERE run_uuid = '{run_id}' ORDER BY step",
    )
    assert rows == [(0.0, 1, 0), (DBL_MAX, 0, 1), (-DBL_MAX, 0, 2), (0.5, 0, 3)]
    latest = f"SELECT value, step FROM latest_metrics WHERE run_uuid = '{run_id}'"
    assert _rows(fixture.uri, latest) == [(0.5, 3)]
    runs = f"SELECT name, source_type, status, user_id FROM runs WHERE run_uuid = '{run_id}'"
    assert _rows(fixture.uri, runs) == [("renamed", "UNKNOWN", "RUNNING", "unknown")]

    info = store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=99)
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 99, "renamed")
    store.delete_experiment(experiment_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(ReadOnlyError, match="deleted"):
        store.log_batch(run_id, params=[Param(key="p", value="1")])
    store.restore_experiment(experiment_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE
    store.close()


def test_a_new_sqlite_path_opens_tuitracks_own_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    store = registry.get_tracking_store(uri, str(tmp_path / "artifacts"))
    assert isinstance(store, SqlTrackingStore)
    store.close()
    assert os.path.isfile(tmp_path / "mlflow.db")
    # Once tuitrack's, it stays tuitrack's: its tables are not MLflow's.
    assert registry.tracking_store_class(uri) is SqlTrackingStore
