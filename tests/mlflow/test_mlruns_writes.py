"""An mlruns folder written through tuitrack (`file:./mlruns`, a plain `./mlruns`, a folder
MLflow made) reads back in real MLflow's own client as if MLflow had logged it, and in
tuitrack's reader. The same training script (mlruns_training.py) runs once with MLflow and
once with tuitrack's fluent API, and MlflowClient's answers are compared. Needs MLflow."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import tuitrack
from tests.mlflow.mlruns_training import LOSSES, train
from tuitrack.core import registry
from tuitrack.core.datasets import CONTEXT_TAG, Dataset, DatasetInput, InputTag
from tuitrack.core.store import TrackingStore
from tuitrack.entities import LifecycleStage, Metric, Param, RunStatus, RunTag
from tuitrack.errors import (
    AlreadyExistsError,
    InvalidValueError,
    NotFoundError,
    ParamConflictError,
    ReadOnlyError,
    StoreUnavailableError,
)
from tuitrack.sdk.state import STATE
from tuitrack_mlflow.mlruns_store import MlrunsStore

mlflow = pytest.importorskip("mlflow")
ViewType = mlflow.entities.ViewType

REPO = Path(__file__).resolve().parents[2]
_SOURCE_TAGS = ("mlflow.source.name", "mlflow.source.type")


@pytest.fixture(autouse=True)
def mlflow_file_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """MLflow 3 opens file stores only when asked to; tuitrack's fluent state is reset."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("TUITRACK_CAPTURE_ENV", "0")  # no environment/ artifact: MLflow has none
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield
    STATE.reset()


def _log_with_mlflow(uri: str, folder: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TUITRACK_"))}
    env["MLFLOW_ALLOW_FILE_STORE"] = "true"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "backends")])
    command = [sys.executable, "-m", "tests.mlflow.mlruns_training", uri]
    subprocess.run(command, cwd=folder, env=env, check=True, timeout=120, capture_output=True)


def _open(uri: str, *, create: bool = True) -> TrackingStore:
    return registry.get_tracking_store(uri, "/unused-artifact-root", create=create)


def _same(value: Any) -> Any:
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def _artifact_paths(client: Any, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for info in client.list_artifacts(run_id, path):
        found.append(info.path + ("/" if info.is_dir else ""))
        if info.is_dir:
            found.extend(_artifact_paths(client, run_id, info.path))
    return found


def _observed(uri: str, root: Path) -> dict[str, Any]:
    """What MlflowClient answers about the experiment `compat` at `uri`: run ids become
    run names, the experiment id `<id>` and the folder `<root>`."""
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("compat")
    runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)
    names = {run.info.run_id: run.info.run_name for run in runs}

    def plain(text: str) -> str:
        for run_id, name in names.items():
            text = text.replace(run_id, f"<{name}>")
        return text.replace(experiment.experiment_id, "<id>").replace(str(root), "<root>")

    default = client.get_experiment("0")
    observed: dict[str, Any] = {
        "experiments": sorted(
            (e.name, e.lifecycle_stage) for e in client.search_experiments(ViewType.ALL)
        ),
        "default": (default.name, plain(default.artifact_location), default.lifecycle_stage),
        "experiment": (
            experiment.name,
            experiment.lifecycle_stage,
            plain(experiment.artifact_location),
            experiment.tags,
            len(experiment.experiment_id),
        ),
        "runs": {},
    }
    for listed in runs:
        run = client.get_run(listed.info.run_id)
        info = run.info
        histories = {
            key: [
                (m.step, _same(m.value), m.timestamp > 0)
                for m in client.get_metric_history(info.run_id, key)
            ]
            for key in run.data.metrics
        }
        # mlflow.source.* name the script that logged (a subprocess here, pytest there) and
        # its git checkout: tuitrack's SDK, not the store, decides which it records.
        tags = {k: plain(v) for k, v in run.data.tags.items() if not k.startswith("tuitrack.")}
        observed["runs"][info.run_name] = {
            "info": (
                info.status,
                info.lifecycle_stage,
                info.user_id,
                plain(info.artifact_uri),
                plain(info.experiment_id),
                info.start_time <= info.end_time,
            ),
            "params": run.data.params,
            "metrics": {k: _same(v) for k, v in run.data.metrics.items()},
            "histories": histories,
            "tags": {k: v for k, v in tags.items() if not k.startswith("mlflow.source.")},
            "source_tags": sorted(k for k in tags if k in _SOURCE_TAGS),
            "artifacts": _artifact_paths(client, info.run_id),
        }
    return observed


