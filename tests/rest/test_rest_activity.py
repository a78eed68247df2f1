"""The experiments list over a plain MLflow server: it cannot count runs, so the count stops
at the newest runs it reads and says so (`100+`), while the RUNNING runs are all counted."""

from __future__ import annotations

import mlflow
import pytest

from tests.rest.mlflow_server import MlflowServer
from tuitrack.core.registry import get_tracking_store
from tuitrack.entities import RunStatus, ViewType
from tuitrack_rest import store as rest_store


@pytest.fixture
def many_runs(empty_mlflow_server: MlflowServer) -> tuple[MlflowServer, str]:
    client = mlflow.MlflowClient(tracking_uri=empty_mlflow_server.url)
    experiment_id = client.create_experiment("many")
    counted = rest_store._ACTIVITY_COUNTED_RUNS
    for index in range(counted + 5):
        run = client.create_run(experiment_id, start_time=1_000 + index)
        if index not in (0, counted + 4):  # the oldest and the newest keep running
            client.set_terminated(run.info.run_id, "FINISHED", end_time=2_000 + index)
    client.create_experiment("few")
    return empty_mlflow_server, experiment_id


def test_the_count_stops_at_the_newest_runs_and_says_so(
    many_runs: tuple[MlflowServer, str],
) -> None:
    server, experiment_id = many_runs
    store = get_tracking_store(server.url, "/unused")
    activity = {a.experiment.name: a for a in store.search_experiment_activity(ViewType.ALL)}
    counted = rest_store._ACTIVITY_COUNTED_RUNS
    many = activity["many"]
    assert (many.run_count, many.run_count_exact, many.run_count_text) == (
        counted,
        False,
        f"{counted}+",
    )
    # Both RUNNING runs count, the oldest too: they are read with a filter MLflow evaluates.
    assert many.running_count == 2
    running = store.count_runs([experiment_id], f"attributes.status = '{RunStatus.RUNNING}'")
    assert running == 2
    assert many.last_activity == 2_000 + counted + 3  # the latest end
    few = activity["few"]
    assert (few.run_count, few.run_count_exact, few.run_count_text) == (0, True, "0")
    assert store.count_runs([experiment_id]) == counted + 5
