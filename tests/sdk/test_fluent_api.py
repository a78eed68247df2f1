"""The module-level API against a real SQLite store, in this process."""

from __future__ import annotations

import math

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack import InvalidValueError, ParamConflictError, RunStatus


def test_nan_and_infinities_round_trip(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("weird", math.nan, step=0)
        tuitrack.log_metric("weird", math.inf, step=1)
        tuitrack.log_metric("weird", -math.inf, step=2)
        tuitrack.log_metrics({"plain": 1.5, "int": 3}, step=7)
    values = fluent_sandbox.metric_values(run.info.run_id, "weird")
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf]
    stored = tuitrack.get_run(run.info.run_id).data.metrics
    assert stored["plain"] == 1.5
    assert stored["int"] == 3.0
    assert stored["weird"] == -math.inf


def test_metric_steps_timestamps_and_order_are_kept(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as run:
        for step in range(3000):
            tuitrack.log_metric("a", float(step), step=step)
            tuitrack.log_metric("b", float(-step), step=step, timestamp=1_700_000_000_000 + step)
    history = fluent_sandbox.client.get_metric_history(run.info.run_id, "b")
    assert [m.step for m in history] == list(range(3000))
    assert [m.timestamp for m in history] == [1_700_000_000_000 + s for s in range(3000)]
    assert fluent_sandbox.metric_values(run.info.run_id, "a") == [float(s) for s in range(3000)]


@pytest.mark.parametrize(
    ("key", "value"),
    [("", 1.0), ("../escape", 1.0), ("bad\nkey", 1.0), ("loss", "high"), ("loss", None)],
)
def test_invalid_metrics_raise_at_the_call(
    fluent_sandbox: SdkSandbox, key: str, value: object
) -> None:
    with tuitrack.start_run(), pytest.raises(InvalidValueError):
        tuitrack.log_metric(key, value)  # type: ignore[arg-type]


def test_a_param_logged_again_with_another_value_raises_at_the_call(
    fluent_sandbox: SdkSandbox,
) -> None:
    with tuitrack.start_run() as run:
        assert tuitrack.log_param("lr", 0.1) == 0.1
        tuitrack.log_param("lr", 0.1)  # same value: fine
        with pytest.raises(ParamConflictError) as caught:
            tuitrack.log_param("lr", 0.2)
        assert "'0.1'" in str(caught.value)
        assert "'0.2'" in str(caught.value)
        tuitrack.log_params({"layers": 4, "act": "relu"})
    assert tuitrack.get_run(run.info.run_id).data.params == {
        "lr": "0.1",
        "layers": "4",
        "act": "relu",
    }


def test_a_resumed_run_knows_its_params_and_runs_again(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as first:
        tuitrack.log_param("seed", 1)
        tuitrack.log_metric("loss", 1.0, step=0)
    with tuitrack.start_run(run_id=first.info.run_id) as resumed:
        assert resumed.info.status is RunStatus.RUNNING
        with pytest.raises(ParamConflictError):
            tuitrack.log_param("seed", 2)
        tuitrack.log_metric("loss", 0.5, step=1)
    run = tuitrack.get_run(first.info.run_id)
    assert run.info.status is RunStatus.FINISHED
    assert fluent_sandbox.metric_values(run.info.run_id, "loss") == [1.0, 0.5]


def test_nested_runs_record_their_parent(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run(run_name="sweep") as parent:
        with pytest.raises(InvalidValueError, match="nested=True"):
            tuitrack.start_run()
        with tuitrack.start_run(run_name="trial", nested=True) as child:
            tuitrack.log_metric("acc", 0.9)
            assert tuitrack.active_run() == child
        assert tuitrack.active_run() == parent
    assert tuitrack.active_run() is None
    stored = tuitrack.get_run(child.info.run_id)
    assert stored.info.parent_run_id == parent.info.run_id
    assert stored.info.run_name == "trial"
    assert stored.data.metrics == {"acc": 0.9}
    assert tuitrack.last_active_run() == tuitrack.get_run(parent.info.run_id)


def test_leaving_a_parent_ends_its_forgotten_children(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as parent:
        child = tuitrack.start_run(nested=True)
    assert tuitrack.get_run(child.info.run_id).info.status is RunStatus.FINISHED
    assert tuitrack.get_run(parent.info.run_id).info.status is RunStatus.FINISHED


def test_end_run_takes_a_status(fluent_sandbox: SdkSandbox) -> None:
    run = tuitrack.start_run()
    tuitrack.end_run("killed")
    assert tuitrack.get_run(run.info.run_id).info.status is RunStatus.KILLED
    with pytest.raises(InvalidValueError, match="FINISHED"):
        tuitrack.end_run("DONE")


def test_tags_description_and_system_tags(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run(tags={"team": "vision"}, description="baseline") as run:
        tuitrack.set_tag("stage", "one")
        tuitrack.set_tag("stage", "two")
        tuitrack.set_tags({"owner": "me"})
    tags = tuitrack.get_run(run.info.run_id).data.tags
    assert tags["team"] == "vision"
    assert tags["stage"] == "two"
    assert tags["owner"] == "me"
    assert tags["mlflow.note.content"] == "baseline"
    for key in ("tuitrack.host", "tuitrack.pid", "tuitrack.python.version"):
        assert tags[key]


def test_search_runs_as_a_list_and_as_a_dataframe(fluent_sandbox: SdkSandbox) -> None:
    for lr in (0.1, 0.01):
        with tuitrack.start_run():
            tuitrack.log_param("lr", lr)
            tuitrack.log_metric("loss", lr * 10)
            tuitrack.set_tag("kind", "sweep")
    runs = tuitrack.search_runs(output_format="list")
    assert all(isinstance(r, tuitrack.Run) for r in runs)
    assert sorted(r.data.params["lr"] for r in runs) == ["0.01", "0.1"]
    frame = tuitrack.search_runs(output_format="pandas").sort_values("params.lr")
    assert list(frame["params.lr"]) == ["0.01", "0.1"]
    assert list(frame["metrics.loss"]) == [0.1, 1.0]
    assert list(frame["tags.kind"]) == ["sweep", "sweep"]
    assert list(frame["status"]) == ["FINISHED", "FINISHED"]
    assert {"run_id", "experiment_id", "artifact_uri", "start_time", "end_time"} <= set(
        frame.columns
    )


def test_set_experiment_creates_it_once(fluent_sandbox: SdkSandbox) -> None:
    first = tuitrack.set_experiment("vision")
    again = tuitrack.set_experiment("vision")
    assert first.experiment_id == again.experiment_id
    assert tuitrack.get_experiment_by_name("vision") == first
    with tuitrack.start_run() as run:
        pass
    assert run.info.experiment_id == first.experiment_id


def test_threads_log_into_the_main_run_unless_they_start_their_own(
    fluent_sandbox: SdkSandbox,
) -> None:
    import threading

    own_runs: list[str] = []

    def helper(index: int) -> None:
        for step in range(500):
            tuitrack.log_metric(f"thread{index}", float(step), step=step)

    def own_run() -> None:
        with tuitrack.start_run() as run:  # not nested: this thread had no run
            tuitrack.log_metric("own", 1.0)
        own_runs.append(run.info.run_id)

    with tuitrack.start_run() as main:
        threads = [threading.Thread(target=helper, args=(i,)) for i in range(4)]
        threads.append(threading.Thread(target=own_run))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert tuitrack.active_run() == main
    for index in range(4):
        values = fluent_sandbox.metric_values(main.info.run_id, f"thread{index}")
        assert values == [float(step) for step in range(500)]
    assert tuitrack.get_run(own_runs[0]).data.metrics == {"own": 1.0}
    assert "own" not in tuitrack.get_run(main.info.run_id).data.metrics


def test_numpy_scalars_are_accepted_as_values_and_steps(fluent_sandbox: SdkSandbox) -> None:
    numpy = pytest.importorskip("numpy")
    with tuitrack.start_run() as run:
        tuitrack.log_metric("loss", numpy.float32(0.5), step=numpy.int64(3))
        tuitrack.log_metrics({"acc": numpy.float64(0.25)}, step=numpy.int32(4))
    history = fluent_sandbox.client.get_metric_history(run.info.run_id, "loss")
    assert [(m.value, m.step) for m in history] == [(0.5, 3)]
    assert tuitrack.get_run(run.info.run_id).data.metrics["acc"] == 0.25