def test_fluent_logging_into_file_mlruns_reads_back_in_mlflow_as_mlflow_logs(
    tmp_path: Path,
) -> None:
    theirs_root = tmp_path / "by_mlflow" / "mlruns"
    ours_root = tmp_path / "by_tuitrack" / "mlruns"
    theirs_root.parent.mkdir()
    _log_with_mlflow("file:" + str(theirs_root), theirs_root.parent)
    run_id = train(tuitrack, "file:" + str(ours_root))

    theirs = _observed("file:" + str(theirs_root), theirs_root)
    ours = _observed("file:" + str(ours_root), ours_root)
    assert (
        ours["experiments"]
        == theirs["experiments"]
        == [
            ("Default", "active"),
            ("compat", "active"),
        ]
    )
    assert ours["default"] == theirs["default"] == ("Default", "file://<root>/0", "active")
    assert ours["experiment"] == theirs["experiment"]
    assert ours["experiment"][2] == "file://<root>/<id>"  # stored absolute
    assert ours["experiment"][4] == 18  # MLflow's file store draws 18-digit ids
    assert sorted(ours["runs"]) == sorted(theirs["runs"]) == ["inner", "outer"]
    for name, expected in theirs["runs"].items():
        assert ours["runs"][name] == expected, name
    outer = ours["runs"]["outer"]
    assert outer["info"][0] == "FAILED"
    assert outer["tags"]["mlflow.runName"] == "outer"
    assert ours["runs"]["inner"]["tags"]["mlflow.parentRunId"] == "<outer>"
    assert outer["artifacts"] == ["notes/", "notes/readme.txt"]
    assert outer["histories"]["loss"][1] == (1, "nan", True)
    assert mlflow.MlflowClient("file:" + str(ours_root)).get_run(run_id).info.run_name == "outer"


def test_meta_files_have_the_keys_mlflow_writes(tmp_path: Path) -> None:
    theirs_root = tmp_path / "by_mlflow" / "mlruns"
    ours_root = tmp_path / "by_tuitrack" / "mlruns"
    theirs_root.parent.mkdir()
    _log_with_mlflow("file:" + str(theirs_root), theirs_root.parent)
    train(tuitrack, "file:" + str(ours_root))

    def metas(root: Path) -> dict[str, Any]:
        experiment = next(p for p in root.glob("*/meta.yaml") if p.parent.name != "0")
        run = next(experiment.parent.glob("*/meta.yaml"))
        return {
            name: yaml.safe_load(path.read_text())
            for name, path in (
                ("default", root / "0" / "meta.yaml"),
                ("experiment", experiment),
                ("run", run),
            )
        }

    ours, theirs = metas(ours_root), metas(theirs_root)
    for name in ("default", "experiment", "run"):
        assert sorted(ours[name]) == sorted(theirs[name]), name
    varying = {"creation_time", "last_update_time", "artifact_location", "experiment_id"}
    for name in ("default", "experiment"):
        assert {k: v for k, v in ours[name].items() if k not in varying} == {
            k: v for k, v in theirs[name].items() if k not in varying
        }
    assert ours["default"]["artifact_location"] == f"file://{ours_root}/0"
    # Both name the status by MLflow's number, the source as LOCAL (4).
    for key in ("source_type", "entry_point_name", "source_name", "tags"):
        assert ours["run"][key] == theirs["run"][key], key
    assert isinstance(ours["run"]["status"], int)
    assert not list(ours_root.rglob(".tuitrack-tmp-*"))  # no temporary file left behind


