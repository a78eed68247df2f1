"""MLflow's experiment functions and search_runs' DataFrame, compared with real MLflow
(issue 16, item 5)."""

from __future__ import annotations

import math
import sys
from types import ModuleType
from typing import Any

import pytest

import tuitrack
from tests.sdk.mlflow_side import mlflow_root_fixture, real_mlflow_fixture  # noqa: F401
from tests.sdk.processes import SdkSandbox
from tuitrack.entities import LifecycleStage, ViewType
from tuitrack.sdk.optional_packages import MissingPackageError

INFO_COLUMNS = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


def _log_three_runs(library: Any) -> None:
    """The same runs through either library: two finished with different keys, one open."""
    with library.start_run(run_name="first"):
        library.log_params({"lr": 0.1, "optimizer": "sgd"})
        library.log_metric("loss", 0.5, step=1)
        library.log_metric("loss", 0.25, step=2)
        library.set_tag("team", "vision")
    with library.start_run(run_name="second"):
        library.log_param("lr", 0.01)
        library.log_metrics({"loss": 0.75, "accuracy": 0.9})
    library.start_run(run_name="open")
    library.log_metric("accuracy", float("nan"))


def _groups(frame: Any) -> list[str]:
    """Each column's group (info, metrics, params, tags), in column order."""
    return [c.split(".")[0] if "." in c else "info" for c in frame.columns]


def test_search_runs_gives_mlflows_dataframe(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    frames = {}
    for library in (real_mlflow, tuitrack):
        _log_three_runs(library)
        frames[library.__name__] = library.search_runs(order_by=["attributes.start_time ASC"])
        library.end_run()
    theirs, ours = frames["mlflow"], frames["tuitrack"]
    assert list(ours.columns[:6]) == list(theirs.columns[:6]) == INFO_COLUMNS
    assert _groups(ours) == sorted(_groups(ours), key=["info", "metrics", "params", "tags"].index)
    assert _groups(theirs) == sorted(
        _groups(theirs), key=["info", "metrics", "params", "tags"].index
    )
    user_columns = [c for c in theirs.columns if not c.startswith("tags.mlflow.")]
    assert set(user_columns) <= set(ours.columns)
    for column in [*user_columns, "tags.mlflow.runName", "tags.mlflow.user"]:
        assert ours[column].dtype == theirs[column].dtype, column
    for column in [c for c in user_columns if c.split(".")[0] in ("metrics", "params", "tags")]:
        mine, mlflows = list(ours[column]), list(theirs[column])
        same = [
            a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
            for a, b in zip(mine, mlflows, strict=True)
        ]
        assert all(same), (column, mine, mlflows)
    assert list(ours["status"]) == list(theirs["status"]) == ["FINISHED", "FINISHED", "RUNNING"]
    assert ours["end_time"].isna().tolist() == theirs["end_time"].isna().tolist()
    assert list(ours["tags.mlflow.runName"]) == ["first", "second", "open"]


def test_an_empty_search_gives_mlflows_empty_dataframe(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    theirs = real_mlflow.search_runs(filter_string="params.lr = 'none'")
    ours = tuitrack.search_runs(filter_string="params.lr = 'none'")
    assert list(ours.columns) == list(theirs.columns) == INFO_COLUMNS
    assert ours.dtypes.to_dict() == theirs.dtypes.to_dict()
    assert ours.empty


def test_output_format_list_gives_runs(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_param("lr", 0.1)
    runs = tuitrack.search_runs(output_format="list")
    assert [r.info.run_id for r in runs] == [run.info.run_id]
    assert isinstance(runs[0], tuitrack.Run)


def test_without_pandas_the_error_names_the_extra(
    fluent_sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tuitrack.start_run():
        tuitrack.log_param("lr", 0.1)
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(MissingPackageError, match=r'pip install "tuitrack\[pandas\]"') as caught:
        tuitrack.search_runs()
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, tuitrack.MlflowException)
    assert len(tuitrack.search_runs(output_format="list")) == 1


def _make_experiments(library: Any, prefix: str) -> None:
    for name, tags in (("a", {"k": "v"}), ("ab", {"k": "V"}), ("b", {}), ("bb", {"k": "xv"})):
        library.create_experiment(f"{prefix}{name}", tags=tags)


@pytest.mark.parametrize(
    ("filter_string", "order_by", "max_results"),
    [
        ("name LIKE '{p}a%'", ["name"], None),
        ("name LIKE '{p}%' AND tags.k ILIKE '%v'", ["name DESC"], None),
        ("name LIKE '{p}%b' AND tags.k = 'V'", None, None),
        ("name LIKE '{p}%'", ["name"], 3),
    ],
)
def test_search_experiments_finds_what_mlflow_finds(
    fluent_sandbox: SdkSandbox,
    real_mlflow: ModuleType,
    filter_string: str,
    order_by: list[str] | None,
    max_results: int | None,
) -> None:
    found = {}
    for library in (real_mlflow, tuitrack):
        prefix = f"{library.__name__}-{fluent_sandbox.root.name}-"
        _make_experiments(library, prefix)
        experiments = library.search_experiments(
            filter_string=filter_string.format(p=prefix),
            order_by=order_by,
            max_results=max_results,
        )
        found[library.__name__] = [e.name.removeprefix(prefix) for e in experiments]
    if order_by is None:
        found = {name: sorted(names) for name, names in found.items()}
    assert found["tuitrack"] == found["mlflow"]
    assert found["tuitrack"]


def test_delete_experiment_and_find_it_among_the_deleted(fluent_sandbox: SdkSandbox) -> None:
    experiment_id = tuitrack.create_experiment("doomed")
    tuitrack.delete_experiment(experiment_id)
    assert tuitrack.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED
    deleted = tuitrack.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.experiment_id for e in deleted] == [experiment_id]
    assert experiment_id in [e.experiment_id for e in tuitrack.search_experiments(view_type=3)]
    assert experiment_id not in [e.experiment_id for e in tuitrack.search_experiments()]


def test_experiment_tags_go_to_the_current_experiment_as_in_mlflow(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    tags = {}
    for library in (real_mlflow, tuitrack):
        experiment = library.set_experiment(f"tagged-{library.__name__}")
        library.set_experiment_tag("owner", "ada")
        library.set_experiment_tags({"stage": "dev", "version": 2})
        stored = library.get_experiment(experiment.experiment_id).tags
        tags[library.__name__] = {k: v for k, v in stored.items() if not k.startswith("mlflow.")}
    assert tags["tuitrack"] == tags["mlflow"] == {"owner": "ada", "stage": "dev", "version": "2"}


def test_registry_uri_defaults_to_the_tracking_uri(
    fluent_sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tuitrack.sdk.fluent._registry_uri", None)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    assert tuitrack.get_registry_uri() == tuitrack.get_tracking_uri()
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///registry.db")
    assert tuitrack.get_registry_uri() == "sqlite:///registry.db"
    tuitrack.set_registry_uri("sqlite:///other.db")
    assert tuitrack.get_registry_uri() == "sqlite:///other.db"
