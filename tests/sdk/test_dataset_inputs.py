"""Datasets as run inputs (issue 16, item 5: log_input / log_inputs), against real MLflow in
the same run: the entities are built as MLflow's, tuitrack.data makes the datasets MLflow's
mlflow.data makes for the same data, and a script logging datasets through MLflow's API
leaves the same inputs in an MLflow database whether MLflow or tuitrack ran it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack import entities as tuitrack_entities
from tuitrack.errors import InvalidValueError

mlflow = pytest.importorskip("mlflow")
mlflow_data = pytest.importorskip("mlflow.data")
mlflow_entities = pytest.importorskip("mlflow.entities")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

REPO = Path(__file__).resolve().parents[2]


def _dataset(e: Any) -> Any:
    return e.Dataset("train", "a1b2c3d4", "local", '{"uri": "t.csv"}', '{"s": 1}', '{"p": 2}')


def _inputs(e: Any) -> Any:
    tags = [e.InputTag("mlflow.data.context", "training"), e.InputTag("split", "80%")]
    return e.RunInputs([e.DatasetInput(_dataset(e), tags), e.DatasetInput(_dataset(e))])


def test_entities_are_built_as_mlflows() -> None:
    for e in (tuitrack_entities, mlflow_entities):
        assert e.Dataset("n", "d", "local", "{}").schema is None
        assert e.DatasetInput(_dataset(e)).tags == []
    ours, theirs = _inputs(tuitrack_entities), _inputs(mlflow_entities)
    assert ours.to_dictionary() == theirs.to_dictionary()
    first, their_first = ours.dataset_inputs[0], theirs.dataset_inputs[0]
    for field in ("name", "digest", "source_type", "source", "schema", "profile"):
        assert getattr(first.dataset, field) == getattr(their_first.dataset, field)
    assert [(t.key, t.value) for t in first.tags] == [(t.key, t.value) for t in their_first.tags]
    assert ours.model_inputs == theirs.model_inputs == []

    def run(e: Any) -> Any:
        return e.Run(
            e.RunInfo("r", "0", "u", "RUNNING", 1, None, "active"), e.RunData(), _inputs(e)
        )

    assert run(tuitrack_entities).to_dictionary() == run(mlflow_entities).to_dictionary()
    bare = tuitrack_entities.Run(tuitrack_entities.RunInfo("r", "0"))
    assert bare.inputs == tuitrack_entities.RunInputs([])
    assert "inputs" not in bare.to_dictionary()  # as MLflow's run without inputs
    with pytest.raises(InvalidValueError, match="logged-model"):
        tuitrack_entities.RunInputs([], model_inputs=[object()])


FRAMES = {
    "numbers and text": lambda: pd.DataFrame({"x": [1.0, 2.5], "y": [0, 1], "s": ["a", "b"]}),
    "missing values and dtypes": lambda: pd.DataFrame(
        {
            "a": [1.0, None, 3.0],
            "flag": [True, False, True],
            "s": ["x", None, "z"],
            "i32": np.array([1, 2, 3], dtype=np.int32),
            "f32": np.array([1, 2, 3], dtype=np.float32),
            "t": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"]),
            "raw": [b"a", b"b", b"c"],
        }
    ),
    "lists and dicts": lambda: pd.DataFrame(
        {
            "tokens": [[1, 2], [], [3, None]],
            "nested": [[[1.0]], [[2.0], [3.0]], None],
            "meta": [{"a": 1}, {"a": 2, "b": "x"}, None],
            "deep": [{"a": [1]}, {"a": [2], "c": {"d": True}}, {"a": []}],
            "missing": [None, None, None],
        }
    ),
    "mixed values (no schema)": lambda: pd.DataFrame({"mixed": [1, "x", 2.5]}),
    "over 10,000 rows": lambda: pd.DataFrame(
        np.random.default_rng(0).normal(size=(12_000, 3)), columns=["u", "v", "w"]
    ),
}


def _stored(dataset: Any) -> dict[str, Any]:
    return dict(dataset._to_mlflow_entity().to_dictionary())


@pytest.mark.parametrize("frame", FRAMES.values(), ids=FRAMES.keys())
@pytest.mark.parametrize("source", ["data/train.csv", "s3://bucket/train.csv", "https://x/t.csv"])
def test_from_pandas_stores_what_mlflow_stores(frame: Any, source: str) -> None:
    df = frame()
    target = df.columns[0]
    ours = tuitrack.data.from_pandas(df, source=source, targets=target, name="train")
    theirs = mlflow_data.from_pandas(df, source=source, targets=target, name="train")
    assert _stored(ours) == _stored(theirs)
    assert (ours.schema is None) == (list(df.columns) == ["mixed"])
    # Without a source it is the code running: the same script and user. (MLflow adds the
    # script's git commit where GitPython finds one: the scripts below check that.)
    ours, theirs = _stored(tuitrack.data.from_pandas(df)), _stored(mlflow_data.from_pandas(df))
    our_tags, their_tags = (json.loads(d.pop("source"))["tags"] for d in (ours, theirs))
    assert ours == theirs
    assert ours["source_type"] == "code"
    for key in ("mlflow.user", "mlflow.source.name", "mlflow.source.type"):
        assert our_tags[key] == their_tags[key]


@pytest.mark.parametrize(
    ("features", "targets"),
    [
        (np.arange(6.0).reshape(3, 2), np.array([0, 1, 0])),
        (np.array(["a", "b"]), None),
        (np.zeros((2, 3, 4), dtype=np.float32), np.array([1.0, 2.0])),
        ({"b": np.ones((2, 2)), "a": np.array([b"x", b"y"])}, {"y": np.array([1, 0])}),
        (np.array(5.0), None),
    ],
    ids=["features and targets", "strings", "3-d", "dicts of arrays", "0-d"],
)
def test_from_numpy_stores_what_mlflow_stores(features: Any, targets: Any) -> None:
    ours = tuitrack.data.from_numpy(features, "file:///d/x.npy", targets, "arrays")
    theirs = mlflow_data.from_numpy(features, "file:///d/x.npy", targets, "arrays")
    assert _stored(ours) == _stored(theirs)


def test_bad_datasets_are_refused_by_name() -> None:
    df = pd.DataFrame({"x": [1]})
    with pytest.raises(InvalidValueError, match="no targets column 'y'"):
        tuitrack.data.from_pandas(df, targets="y")
    with pytest.raises(InvalidValueError, match="DataFrame"):
        tuitrack.data.from_pandas([1, 2])
    with pytest.raises(InvalidValueError, match="numpy array"):
        tuitrack.data.from_numpy([1, 2])


def _inputs_by_name(run: Any) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    return {
        i.dataset.name: (i.dataset.to_dictionary(), {t.key: t.value for t in i.tags})
        for i in run.inputs.dataset_inputs
    }


def test_fluent_and_client_log_into_tuitrack_store(fluent_sandbox: SdkSandbox) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    train = tuitrack.data.from_pandas(df, source="train.csv", targets="y", name="train")
    theirs = mlflow_data.from_numpy(np.ones((2, 2)), source="s3://b/eval.npy", name="eval")
    with tuitrack.start_run() as run:
        tuitrack.log_input(train, context="training", tags={"split": "80%"})
        tuitrack.log_input(train, context="eval")  # the same dataset again: kept once
        tuitrack.log_inputs([theirs, None], contexts=["eval", None], tags_list=[None, None])
        with pytest.raises(InvalidValueError, match="logged models are not supported"):
            tuitrack.log_input(train, model=object())
        with pytest.raises(InvalidValueError, match="2 datasets, 1 contexts"):
            tuitrack.log_inputs([train, theirs], contexts=["training"])
    client = tuitrack.MlflowClient(fluent_sandbox.tracking_uri)
    other = client.create_run(run.info.experiment_id)
    mlflow_input = mlflow_entities.DatasetInput(
        theirs._to_mlflow_entity(), [mlflow_entities.InputTag("mlflow.data.context", "testing")]
    )
    client.log_inputs(other.info.run_id, [mlflow_input])
    with pytest.raises(InvalidValueError, match="logged models"):
        client.log_inputs(other.info.run_id, models=[object()])
    found = _inputs_by_name(client.get_run(run.info.run_id))
    assert found == {
        "train": (_stored(train), {"split": "80%", "mlflow.data.context": "training"}),
        "eval": (_stored(theirs), {"mlflow.data.context": "eval"}),
    }
    listed = client.search_runs([run.info.experiment_id])
    by_id = {r.info.run_id: _inputs_by_name(r) for r in listed}
    assert by_id[other.info.run_id] == {
        "eval": (_stored(theirs), {"mlflow.data.context": "testing"})
    }
    assert by_id[run.info.run_id] == found


SCRIPT = textwrap.dedent(
    """
    import sys

    if sys.argv[1] == "tuitrack":
        import tuitrack

        sys.modules["mlflow"] = tuitrack
    import mlflow
    import mlflow.data
    import numpy as np
    import pandas as pd
    from mlflow.entities import DatasetInput, InputTag

    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("datasets")
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0], "name": ["a", "b", "c"]})
    train = mlflow.data.from_pandas(df, source="data/train.csv", targets="y", name="train")
    head = mlflow.data.from_pandas(df.head(2), name="head")
    arrays = mlflow.data.from_numpy(
        np.arange(6.0).reshape(3, 2), source="s3://bucket/eval.npy", targets=np.array([0, 1, 0])
    )
    with mlflow.start_run(run_name="first"):
        mlflow.log_input(train, context="training", tags={"split": "80%"})
        mlflow.log_input(train, context="eval")
        mlflow.log_inputs([arrays, head], contexts=["eval", None], tags_list=[None, {"n": "2"}])
    with mlflow.start_run(run_name="second") as run:
        mlflow.log_input(train, context="eval")
        tags = [InputTag("mlflow.data.context", "testing")]
        mlflow.MlflowClient("sqlite:///mlflow.db").log_inputs(
            run.info.run_id, [DatasetInput(arrays._to_mlflow_entity(), tags)]
        )
    """
)


def _log(tool: str, folder: Path, script: Path) -> None:
    """Run the script with `tool` in `folder`, on a database MLflow created there."""
    folder.mkdir()
    mlflow.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}").search_experiments()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TUITRACK_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "backends")])
    env["XDG_DATA_HOME"] = str(folder / "data")
    subprocess.run(
        [sys.executable, str(script), tool], cwd=folder, env=env, check=True, timeout=180
    )


def _observed(folder: Path) -> dict[str, Any]:
    """Each run's inputs as MLflow's own client reads them, and how many datasets and
    inputs MLflow's tables hold."""
    client = mlflow.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("datasets")
    runs = client.search_runs([experiment.experiment_id])
    with sqlite3.connect(folder / "mlflow.db") as connection:
        counts = {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("datasets", "inputs", "input_tags")
        }
    return {"runs": {run.info.run_name: _inputs_by_name(run) for run in runs}, "rows": counts}


