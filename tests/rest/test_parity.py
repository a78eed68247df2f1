"""Parity with MLflow's own client on a real `mlflow server`: the same questions asked through
`mlflow.MlflowClient(tracking_uri=server.url)` and through tuitrack's REST store get the same
answers, on data written by both sides (MLflow's client, tuitrack's TrackingClient and
tuitrack's fluent API with TUITRACK_TRACKING_URI), so each side reads the other's writes.

The differences allowed are the ones tuitrack documents: a metric history comes by step then
time (MLflow's server sends it by time, then step), and +-inf, which MLflow's server stores as
+-DBL_MAX, reads as +-inf in tuitrack (MLflow's client hands back +-DBL_MAX).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import tuitrack
from tests.rest.mlflow_server import MlflowServer
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, Param, RunStatus, RunTag, ViewType
from tuitrack.sdk.client import TrackingClient
from tuitrack.sdk.state import STATE
from tuitrack.testing.history_reference import as_points, reference_downsample

if TYPE_CHECKING:
    from mlflow import MlflowClient

T0 = 1_700_000_000_000  # the runs' start times, in ms, count from here
INF = math.inf
NAN = math.nan

# MLflow's ViewType is a class of ints.
MLFLOW_VIEW_TYPES = {ViewType.ACTIVE_ONLY: 1, ViewType.DELETED_ONLY: 2, ViewType.ALL: 3}


@dataclass(frozen=True)
class PlannedRun:
    """One run the fixture writes, through MLflow's client or tuitrack's."""

    name: str
    writer: str  # "mlflow" or "tuitrack"
    experiment: str
    start: int  # ms after T0
    status: RunStatus
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, list[float]]  # key -> value at step 0, 1, 2, ...
    deleted_by: str | None = None  # "mlflow" or "tuitrack": deleted after writing


PLANNED_RUNS = (
    PlannedRun(
        "mlf-a", "mlflow", "parity-mlflow", 0, RunStatus.FINISHED,
        {"lr": "0.01", "optimizer": "adam"}, {"team": "vision"},
        {"loss": [1.0, 0.5, 0.25], "acc": [0.5, 0.9]},
    ),
    PlannedRun(
        "mlf-b", "mlflow", "parity-mlflow", 1000, RunStatus.FAILED,
        {"lr": "0.1", "optimizer": "sgd"}, {"team": "nlp"},
        {"loss": [0.8, NAN, INF], "acc": [0.7]},
    ),
    PlannedRun(
        "mlf-c", "mlflow", "parity-tuitrack", 2000, RunStatus.RUNNING,
        {"lr": "0.01"}, {"team": "nlp", "stage": "dev"},
        {"loss": [-INF, 0.3]},
    ),
    PlannedRun(
        "mlf-d", "mlflow", "parity-mlflow", 2500, RunStatus.FINISHED,
        {"lr": "0.5"}, {"team": "vision"}, {"loss": [0.6]}, deleted_by="tuitrack",
    ),
    PlannedRun(
        "tui-a", "tuitrack", "parity-mlflow", 3000, RunStatus.FINISHED,
        {"lr": "0.001", "optimizer": "adam"}, {"team": "vision", "stage": "prod"},
        {"loss": [0.9, 0.4, 0.2], "acc": [0.85]},
    ),
    PlannedRun(
        "tui-b", "tuitrack", "parity-tuitrack", 2000, RunStatus.KILLED,  # start tie: mlf-c
        {"lr": "0.1", "optimizer": "sgd"}, {"team": "nlp"},
        {"loss": [NAN, INF, -INF, 0.1], "acc": [0.95, 0.97]},
    ),
    PlannedRun(
        "tui-c", "tuitrack", "parity-mlflow", 4000, RunStatus.FINISHED,
        {"lr": "0.01"}, {"team": "audio"}, {"loss": [0.35]}, deleted_by="mlflow",
    ),
    PlannedRun(
        "tui-d", "tuitrack", "parity-mlflow", 5000, RunStatus.RUNNING,
        {"lr": "0.05", "optimizer": "adam"}, {}, {"loss": [0.45, 0.42], "acc": [0.8]},
    ),
)  # fmt: skip

LONG_RUN = "mlf-long"  # more points than MLflow's bulk-interval endpoint returns whole
LONG_STEPS = 3000
FLUENT_RUN = "fluent"
FLUENT_STEPS = 40
CHILD_RUN = "tui-child"  # tuitrack's run nested in MLflow's mlf-a


def metric_timestamp(start: int, step: int) -> int:
    return T0 + start + 100 + 10 * step


@dataclass
class Parity:
    """The server, both clients, and the ids of what the fixture wrote."""

    server: MlflowServer
    mlflow: MlflowClient
    client: TrackingClient
    store: TrackingStore
    experiments: dict[str, str] = field(default_factory=dict)  # name -> id
    runs: dict[str, str] = field(default_factory=dict)  # name -> id


@pytest.fixture(scope="module")
def parity(
    mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Parity]:
    from mlflow import MlflowClient

    mlflow_server.empty()
    artifact_root = str(tmp_path_factory.mktemp("parity-artifacts"))
    client = TrackingClient(mlflow_server.url, artifact_uri=artifact_root)
    reader = registry.get_tracking_store(mlflow_server.url, artifact_root)
    data = Parity(mlflow_server, MlflowClient(tracking_uri=mlflow_server.url), client, reader)
    _write_experiments(data)
    for planned in PLANNED_RUNS:
        _write_run(data, planned)
    _write_child_run(data)
    _write_long_run(data)
    with pytest.MonkeyPatch.context() as patch:
        _write_fluent_run(data, patch, artifact_root)
    for planned in PLANNED_RUNS:
        if planned.deleted_by == "mlflow":
            data.mlflow.delete_run(data.runs[planned.name])
        elif planned.deleted_by == "tuitrack":
            data.client.delete_run(data.runs[planned.name])
    _write_artifacts(data, tmp_path_factory.mktemp("parity-files"))
    _write_inputs(data)
    _delete_tags(data)
    yield data
    reader.close()
    client.close()


def _write_experiments(data: Parity) -> None:
    ids = data.experiments
    ids["parity-mlflow"] = data.mlflow.create_experiment(
        "parity-mlflow", tags={"team": "vision", "owner": "ana"}
    )
    ids["parity-tuitrack"] = data.client.create_experiment("parity-tuitrack", tags={"team": "nlp"})
    ids["parity-deleted"] = data.mlflow.create_experiment("parity-deleted")
    data.client.delete_experiment(ids["parity-deleted"])
    ids["parity-renamed"] = data.client.create_experiment("Parity-before-rename")
    data.mlflow.rename_experiment(ids["parity-renamed"], "parity-renamed")
    data.mlflow.set_experiment_tag(ids["parity-renamed"], "team", "vision")
    data.client.set_experiment_tag(ids["parity-tuitrack"], "owner", "bo")
    ids["Default"] = "0"


def _write_run(data: Parity, planned: PlannedRun) -> None:
    experiment_id = data.experiments[planned.experiment]
    start_time = T0 + planned.start
    points = [
        (key, value, metric_timestamp(planned.start, step), step)
        for key, values in planned.metrics.items()
        for step, value in enumerate(values)
    ]
    end_time = None if planned.status is RunStatus.RUNNING else start_time + 900
    if planned.writer == "mlflow":
        from mlflow.entities import Metric as MlflowMetric
        from mlflow.entities import Param as MlflowParam

        run_id = data.mlflow.create_run(
            experiment_id, start_time=start_time, tags=planned.tags, run_name=planned.name
        ).info.run_id
        data.mlflow.log_batch(
            run_id,
            metrics=[MlflowMetric(key, value, time, step) for key, value, time, step in points],
            params=[MlflowParam(key, value) for key, value in planned.params.items()],
        )
        if end_time is not None:
            data.mlflow.set_terminated(run_id, planned.status.value, end_time=end_time)
    else:
        run_id = data.client.create_run(
            experiment_id, start_time=start_time, tags=planned.tags, run_name=planned.name
        ).info.run_id
        data.client.log_batch(
            run_id,
            metrics=[Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in points],
            params=[Param(key=key, value=value) for key, value in planned.params.items()],
        )
        if end_time is not None:
            data.client.set_terminated(run_id, planned.status, end_time=end_time)
    data.runs[planned.name] = run_id


def _write_child_run(data: Parity) -> None:
    run = data.client.create_run(
        data.experiments["parity-mlflow"],
        start_time=T0 + 6000,
        run_name=CHILD_RUN,
        parent_run_id=data.runs["mlf-a"],
    )
    data.client.log_batch(
        run.info.run_id,
        metrics=[Metric(key="loss", value=0.7, timestamp=T0 + 6100, step=0)],
        tags=[RunTag(key="team", value="vision")],
    )
    data.runs[CHILD_RUN] = run.info.run_id


def long_value(step: int) -> float:
    if step == 1234:
        return NAN
    if step % 500 == 250:
        return 10.0  # spikes the thinned series must keep
    return math.sin(step / 40) / (1 + step / 1000)


def _write_long_run(data: Parity) -> None:
    from mlflow.entities import Metric as MlflowMetric

    experiment_id = data.mlflow.create_experiment("parity-long")
    data.experiments["parity-long"] = experiment_id
    run_id = data.mlflow.create_run(experiment_id, start_time=T0, run_name=LONG_RUN).info.run_id
    points = [MlflowMetric("loss", long_value(s), T0 + s, s) for s in range(LONG_STEPS)]
    for start in range(0, LONG_STEPS, 1000):
        data.mlflow.log_batch(run_id, metrics=points[start : start + 1000])
    data.mlflow.set_terminated(run_id, "FINISHED", end_time=T0 + LONG_STEPS)
    data.runs[LONG_RUN] = run_id


def _write_fluent_run(data: Parity, patch: pytest.MonkeyPatch, artifact_root: str) -> None:
    """A run logged as a training script logs, through TUITRACK_TRACKING_URI."""
    patch.setenv("TUITRACK_TRACKING_URI", data.server.url)
    patch.setenv("TUITRACK_ARTIFACT_URI", artifact_root)
    STATE.reset()
    try:
        with tuitrack.start_run(
            experiment_id=data.experiments["parity-tuitrack"], run_name=FLUENT_RUN
        ) as run:
            tuitrack.log_param("lr", "0.05")
            tuitrack.set_tag("team", "nlp")
            for step in range(FLUENT_STEPS):
                tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
            tuitrack.log_metric("loss", NAN, step=FLUENT_STEPS)
        data.runs[FLUENT_RUN] = run.info.run_id
    finally:
        STATE.reset()


def _write_artifacts(data: Parity, folder: Path) -> None:
    local = folder / "weights.bin"
    local.write_bytes(bytes(range(256)) * 4)
    data.mlflow.log_text(data.runs["mlf-a"], "hello from MLflow", "notes/readme.txt")
    data.mlflow.log_dict(data.runs["mlf-a"], {"layers": 3}, "config.json")
    data.mlflow.log_artifact(data.runs["mlf-a"], str(local), "model")
    data.client.log_text(data.runs["tui-a"], "hello from tuitrack", "notes/readme.txt")
    data.client.log_dict(data.runs["tui-a"], {"layers": 4}, "config.json")
    data.client.log_artifact(data.runs["tui-a"], str(local), "model")


TRAIN = ("train", "d1g35t", "local", "/data/train.csv", '{"cols": ["x"]}', '{"rows": 10}')
EVAL = ("eval", "e2v4l", "http", "https://example.org/eval.csv", None, None)
CONTEXT_TAG = "mlflow.data.context"


def _write_inputs(data: Parity) -> None:
    """Each side logs datasets, one of them (train) to runs of both writers, so that it is
    stored once for the experiment whoever logged it first."""
    from mlflow.entities import Dataset as MlflowDataset
    from mlflow.entities import DatasetInput as MlflowInput
    from mlflow.entities import InputTag as MlflowInputTag

    from tuitrack.core.datasets import Dataset, DatasetInput, InputTag

    data.mlflow.log_inputs(
        data.runs["mlf-a"],
        [
            MlflowInput(MlflowDataset(*TRAIN), [MlflowInputTag(CONTEXT_TAG, "training")]),
            MlflowInput(MlflowDataset(*EVAL), [MlflowInputTag(CONTEXT_TAG, "eval")]),
        ],
    )
    data.client.log_inputs(
        data.runs["tui-a"],
        [DatasetInput(Dataset(*TRAIN), [InputTag(CONTEXT_TAG, "training")])],
    )
    data.client.log_inputs(data.runs["tui-d"], [DatasetInput(Dataset(*EVAL), [])])


def _delete_tags(data: Parity) -> None:
    """A tag set by one side and deleted by the other, on runs and on an experiment."""
    data.mlflow.set_tag(data.runs["tui-a"], "temporary", "from MLflow")
    data.client.delete_tag(data.runs["tui-a"], "temporary")
    data.client.set_tag(data.runs["mlf-a"], "temporary", "from tuitrack")
    data.mlflow.delete_tag(data.runs["mlf-a"], "temporary")
    data.client.set_experiment_tag(data.experiments["parity-mlflow"], "temporary", "x")
    data.mlflow.delete_experiment_tag(data.experiments["parity-mlflow"], "temporary")


# --- views: what both sides' entities must agree on -----------------------------------------


def number(value: float) -> float | str:
    """A float that compares equal to itself (NaN is not); MLflow's +-DBL_MAX as +-inf."""
    if math.isnan(value):
        return "NaN"
    if abs(value) == sys.float_info.max:
        return math.copysign(INF, value)
    return value


