"""An existing MLflow database written through `sqlite:///mlflow.db` reads back in MLflow's
own client as if MLflow had logged it: the same script runs once with MLflow and once with
tuitrack swapped in for it (`sys.modules["mlflow"] = tuitrack`), each on a database MLflow
created, and MlflowClient's answers are compared. Needs MLflow (the dev extra)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import math
    import sys

    if sys.argv[1] == "tuitrack":
        import tuitrack

        sys.modules["mlflow"] = tuitrack
    import mlflow

    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("compat")
    with mlflow.start_run(run_name="outer") as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"layers": 3, "optimizer": "adam"})
        for step, value in enumerate([0.5, math.nan, math.inf, -math.inf, 0.25]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=7)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "ключ": "значение"})
        with mlflow.start_run(run_name="inner", nested=True):
            mlflow.log_metric("inner_loss", 1.5, step=2)
            mlflow.log_param("depth", "4")
    print(run.info.run_id)
    """
)


def _log(tool: str, folder: Path, script: Path) -> None:
    """Run the script with `tool` in `folder`, on a database MLflow created there."""
    folder.mkdir()
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.MlflowClient(uri).search_experiments()  # MLflow creates its tables
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TUITRACK_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "backends")])
    env["XDG_DATA_HOME"] = str(folder / "data")
    if tool == "tuitrack":
        env["TUITRACK_ARTIFACT_URI"] = "./mlruns"  # MLflow's default root, relative
    subprocess.run(
        [sys.executable, str(script), tool], cwd=folder, env=env, check=True, timeout=120
    )


def _same(value: Any) -> Any:
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def _observed(folder: Path) -> dict[str, Any]:
    """What MlflowClient answers about the database in `folder`, ids and the folder made
    comparable: run ids become run names, the folder `<root>`."""
    client = mlflow.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("compat")
    root = str(folder)
    runs = client.search_runs([experiment.experiment_id])
    names = {run.info.run_id: run.info.run_name for run in runs}

    def plain(text: str) -> str:
        for run_id, name in names.items():
            text = text.replace(run_id, f"<{name}>")
        return text.replace(root, "<root>")

    observed: dict[str, Any] = {
        "experiment": (
            experiment.name,
            experiment.lifecycle_stage,
            plain(experiment.artifact_location),
            experiment.tags,
            experiment.creation_time is not None,
            experiment.last_update_time is not None,
        ),
        "runs": {},
    }
    for run in runs:
        info = run.info
        histories = {
            key: [(m.step, _same(m.value)) for m in client.get_metric_history(info.run_id, key)]
            for key in run.data.metrics
        }
        observed["runs"][info.run_name] = {
            "info": (
                info.status,
                info.lifecycle_stage,
                info.user_id,
                plain(info.artifact_uri),
                info.experiment_id,
                info.start_time <= info.end_time,
            ),
            "params": run.data.params,
            "metrics": {k: _same(v) for k, v in run.data.metrics.items()},
            "histories": histories,
            "tags": {k: plain(v) for k, v in run.data.tags.items()},
        }
    return observed


def test_mlflow_reads_what_tuitrack_logs_as_what_mlflow_logs(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    _log("mlflow", tmp_path / "by_mlflow", script)
    _log("tuitrack", tmp_path / "by_tuitrack", script)
    theirs = _observed(tmp_path / "by_mlflow")
    ours = _observed(tmp_path / "by_tuitrack")

    assert ours["experiment"] == theirs["experiment"]
    assert ours["experiment"][2] == "<root>/mlruns/1"  # stored absolute
    assert sorted(ours["runs"]) == sorted(theirs["runs"]) == ["inner", "outer"]
    for name, expected in theirs["runs"].items():
        got = ours["runs"][name]
        for part in ("info", "params", "metrics", "histories"):
            assert got[part] == expected[part], (name, part)
        # tuitrack adds tags of its own (tuitrack.*); every other tag it writes is MLflow's.
        tags = {k: v for k, v in got["tags"].items() if not k.startswith("tuitrack.")}
        assert tags.items() <= expected["tags"].items(), name
        user_tags = {k: v for k, v in expected["tags"].items() if not k.startswith("mlflow.")}
        assert user_tags.items() <= tags.items(), name
    assert ours["runs"]["inner"]["tags"]["mlflow.parentRunId"] == "<outer>"
    assert ours["runs"]["outer"]["tags"]["mlflow.runName"] == "outer"
    assert ours["runs"]["outer"]["histories"]["loss"][1] == (1, "nan")


def test_a_rename_reaches_mlflow_as_its_own_rename_does(tmp_path: Path) -> None:
    """update_run_info(run_name=...) sets the runs row's name and the mlflow.runName tag,
    which MLflow's own update_run_info both do (MLflow reads the name from the row)."""
    from tuitrack.core import registry

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment_id = client.create_experiment("renames")
    store = registry.get_tracking_store(uri, str(tmp_path / "artifacts"))
    try:
        run_id = store.create_run(experiment_id, run_name="first").info.run_id
        store.update_run_info(run_id, run_name="second")
    finally:
        store.close()
    seen = client.get_run(run_id)
    assert seen.info.run_name == "second"
    assert seen.data.tags["mlflow.runName"] == "second"