def test_mlflow_reads_the_inputs_tuitrack_logged_as_its_own(tmp_path: Path) -> None:
    script = tmp_path / "log_datasets.py"
    script.write_text(SCRIPT)
    _log("mlflow", tmp_path / "mlflow", script)
    _log("tuitrack", tmp_path / "tuitrack", script)
    theirs, ours = _observed(tmp_path / "mlflow"), _observed(tmp_path / "tuitrack")
    assert ours == theirs
    assert set(theirs["runs"]["first"]) == {"train", "dataset", "head"}
    assert theirs["rows"]["datasets"] == 3


def test_the_unsaved_store_keeps_the_inputs_of_its_runs() -> None:
    """The stand-in for an unusable store drops metrics and tags, but a run still reads
    back the datasets it was given (few and small), one per name and digest."""
    from tuitrack.sdk.unsaved_store import UnsavedStore

    store = UnsavedStore("unusable://", "")
    run_id = store.create_run(store.create_experiment("unsaved")).info.run_id
    train = tuitrack.data.from_pandas(pd.DataFrame({"x": [1]}), source="t.csv", name="train")
    given = tuitrack_entities.DatasetInput(train._to_mlflow_entity())
    store.log_inputs(run_id, [given, given])
    store.log_inputs(run_id, [given])
    assert store.get_run(run_id).inputs.dataset_inputs == [given]
    with pytest.raises(InvalidValueError, match="DatasetInput"):
        store.log_inputs(run_id, ["not an input"])  # type: ignore[list-item]