@pytest.mark.parametrize("uri", ["./mlruns", "mlruns", "file:./mlruns"])
def test_a_relative_path_makes_an_mlruns_folder_with_absolute_locations(
    uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tuitrack.set_tracking_uri(uri)
    tuitrack.set_experiment("relative")
    with tuitrack.start_run(run_name="plain") as run:
        tuitrack.log_metric("m", 2.0, step=3)
        tuitrack.log_text("x", "a.txt")
    client = mlflow.MlflowClient(f"file:{tmp_path / 'mlruns'}")  # one MLflow store per URI
    experiment = client.get_experiment_by_name("relative")
    folder = tmp_path / "mlruns"
    assert experiment.artifact_location == f"file://{folder}/{experiment.experiment_id}"
    seen = client.get_run(run.info.run_id)
    assert seen.info.artifact_uri == (
        f"file://{folder}/{experiment.experiment_id}/{run.info.run_id}/artifacts"
    )
    assert (seen.info.status, seen.info.run_name) == ("FINISHED", "plain")
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "m")] == [
        (3, 2.0)
    ]
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["a.txt"]
    assert client.get_experiment("0").name == "Default"


def test_logging_into_a_folder_mlflow_made_keeps_mlflow_s_runs(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    client = mlflow.MlflowClient(uri)
    experiment_id = client.create_experiment("shared", tags={"owner": "mlflow"})
    theirs = client.create_run(experiment_id, run_name="by-mlflow")
    client.log_metric(theirs.info.run_id, "loss", 0.5, step=1)
    client.set_terminated(theirs.info.run_id)

    tuitrack.set_tracking_uri(uri)
    tuitrack.set_experiment("shared")
    with tuitrack.start_run(run_name="by-tuitrack") as ours:
        tuitrack.log_metric("loss", 0.25, step=1)
        tuitrack.log_param("p", "1")
    tuitrack.set_experiment("added")
    with tuitrack.start_run(run_name="elsewhere"):
        pass

    runs = client.search_runs([experiment_id], order_by=["attributes.run_name ASC"])
    assert [r.info.run_name for r in runs] == ["by-mlflow", "by-tuitrack"]
    assert [r.data.metrics["loss"] for r in runs] == [0.5, 0.25]
    assert runs[1].data.params == {"p": "1"}
    assert runs[1].info.artifact_uri.startswith(
        client.get_experiment(experiment_id).artifact_location
    )
    names = sorted(e.name for e in client.search_experiments())
    assert names == ["Default", "added", "shared"]
    assert client.get_experiment(experiment_id).tags == {"owner": "mlflow"}
    reader = _open(uri, create=False)
    assert {r.info.run_name for r in reader.search_runs([experiment_id])} == {
        "by-mlflow",
        "by-tuitrack",
    }
    assert reader.get_run(ours.info.run_id).data.metrics == {"loss": 0.25}


def test_deleted_and_restored_runs_and_experiments_read_back_in_mlflow(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    store = _open(uri)
    experiment_id = store.create_experiment("lifecycle")
    kept = store.create_run(experiment_id, run_name="kept").info.run_id
    dropped = store.create_run(experiment_id, run_name="dropped").info.run_id
    client = mlflow.MlflowClient(uri)

    store.delete_run(dropped)
    assert client.get_run(dropped).info.lifecycle_stage == "deleted"
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [kept]
    deleted_only = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted_only] == [dropped]
    with pytest.raises(ReadOnlyError, match="deleted"):
        store.log_batch(dropped, metrics=[Metric(key="m", value=1.0, timestamp=1)])
    store.restore_run(dropped)
    assert client.get_run(dropped).info.lifecycle_stage == "active"

    store.delete_experiment(experiment_id)
    gone = client.get_experiment(experiment_id)
    assert gone.lifecycle_stage == "deleted"
    assert (tmp_path / "mlruns" / ".trash" / experiment_id / "meta.yaml").is_file()
    assert client.get_run(kept).info.lifecycle_stage == "deleted"
    assert client.search_experiments(ViewType.DELETED_ONLY)[0].experiment_id == experiment_id
    with pytest.raises(AlreadyExistsError, match="deleted"):
        store.create_experiment("lifecycle")
    with pytest.raises(ReadOnlyError):
        store.create_run(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED

    store.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"
    assert {r.info.lifecycle_stage for r in client.search_runs([experiment_id])} == {"active"}
    store.rename_experiment(experiment_id, "renamed")
    assert client.get_experiment(experiment_id).name == "renamed"
    with pytest.raises(InvalidValueError, match="default experiment"):
        store.delete_experiment("0")


def test_the_deleted_run_meta_is_the_one_mlflow_writes(tmp_path: Path) -> None:
    """After delete and restore, meta.yaml has MLflow's keys (deleted_time only while
    deleted), so MLflow's `gc` finds our deleted runs as it finds its own."""
    uri = "file:" + str(tmp_path / "mlruns")
    client = mlflow.MlflowClient(uri)
    experiment_id = client.create_experiment("gc")
    theirs = client.create_run(experiment_id).info.run_id
    ours = _open(uri).create_run(experiment_id).info.run_id
    store = _open(uri)
    for run_id, delete, restore in (
        (theirs, client.delete_run, client.restore_run),
        (ours, store.delete_run, store.restore_run),
    ):
        delete(run_id)
        deleted = yaml.safe_load(next(tmp_path.rglob(f"{run_id}/meta.yaml")).read_text())
        assert isinstance(deleted["deleted_time"], int)
        restore(run_id)
        restored = yaml.safe_load(next(tmp_path.rglob(f"{run_id}/meta.yaml")).read_text())
        assert "deleted_time" not in restored


def test_tuitrack_reads_what_it_wrote_as_mlflow_does(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    run_id = train(tuitrack, uri)
    reader = _open(uri, create=False)
    client = mlflow.MlflowClient(uri)
    for seen in client.search_runs([client.get_experiment_by_name("compat").experiment_id]):
        ours = reader.get_run(seen.info.run_id)
        assert ours.info.run_name == seen.info.run_name
        assert ours.info.status.value == seen.info.status
        assert ours.info.start_time == seen.info.start_time
        assert ours.info.end_time == seen.info.end_time
        assert ours.info.artifact_uri == seen.info.artifact_uri
        assert ours.data.params == seen.data.params
        assert ours.data.tags == seen.data.tags
        assert {k: _same(v) for k, v in ours.data.metrics.items()} == {
            k: _same(v) for k, v in seen.data.metrics.items()
        }
        for key in seen.data.metrics:
            theirs = client.get_metric_history(seen.info.run_id, key)
            mine = reader.get_metric_history(seen.info.run_id, key)
            # MLflow answers in logging order; tuitrack by step, then time, then that order.
            in_order = sorted(theirs, key=lambda m: (m.step, m.timestamp))
            assert [(m.step, m.timestamp, _same(m.value)) for m in in_order] == [
                (m.step, m.timestamp, _same(m.value)) for m in mine
            ]
    outer = reader.get_run(run_id)
    assert outer.info.status is RunStatus.FAILED
    assert [_same(m.value) for m in reader.get_metric_history(run_id, "loss")] == [
        _same(v) for v in [LOSSES[0], LOSSES[1], LOSSES[2], 0.125, LOSSES[3], LOSSES[4]]
    ]
    assert outer.info.heartbeat_time is not None  # tuitrack's liveness file
    assert outer.info.pid == os.getpid()


def test_params_are_immutable_as_in_mlflow(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    store = _open(uri)
    run_id = store.create_run("0").info.run_id
    store.log_batch(run_id, params=[Param(key="lr", value="0.1")])
    store.log_batch(run_id, params=[Param(key="lr", value="0.1")])  # the same again: fine
    with pytest.raises(ParamConflictError, match="lr"):
        store.log_batch(
            run_id,
            metrics=[Metric(key="m", value=1.0, timestamp=1)],
            params=[Param(key="lr", value="0.2")],
        )
    seen = mlflow.MlflowClient(uri).get_run(run_id)
    assert seen.data.params == {"lr": "0.1"}
    assert seen.data.metrics == {}  # the refused batch wrote nothing


def test_tag_deletion_reads_back_in_mlflow(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    store = _open(uri)
    experiment_id = store.create_experiment("tags", tags={"owner": "ana", "keep": "1"})
    run_id = store.create_run(experiment_id, tags={"a/b": "1", "c": "2"}).info.run_id
    assert isinstance(store, MlrunsStore)
    store.delete_tag(run_id, "a/b")
    store.delete_experiment_tag(experiment_id, "owner")
    client = mlflow.MlflowClient(uri)
    assert "a/b" not in client.get_run(run_id).data.tags
    assert client.get_run(run_id).data.tags["c"] == "2"
    assert client.get_experiment(experiment_id).tags == {"keep": "1"}
    with pytest.raises(NotFoundError, match="'a/b'"):
        store.delete_tag(run_id, "a/b")
    with pytest.raises(NotFoundError, match="'owner'"):
        store.delete_experiment_tag(experiment_id, "owner")
    with pytest.raises(NotFoundError):
        store.delete_tag("f" * 32, "c")
    store.delete_run(run_id)
    with pytest.raises(ReadOnlyError, match="deleted"):
        store.delete_tag(run_id, "c")


def test_a_rename_by_tag_or_update_is_mlflow_s_rename(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    store = _open(uri)
    run_id = store.create_run("0", run_name="first").info.run_id
    store.update_run_info(run_id, run_name="second")
    client = mlflow.MlflowClient(uri)
    assert client.get_run(run_id).info.run_name == "second"
    assert client.get_run(run_id).data.tags["mlflow.runName"] == "second"
    store.set_tag(run_id, RunTag(key="mlflow.runName", value="third"))
    assert client.get_run(run_id).info.run_name == "third"
    info = store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=42)
    assert (info.status, info.end_time) == (RunStatus.FINISHED, 42)
    assert (client.get_run(run_id).info.status, client.get_run(run_id).info.end_time) == (
        "FINISHED",
        42,
    )


def test_opening_to_read_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "mlruns"
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        _open("file:" + str(missing), create=False)
    assert not missing.exists()
    client = mlflow.MlflowClient("file:" + str(missing))
    client.search_experiments()  # MLflow makes the folder, with its .trash
    (missing / ".trash").rmdir()
    before = sorted(p.relative_to(missing) for p in missing.rglob("*"))
    reader = _open("file:" + str(missing), create=False)
    assert reader.get_experiment("0").name == "Default"
    assert sorted(p.relative_to(missing) for p in missing.rglob("*")) == before
    _open("file:" + str(missing))  # opened to log, it gets the .trash MLflow would add
    assert (missing / ".trash").is_dir()


def test_an_empty_folder_becomes_an_mlruns_folder(tmp_path: Path) -> None:
    store = _open(str(tmp_path))
    assert store.get_experiment("0").name == "Default"
    assert mlflow.MlflowClient("file:" + str(tmp_path)).get_experiment("0").name == "Default"


_CONCURRENT = """
import sys
from tuitrack.core import registry
from tuitrack.entities import Metric
store = registry.get_tracking_store(sys.argv[1], "/unused")
run_id = sys.argv[2]
for batch in range(100):
    points = [Metric(key="m", value=float(batch * 10 + i), timestamp=1, step=batch * 10 + i)
              for i in range(10)]
    store.log_batch(run_id, metrics=points)
"""


def test_two_processes_append_to_one_folder_without_losing_a_point(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    store = _open(uri)
    run_ids = [store.create_run("0").info.run_id for _ in range(2)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "backends")]))
    # Both write to each run's file: one run from two processes, the other from one.
    processes = [
        subprocess.Popen([sys.executable, "-c", _CONCURRENT, uri, run_id], env=env)
        for run_id in (run_ids[0], run_ids[0], run_ids[1])
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0]
    client = mlflow.MlflowClient(uri)
    doubled = [m.step for m in client.get_metric_history(run_ids[0], "m")]
    assert sorted(doubled) == sorted(list(range(1000)) * 2)
    single = [m.step for m in client.get_metric_history(run_ids[1], "m")]
    assert sorted(single) == list(range(1000))


def test_processes_opening_one_new_folder_at_once_all_log_into_it(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    script = (
        "import sys\n"
        "from tuitrack.core import registry\n"
        "store = registry.get_tracking_store(sys.argv[1], '/unused')\n"
        "store.create_run('0')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "backends")]))
    processes = [subprocess.Popen([sys.executable, "-c", script, uri], env=env) for _ in range(4)]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    client = mlflow.MlflowClient(uri)
    assert [e.name for e in client.search_experiments()] == ["Default"]
    assert len(client.search_runs(["0"])) == 4


def test_two_processes_creating_one_experiment_make_one(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    _open(uri)
    script = (
        "import sys\n"
        "from tuitrack.core import registry\n"
        "from tuitrack.errors import AlreadyExistsError\n"
        "store = registry.get_tracking_store(sys.argv[1], '/unused')\n"
        "for i in range(20):\n"
        "    try:\n"
        "        store.create_experiment(f'e{i}')\n"
        "    except AlreadyExistsError:\n"
        "        pass\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "backends")]))
    processes = [subprocess.Popen([sys.executable, "-c", script, uri], env=env) for _ in range(3)]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0]
    names = [e.name for e in mlflow.MlflowClient(uri).search_experiments(max_results=1000)]
    assert sorted(names) == sorted(["Default", *(f"e{i}" for i in range(20))])


def test_dataset_inputs_are_shared_with_mlflow_both_ways(tmp_path: Path) -> None:
    uri = "file:" + str(tmp_path / "mlruns")
    store = _open(uri)
    client = mlflow.MlflowClient(uri)
    experiment_id = store.create_experiment("data")
    ours = store.create_run(experiment_id).info.run_id
    train = Dataset(
        "train",
        "a1b2c3d4",
        "local",
        '{"uri": "/data/train.csv"}',
        '{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
        '{"num_rows": 3}',
    )
    store.log_inputs(ours, [DatasetInput(train, [InputTag(CONTEXT_TAG, "training")])])
    (seen,) = client.get_run(ours).inputs.dataset_inputs
    assert seen.dataset.to_dictionary() == train.to_dictionary()
    assert [(t.key, t.value) for t in seen.tags] == [(CONTEXT_TAG, "training")]

    theirs = client.create_run(experiment_id).info.run_id
    eval_set = mlflow.entities.Dataset("eval", "e5f6a7b8", "http", '{"url": "https://x/e"}')
    same_train = mlflow.entities.Dataset(**train.to_dictionary())
    client.log_inputs(
        theirs,
        [
            mlflow.entities.DatasetInput(eval_set, [mlflow.entities.InputTag(CONTEXT_TAG, "eval")]),
            mlflow.entities.DatasetInput(same_train, []),
        ],
    )
    found = {i.dataset.name: i for i in store.get_run(theirs).inputs.dataset_inputs}
    assert found["eval"].dataset == Dataset("eval", "e5f6a7b8", "http", '{"url": "https://x/e"}')
    assert [(t.key, t.value) for t in found["eval"].tags] == [(CONTEXT_TAG, "eval")]
    assert found["train"].dataset == train
    # One dataset folder per (name, digest) in the experiment, whoever logged it.
    datasets = tmp_path / "mlruns" / experiment_id / "datasets"
    assert len(list(datasets.iterdir())) == 2
    assert not list((tmp_path / "mlruns").rglob(".tuitrack-tmp-*"))


@pytest.mark.parametrize("location", ["./art", "art/deeper", "file:./art", "memory://b/x"])
def test_a_relative_artifact_location_is_stored_absolute_as_mlflow_stores_it(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # what the relative locations are relative to
    uri = f"file:{tmp_path / 'mlruns'}"  # MLflow keeps one store per URI: a distinct one
    client = mlflow.MlflowClient(uri)
    theirs = client.create_experiment("theirs", artifact_location=location)
    ours = _open(uri).create_experiment("ours", artifact_location=location)
    stored = client.get_experiment(ours).artifact_location
    assert stored == client.get_experiment(theirs).artifact_location
    run_id = _open(uri).create_run(ours).info.run_id
    assert client.get_run(run_id).info.artifact_uri == f"{stored}/{run_id}/artifacts"