def experiment_view(experiment: Any) -> dict[str, Any]:
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "tags": dict(experiment.tags),
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
    }


def run_view(run: Any) -> dict[str, Any]:
    info = run.info
    return {
        "run_id": info.run_id,
        "experiment_id": info.experiment_id,
        "run_name": info.run_name,
        "user_id": info.user_id,
        "status": str(info.status),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": str(info.lifecycle_stage),
        "metrics": {key: number(value) for key, value in run.data.metrics.items()},
        "params": dict(run.data.params),
        "tags": dict(run.data.tags),
        "inputs": inputs_view(run),
    }


def inputs_view(run: Any) -> list[tuple[Any, ...]]:
    """The run's dataset inputs, in a stable order (MLflow's run may have no inputs)."""
    inputs = run.inputs.dataset_inputs if run.inputs is not None else []
    return sorted(
        (
            given.dataset.name,
            given.dataset.digest,
            given.dataset.source_type,
            given.dataset.source,
            given.dataset.schema,
            given.dataset.profile,
            tuple((tag.key, tag.value) for tag in given.tags),
        )
        for given in inputs
    )


def history_view(points: Sequence[Any]) -> list[tuple[str, float | str, int, int]]:
    return [(p.key, number(p.value), p.timestamp, p.step) for p in points]