def test_any_object_with_mlflows_dataset_attributes_is_a_dataset(
    fluent_sandbox: SdkSandbox,
) -> None:
    class Described:
        name, digest, source = "labels", "0123abcd", "s3://bucket/labels.parquet"
        schema, profile = None, '{"num_rows": 7}'

    with tuitrack.start_run() as run:
        tuitrack.log_input(Described(), context="training")
        with pytest.raises(InvalidValueError, match="need a dataset"):
            tuitrack.log_input(None, context="training")
        with pytest.raises(InvalidValueError, match="no name, digest"):
            tuitrack.log_input(object())
    (logged,) = tuitrack.get_run(run.info.run_id).inputs.dataset_inputs
    assert logged.dataset.to_dictionary() == {
        "name": "labels",
        "digest": "0123abcd",
        "source_type": "s3",
        "source": '{"uri": "s3://bucket/labels.parquet"}',
        "schema": None,
        "profile": '{"num_rows": 7}',
    }


def test_an_mlflow_database_older_than_its_dataset_tables(tmp_path: Path) -> None:
    """MLflow before 2.4 had no dataset tables: its runs read with no inputs, and logging
    one is refused naming the upgrade."""
    from tuitrack.core import registry
    from tuitrack.errors import ReadOnlyError

    path = tmp_path / "mlflow.db"
    client = mlflow.MlflowClient(f"sqlite:///{path}")
    run_id = client.create_run(client.create_experiment("old")).info.run_id
    with sqlite3.connect(path) as connection:
        for table in ("input_tags", "inputs", "datasets"):
            connection.execute(f"DROP TABLE {table}")
        connection.execute("UPDATE alembic_version SET version_num = '3500859a5d39'")
    store = registry.get_tracking_store(f"mlflow+sqlite:///{path}", str(tmp_path))
    try:
        assert store.get_run(run_id).inputs.dataset_inputs == []
        (listed,) = store.search_runs([store.get_run(run_id).info.experiment_id])
        assert listed.inputs == tuitrack_entities.RunInputs([])
        given = tuitrack_entities.DatasetInput(tuitrack_entities.Dataset("d", "1", "local", "{}"))
        with pytest.raises(ReadOnlyError, match="mlflow db upgrade"):
            store.log_inputs(run_id, [given])
    finally:
        store.close()
