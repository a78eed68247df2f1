"""Keys and names that differ only by trailing spaces are different keys on every database.

MariaDB's utf8mb4_bin collation pads: "loss" and "loss " were one key to it, and logging
both in one batch failed with a raw KeyError.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tuitrack.entities import Metric, Param, RunTag
from tuitrack.sdk.client import TrackingClient

KEYS = ("loss", "loss ", "loss  ")


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingClient]:
    """One store per database for the module: each test uses experiments of its own."""
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("collation")
    with fresh_database(request.param, folder) as uri:
        tracking = TrackingClient(uri, artifact_uri=str(folder / "artifacts"))
        yield tracking
        tracking.close()


def test_metric_keys_with_trailing_spaces_are_separate_series(client: TrackingClient) -> None:
    run_id = client.create_run(client.create_experiment("metric keys")).info.run_id
    client.log_batch(
        run_id,
        metrics=[
            Metric(key=key, value=10.0 * number + step, step=step, timestamp=step)
            for step in range(3)
            for number, key in enumerate(KEYS)
        ],
    )
    client.log_batch(run_id, metrics=[Metric(key="loss ", value=99.0, step=3, timestamp=3)])
    for number, key in enumerate(KEYS):
        values = [m.value for m in client.get_metric_history(run_id, key)]
        expected = [10.0 * number + step for step in range(3)] + ([99.0] if key == "loss " else [])
        assert values == expected, key
        assert len(client.get_metric_history(run_id, key, max_points=5)) == len(expected)
    assert client.get_run(run_id).data.metrics == {"loss": 2.0, "loss ": 99.0, "loss  ": 22.0}
    summaries = {
        summary.key: summary.count for summary in client.store.get_metric_summaries(run_id)
    }
    assert summaries == {"loss": 3, "loss ": 4, "loss  ": 3}
    found = client.search_runs([client.get_run(run_id).info.experiment_id], "metrics.`loss ` = 99")
    assert [run.info.run_id for run in found] == [run_id]


def test_params_and_tags_with_trailing_spaces_are_separate(client: TrackingClient) -> None:
    experiment_id = client.create_experiment("param keys", tags={"team": "a", "team ": "b"})
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        params=[Param(key=key, value=f"p{number}") for number, key in enumerate(KEYS)],
        tags=[RunTag(key=key, value=f"t{number}") for number, key in enumerate(KEYS)],
    )
    client.set_tag(run_id, "loss ", "changed")
    data = client.get_run(run_id).data
    assert data.params == {"loss": "p0", "loss ": "p1", "loss  ": "p2"}
    assert {k: v for k, v in data.tags.items() if k in KEYS} == {
        "loss": "t0",
        "loss ": "changed",
        "loss  ": "t2",
    }
    assert client.get_experiment(experiment_id).tags == {"team": "a", "team ": "b"}
    found = client.search_runs([experiment_id], "params.`loss ` = 'p1' and tags.`loss` = 't0'")
    assert [run.info.run_id for run in found] == [run_id]
    assert client.search_runs([experiment_id], "params.`loss` = 'p0 '") == []


def test_experiment_names_with_trailing_spaces_are_different(client: TrackingClient) -> None:
    first = client.create_experiment("baseline")
    second = client.create_experiment("baseline ")
    assert first != second
    found = client.get_experiment_by_name("baseline ")
    assert found is not None
    assert found.experiment_id == second