def every_mlflow_run(
    parity: Parity,
    experiment_ids: list[str],
    filter_string: str,
    order_by: list[str] | None,
    page_size: int,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = parity.mlflow.search_runs(
            experiment_ids,
            filter_string,
            MLFLOW_VIEW_TYPES[view_type],
            page_size,
            order_by,
            token,
        )
        found.extend(page)
        token = page.token
        if not token:
            return found


def every_tuitrack_run(
    parity: Parity,
    experiment_ids: list[str],
    filter_string: str,
    order_by: list[str] | None,
    page_size: int,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = parity.store.search_runs(
            experiment_ids, filter_string or None, view_type, page_size, order_by, token
        )
        found.extend(page)
        token = page.token
        if not token:
            return found


# --- experiments ----------------------------------------------------------------------------

EXPERIMENT_NAMES = (
    "Default",
    "parity-mlflow",
    "parity-tuitrack",
    "parity-deleted",
    "parity-renamed",
    "parity-long",
)


@pytest.mark.parametrize("name", EXPERIMENT_NAMES)
def test_get_experiment_and_by_name(parity: Parity, name: str) -> None:
    experiment_id = parity.experiments[name]
    expected = experiment_view(parity.mlflow.get_experiment(experiment_id))
    assert experiment_view(parity.store.get_experiment(experiment_id)) == expected
    by_name = parity.store.get_experiment_by_name(name)
    assert by_name is not None
    assert experiment_view(by_name) == experiment_view(parity.mlflow.get_experiment_by_name(name))


def test_absent_experiment_name_is_none_on_both_sides(parity: Parity) -> None:
    assert parity.mlflow.get_experiment_by_name("Parity-before-rename") is None
    assert parity.store.get_experiment_by_name("Parity-before-rename") is None


EXPERIMENT_SEARCHES = [
    (ViewType.ACTIVE_ONLY, None, None),
    (ViewType.ALL, None, None),
    (ViewType.DELETED_ONLY, None, None),
    (ViewType.ALL, "name LIKE 'parity-%'", ["name ASC"]),
    (ViewType.ACTIVE_ONLY, "tags.team = 'vision'", ["name DESC"]),
    (ViewType.ALL, "attribute.name != 'Default'", ["creation_time DESC"]),
    (ViewType.ACTIVE_ONLY, "tags.owner ILIKE 'A%'", None),
    (ViewType.ALL, None, ["last_update_time ASC", "name ASC"]),
    (ViewType.ALL, None, ["experiment_id DESC"]),
]


@pytest.mark.parametrize(("view_type", "filter_string", "order_by"), EXPERIMENT_SEARCHES)
@pytest.mark.parametrize("page_size", [1, 1000])
def test_search_experiments(
    parity: Parity,
    view_type: ViewType,
    filter_string: str | None,
    order_by: list[str] | None,
    page_size: int,
) -> None:
    mlflow_found: list[Any] = []
    tuitrack_found: list[Any] = []
    mlflow_token = tuitrack_token = None
    while True:
        mlflow_page = parity.mlflow.search_experiments(
            MLFLOW_VIEW_TYPES[view_type], page_size, filter_string, order_by, mlflow_token
        )
        mlflow_found.extend(mlflow_page)
        mlflow_token = mlflow_page.token
        if not mlflow_token:
            break
    while True:
        page = parity.store.search_experiments(
            view_type, page_size, filter_string, order_by, tuitrack_token
        )
        tuitrack_found.extend(page)
        tuitrack_token = page.token
        if not tuitrack_token:
            break
    assert mlflow_found, "a search that finds nothing compares nothing"
    expected = [experiment_view(e) for e in mlflow_found]
    assert [experiment_view(e) for e in tuitrack_found] == expected


# --- runs -----------------------------------------------------------------------------------

RUN_NAMES = [planned.name for planned in PLANNED_RUNS] + [FLUENT_RUN, CHILD_RUN, LONG_RUN]


@pytest.mark.parametrize("name", RUN_NAMES)
def test_get_run(parity: Parity, name: str) -> None:
    run_id = parity.runs[name]
    assert run_view(parity.store.get_run(run_id)) == run_view(parity.mlflow.get_run(run_id))


def test_each_side_reads_what_the_other_wrote(parity: Parity) -> None:
    for planned in PLANNED_RUNS:
        reader = parity.store if planned.writer == "mlflow" else parity.mlflow
        run = reader.get_run(parity.runs[planned.name])
        assert run.info.run_name == planned.name
        assert run.info.start_time == T0 + planned.start
        assert str(run.info.status) == planned.status.value
        assert dict(run.data.params) == planned.params
        assert {k: run.data.tags[k] for k in planned.tags} == planned.tags
        latest = {key: number(values[-1]) for key, values in planned.metrics.items()}
        assert {k: number(v) for k, v in run.data.metrics.items()} == latest
    for reader in (parity.store, parity.mlflow):
        for name in ("tui-a", "mlf-a"):
            assert "temporary" not in reader.get_run(parity.runs[name]).data.tags
        assert "temporary" not in reader.get_experiment(parity.experiments["parity-mlflow"]).tags
    training = ((CONTEXT_TAG, "training"),)
    assert inputs_view(parity.store.get_run(parity.runs["mlf-a"])) == [
        (*EVAL, ((CONTEXT_TAG, "eval"),)),
        (*TRAIN, training),
    ]
    assert inputs_view(parity.mlflow.get_run(parity.runs["tui-a"])) == [(*TRAIN, training)]
    child = parity.mlflow.get_run(parity.runs[CHILD_RUN])
    assert child.data.tags["mlflow.parentRunId"] == parity.runs["mlf-a"]
    assert parity.store.get_run(parity.runs[CHILD_RUN]).info.parent_run_id == parity.runs["mlf-a"]


RUN_FILTERS = [
    "",
    "metrics.loss < 0.5",
    "metrics.acc >= 0.8",
    "params.lr = '0.01'",
    "params.optimizer != 'sgd'",
    "tags.team = 'vision'",
    "params.optimizer LIKE '%a%'",
    "tags.stage != 'dev'",
    "attributes.status = 'FINISHED'",
    "attributes.run_name LIKE 'tui-%'",
    "attributes.run_name ILIKE 'MLF-%'",
    f"attributes.start_time > {T0 + 1500}",
    "metrics.acc > 0.6 AND params.optimizer = 'adam' AND tags.team = 'vision'",
    "tags.`mlflow.runName` = 'mlf-a'",
]
RUN_ORDERS = [
    None,
    ["metrics.loss ASC"],
    ["metrics.acc DESC"],
    ["params.lr DESC", "attributes.start_time ASC"],
    ["attributes.run_name"],
    ["tags.team DESC", "attributes.end_time ASC"],
    ["attributes.start_time ASC"],
]


def _searched_experiments(parity: Parity) -> list[str]:
    return [parity.experiments["parity-mlflow"], parity.experiments["parity-tuitrack"]]


@pytest.mark.parametrize("filter_string", RUN_FILTERS)
def test_search_runs_filters(parity: Parity, filter_string: str) -> None:
    experiments = _searched_experiments(parity)
    for page_size in (2, 1000):
        expected = every_mlflow_run(parity, experiments, filter_string, None, page_size)
        found = every_tuitrack_run(parity, experiments, filter_string, None, page_size)
        assert [run_view(r) for r in found] == [run_view(r) for r in expected]


@pytest.mark.parametrize("order_by", RUN_ORDERS, ids=str)
def test_search_runs_orders_and_pages(parity: Parity, order_by: list[str] | None) -> None:
    experiments = _searched_experiments(parity)
    expected = [r.info.run_id for r in every_mlflow_run(parity, experiments, "", order_by, 1000)]
    assert len(expected) > 3
    for page_size in (1, 3, 1000):
        found = every_tuitrack_run(parity, experiments, "", order_by, page_size)
        assert [r.info.run_id for r in found] == expected, f"pages of {page_size}"


@pytest.mark.parametrize("view_type", list(MLFLOW_VIEW_TYPES))
def test_search_runs_view_types(parity: Parity, view_type: ViewType) -> None:
    experiments = _searched_experiments(parity)
    expected = every_mlflow_run(parity, experiments, "", None, 1000, view_type)
    found = every_tuitrack_run(parity, experiments, "", None, 1000, view_type)
    assert [run_view(r) for r in found] == [run_view(r) for r in expected]


@pytest.mark.parametrize(
    ("either", "other"),
    [
        ("metrics.loss < 0.3", "params.optimizer = 'sgd'"),
        ("tags.team = 'audio'", "attributes.run_name LIKE 'mlf-%'"),
    ],
)
def test_or_is_answered_as_the_union_of_mlflow_answers(
    parity: Parity, either: str, other: str
) -> None:
    """MLflow's server refuses OR; tuitrack evaluates it itself, says so, and finds the runs
    MLflow finds for either side, in MLflow's order."""
    experiments = _searched_experiments(parity)
    order = ["metrics.loss ASC"]
    everything = every_mlflow_run(parity, experiments, "", order, 1000)
    wanted = {
        run.info.run_id
        for part in (either, other)
        for run in every_mlflow_run(parity, experiments, part, None, 1000)
    }
    expected = [run.info.run_id for run in everything if run.info.run_id in wanted]
    found = every_tuitrack_run(parity, experiments, f"{either} OR {other}", order, 2)
    assert [run.info.run_id for run in found] == expected
    first_page = parity.store.search_runs(experiments, f"{either} OR {other}", max_results=2)
    assert first_page.note is not None, "a filter tuitrack evaluates says so in a note"
    assert "OR" in first_page.note


# --- metric histories and artifacts ----------------------------------------------------------

HISTORIES = [(planned.name, key) for planned in PLANNED_RUNS for key in planned.metrics] + [
    (FLUENT_RUN, "loss"),
    (CHILD_RUN, "loss"),
    ("mlf-a", "absent"),
]


def by_step_then_time(points: list[tuple[str, float | str, int, int]]) -> list[Any]:
    return sorted(points, key=lambda point: (point[3], point[2]))


@pytest.mark.parametrize(("name", "key"), HISTORIES)
def test_metric_history(parity: Parity, name: str, key: str) -> None:
    run_id = parity.runs[name]
    expected = history_view(parity.mlflow.get_metric_history(run_id, key))
    found = history_view(parity.store.get_metric_history(run_id, key))
    assert found == by_step_then_time(expected)
    planned = {p.name: p for p in PLANNED_RUNS}.get(name)
    if planned is not None:
        values = planned.metrics.get(key, [])
        starts = [metric_timestamp(planned.start, step) for step in range(len(values))]
        assert found == [
            (key, number(value), time, step)
            for step, (value, time) in enumerate(zip(values, starts, strict=True))
        ]


def test_long_history_is_read_whole(parity: Parity) -> None:
    run_id = parity.runs[LONG_RUN]
    expected = history_view(parity.mlflow.get_metric_history(run_id, "loss"))
    found = history_view(parity.store.get_metric_history(run_id, "loss"))
    assert len(found) == LONG_STEPS
    assert found == by_step_then_time(expected)


def test_long_history_is_thinned_by_the_documented_rule(parity: Parity) -> None:
    """MLflow's server cannot thin a series by tuitrack's rule: tuitrack reads it whole and
    thins it itself, to the points the rule picks from what MLflow's client reads."""
    run_id = parity.runs[LONG_RUN]
    whole = sorted(parity.mlflow.get_metric_history(run_id, "loss"), key=lambda m: m.step)
    mlflow_points = [
        Metric(key=m.key, value=m.value, timestamp=m.timestamp, step=m.step) for m in whole
    ]
    for max_points in (5, 100, 1000):
        thinned = parity.store.get_metric_history(run_id, "loss", max_points=max_points)
        assert as_points(thinned) == as_points(reference_downsample(mlflow_points, max_points))
        assert any(math.isnan(m.value) for m in thinned)  # a bucket keeps its first NaN
        assert max(m.value for m in thinned if not math.isnan(m.value)) == 10.0  # and spikes


def test_histories_of_several_runs_together(parity: Parity) -> None:
    run_ids = [parity.runs[name] for name in ("mlf-a", "tui-a", "tui-b", LONG_RUN)]
    together = parity.store.get_metric_histories(run_ids, ["loss", "acc"])
    for run_id in run_ids:
        for key in ("loss", "acc"):
            expected = history_view(parity.mlflow.get_metric_history(run_id, key))
            assert history_view(together[run_id, key]) == by_step_then_time(expected)


def test_fluent_history_is_whole(parity: Parity) -> None:
    points = parity.store.get_metric_history(parity.runs[FLUENT_RUN], "loss")
    assert [p.step for p in points] == list(range(FLUENT_STEPS + 1))
    assert math.isnan(points[-1].value)
    assert points[0].value == 1.0


def file_view(files: Sequence[Any]) -> list[tuple[str, bool, int | None]]:
    return sorted((f.path, f.is_dir, f.file_size if not f.is_dir else None) for f in files)


@pytest.mark.parametrize("name", ["mlf-a", "tui-a", "mlf-b"])
@pytest.mark.parametrize("path", [None, "notes", "model", "absent"])
def test_list_artifacts(parity: Parity, name: str, path: str | None) -> None:
    run_id = parity.runs[name]
    expected = file_view(parity.mlflow.list_artifacts(run_id, path))
    assert file_view(parity.client.list_artifacts(run_id, path)) == expected


@pytest.mark.parametrize("name", ["mlf-a", "tui-a"])
def test_artifact_contents(parity: Parity, name: str, tmp_path: Path) -> None:
    run_id = parity.runs[name]
    mine = Path(parity.client.download_artifacts(run_id, "notes", str(tmp_path / "mine")))
    theirs = Path(parity.mlflow.download_artifacts(run_id, "notes", str(tmp_path / "theirs")))
    assert (mine / "readme.txt").read_text() == (theirs / "readme.txt").read_text()
    assert (mine / "readme.txt").read_text().startswith("hello from")
