"""Behaviour cases: short snippets of plain MLflow code, each returning what a user observes.

Every case imports `mlflow` (real MLflow, or tuitrack under the swap done by
tests/compat/parity) and uses only MLflow's public names. Answers hold values, type names
and errors (`error_answer`); what legitimately differs between two runs of the same code
(ids, times, generated names) is compared inside the snippet instead of returned. Each
case runs with its own experiment already set (`case-<name>`) and names any other
experiment it creates after itself, so cases cannot see each other's runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any

CASES: dict[str, Callable[[], Any]] = {}


def case(function: Callable[[], Any]) -> Callable[[], Any]:
    CASES[function.__name__] = function
    return function


def error_answer(error: BaseException) -> dict[str, Any]:
    """What MLflow code can tell about an error: is it an MlflowException, and its code."""
    from mlflow.exceptions import MlflowException

    return {
        "mlflow_exception": isinstance(error, MlflowException),
        "type": "MlflowException" if isinstance(error, MlflowException) else type(error).__name__,
        "error_code": getattr(error, "error_code", None),
    }


def outcome(action: Callable[[], Any]) -> Any:
    """The error `action` raises, as error_answer says it, or "ok"."""
    try:
        action()
    except Exception as error:
        return error_answer(error)
    return "ok"


def raises(action: Callable[[], Any]) -> bool:
    """Whether `action` raises. For refusals where MLflow raises a bare Exception and tuitrack
    an MlflowException: code written for MLflow (`except Exception`) catches both."""
    try:
        action()
    except Exception:
        return True
    return False


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    """Tags without the system ones: MLflow's `mlflow.*` and tuitrack's `tuitrack.*` (the
    one difference `tuitrack_adds_its_own_tags` shows)."""
    return {k: v for k, v in tags.items() if not k.startswith(("mlflow.", "tuitrack."))}


# The id of the experiment the runner set for the case now running.
CURRENT_EXPERIMENT = {"id": ""}


def _experiment_id() -> str:
    return CURRENT_EXPERIMENT["id"]


def _ended(run_id: str) -> dict[str, Any]:
    import mlflow

    run = mlflow.get_run(run_id)
    return {"status": run.info.status, "has_end_time": run.info.end_time is not None}


# --- the fluent run lifecycle ---------------------------------------------------------


@case
def with_block_run() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        inside = mlflow.active_run()
        same = inside is not None and inside.info.run_id == run.info.run_id
        status_inside = mlflow.get_run(run.info.run_id).info.status
    return {
        "same_run_inside": same,
        "status_inside": status_inside,
        "active_after": mlflow.active_run() is not None,
        "after": _ended(run.info.run_id),
        "type": type(run).__name__,
    }


@case
def end_run_statuses() -> Any:
    import mlflow

    answers = {}
    for status in ("FAILED", "KILLED", "FINISHED"):
        run = mlflow.start_run()
        mlflow.end_run(status=status)
        answers[status] = _ended(run.info.run_id)
    return answers


@case
def exception_in_with_block_fails_run() -> Any:
    import mlflow

    run_id = ""
    try:
        with mlflow.start_run() as run:
            run_id = run.info.run_id
            raise KeyError("boom")
    except KeyError:
        pass
    return _ended(run_id)


@case
def end_run_without_run() -> Any:
    import mlflow

    mlflow.end_run()
    return {"active": mlflow.active_run()}


@case
def second_start_run_needs_nested() -> Any:
    import mlflow

    with mlflow.start_run():
        return raises(mlflow.start_run)


@case
def nested_runs() -> Any:
    import mlflow

    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            active = mlflow.active_run()
            inner_is_child = active is not None and active.info.run_id == child.info.run_id
        active = mlflow.active_run()
        back_to_parent = active is not None and active.info.run_id == parent.info.run_id
    tags = mlflow.get_run(child.info.run_id).data.tags
    return {
        "inner_is_child": inner_is_child,
        "back_to_parent": back_to_parent,
        "parent_tag": tags.get("mlflow.parentRunId") == parent.info.run_id,
        "parent_untagged": "mlflow.parentRunId" not in mlflow.get_run(parent.info.run_id).data.tags,
        "child": _ended(child.info.run_id),
    }


@case
def end_run_ends_innermost_only() -> Any:
    import mlflow

    parent = mlflow.start_run()
    child = mlflow.start_run(nested=True)
    mlflow.end_run()
    active = mlflow.active_run()
    answer = {
        "child": _ended(child.info.run_id),
        "parent_active": active is not None and active.info.run_id == parent.info.run_id,
        "parent_status": mlflow.get_run(parent.info.run_id).info.status,
    }
    mlflow.end_run()
    return answer


@case
def last_active_run() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        during = mlflow.last_active_run()
        during_same = during is not None and during.info.run_id == run.info.run_id
    after = mlflow.last_active_run()
    return {
        "during_same": during_same,
        "after_same": after is not None and after.info.run_id == run.info.run_id,
        "after_status": after.info.status if after is not None else None,
        "after_type": type(after).__name__,
    }


@case
def resume_run_by_id() -> Any:
    import mlflow

    with mlflow.start_run() as first:
        mlflow.log_param("p", "1")
    with mlflow.start_run(run_id=first.info.run_id) as again:
        status = mlflow.get_run(again.info.run_id).info.status
        mlflow.log_metric("m", 2.0)
    run = mlflow.get_run(first.info.run_id)
    return {
        "same_id": again.info.run_id == first.info.run_id,
        "status_while_resumed": status,
        "params": run.data.params,
        "metrics": run.data.metrics,
        "status": run.info.status,
    }


@case
def start_run_unknown_id() -> Any:
    import mlflow

    return outcome(lambda: mlflow.start_run(run_id="0123456789abcdef0123456789abcdef"))


@case
def start_run_name_tags_description() -> Any:
    import mlflow

    with mlflow.start_run(run_name="named", tags={"team": "a", "n": 3}, description="d") as run:
        pass
    fetched = mlflow.get_run(run.info.run_id)
    tags = fetched.data.tags
    return {
        "run_name": fetched.info.run_name,
        "returned_name": run.info.run_name,
        "runName_tag": tags.get("mlflow.runName"),
        "team": tags.get("team"),
        "n": tags.get("n"),
        "note": tags.get("mlflow.note.content"),
        "returned_tags_have_team": run.data.tags.get("team"),
    }


@case
def generated_run_name() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        pass
    name = mlflow.get_run(run.info.run_id).info.run_name
    return {
        "shape": bool(re.fullmatch(r"[a-z]+-[a-z]+-\d+", name or "")),
        "tag_matches": mlflow.get_run(run.info.run_id).data.tags.get("mlflow.runName") == name,
    }


@case
def start_run_in_other_experiment() -> Any:
    import mlflow

    other = mlflow.create_experiment("start_run_in_other_experiment-x")
    with mlflow.start_run(experiment_id=other) as run:
        pass
    return {"in_other": run.info.experiment_id == other, "id_type": type(other).__name__}


@case
def start_run_unknown_experiment() -> Any:
    import mlflow

    return outcome(lambda: mlflow.start_run(experiment_id="987654"))


@case
def resume_with_other_experiment() -> Any:
    import mlflow

    other = mlflow.create_experiment("resume_with_other_experiment-x")
    with mlflow.start_run() as run:
        pass
    return outcome(lambda: mlflow.start_run(run_id=run.info.run_id, experiment_id=other))


@case
def resume_deleted_run() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        pass
    mlflow.delete_run(run.info.run_id)
    # MLflow's error code here is INTERNAL_ERROR, which no code tests for: only the refusal.
    answer = outcome(lambda: mlflow.start_run(run_id=run.info.run_id))
    return answer["mlflow_exception"] if isinstance(answer, dict) else answer


@case
def parent_run_id_argument() -> Any:
    import mlflow

    with mlflow.start_run() as parent:
        pass
    with mlflow.start_run(parent_run_id=parent.info.run_id) as child:
        pass
    tags = mlflow.get_run(child.info.run_id).data.tags
    found = mlflow.get_parent_run(child.info.run_id)
    return {
        "tag": tags.get("mlflow.parentRunId") == parent.info.run_id,
        "get_parent_run": found is not None and found.info.run_id == parent.info.run_id,
        "parent_of_parent": mlflow.get_parent_run(parent.info.run_id),
    }


@case
def logging_without_run_starts_one() -> Any:
    import mlflow

    mlflow.log_metric("m", 1.0)
    active = mlflow.active_run()
    answer: dict[str, Any] = {"active": active is not None}
    if active is not None:
        answer["metrics"] = mlflow.get_run(active.info.run_id).data.metrics
    return answer


# --- experiments ------------------------------------------------------------------------


@case
def set_experiment_creates_then_reuses() -> Any:
    import mlflow

    first = mlflow.set_experiment("set_experiment_creates_then_reuses-x")
    second = mlflow.set_experiment("set_experiment_creates_then_reuses-x")
    with mlflow.start_run() as run:
        pass
    return {
        "type": type(first).__name__,
        "same": first.experiment_id == second.experiment_id,
        "name": first.name,
        "stage": first.lifecycle_stage,
        "run_in_it": run.info.experiment_id == first.experiment_id,
    }


@case
def set_experiment_by_unknown_id() -> Any:
    import mlflow

    return outcome(lambda: mlflow.set_experiment(experiment_id="987654"))


@case
def set_experiment_both_or_neither() -> Any:
    import mlflow

    experiment_id = _experiment_id()
    return {
        "both": outcome(lambda: mlflow.set_experiment("x", experiment_id=experiment_id)),
        "neither": outcome(mlflow.set_experiment),
    }


@case
def set_deleted_experiment() -> Any:
    import mlflow

    experiment_id = mlflow.create_experiment("set_deleted_experiment-x")
    mlflow.delete_experiment(experiment_id)
    return {
        "by_name": outcome(lambda: mlflow.set_experiment("set_deleted_experiment-x")),
        "by_id": outcome(lambda: mlflow.set_experiment(experiment_id=experiment_id)),
    }


@case
def create_experiment_twice() -> Any:
    import mlflow

    mlflow.create_experiment("create_experiment_twice-x")
    return outcome(lambda: mlflow.create_experiment("create_experiment_twice-x"))


@case
def create_experiment_with_tags() -> Any:
    import mlflow

    experiment_id = mlflow.create_experiment(
        "create_experiment_with_tags-x", tags={"k": "v", "n": "1"}
    )
    experiment = mlflow.get_experiment(experiment_id)
    return {
        "id_type": type(experiment_id).__name__,
        "tags": user_tags(experiment.tags),
        "name": experiment.name,
    }


@case
def create_experiment_empty_name() -> Any:
    import mlflow

    return outcome(lambda: mlflow.create_experiment(""))


@case
def get_missing_experiments() -> Any:
    import mlflow

    return {
        "by_name": mlflow.get_experiment_by_name("get_missing_experiments-none"),
        "by_id": outcome(lambda: mlflow.get_experiment("987654")),
    }


@case
def delete_and_restore_experiment() -> Any:
    import mlflow
    from mlflow import MlflowClient

    experiment_id = mlflow.create_experiment("delete_and_restore_experiment-x")
    mlflow.delete_experiment(experiment_id)
    deleted = mlflow.get_experiment(experiment_id).lifecycle_stage
    by_name = mlflow.get_experiment_by_name("delete_and_restore_experiment-x")
    MlflowClient().restore_experiment(experiment_id)
    return {
        "deleted": deleted,
        "by_name_stage": by_name.lifecycle_stage if by_name is not None else None,
        "restored": mlflow.get_experiment(experiment_id).lifecycle_stage,
    }


@case
def search_experiments_filters() -> Any:
    import mlflow
    from mlflow.entities import ViewType

    for suffix in ("a", "b", "c"):
        mlflow.create_experiment(f"search_experiments_filters-{suffix}", tags={"s": suffix})
    gone = mlflow.get_experiment_by_name("search_experiments_filters-c")
    assert gone is not None
    mlflow.delete_experiment(gone.experiment_id)
    like = "name LIKE 'search_experiments_filters-%'"

    def names(**kwargs: Any) -> list[str]:
        return [e.name for e in mlflow.search_experiments(filter_string=like, **kwargs)]

    return {
        "active": names(order_by=["name"]),
        "all": names(view_type=ViewType.ALL, order_by=["name DESC"]),
        "deleted": names(view_type=ViewType.DELETED_ONLY),
        "tag": [
            e.name for e in mlflow.search_experiments(filter_string=f"{like} AND tags.s = 'b'")
        ],
        "max_results": len(mlflow.search_experiments(filter_string=like, max_results=1)),
    }


@case
def experiment_tags_set_and_delete() -> Any:
    import mlflow

    experiment_id = _experiment_id()
    mlflow.set_experiment_tag("a", "1")
    mlflow.set_experiment_tags({"b": 2, "c": "3"})
    mlflow.delete_experiment_tag("c")
    tags = mlflow.get_experiment(experiment_id).tags
    return {
        "tags": user_tags(tags),
        "delete_missing": outcome(lambda: mlflow.delete_experiment_tag("nope")),
    }


@case
def default_experiment() -> Any:
    import mlflow

    default = mlflow.get_experiment("0")
    with mlflow.start_run(experiment_id="0") as run:
        pass
    return {
        "name": default.name,
        "stage": default.lifecycle_stage,
        "by_name": getattr(mlflow.get_experiment_by_name("Default"), "experiment_id", None),
        "run_in_it": run.info.experiment_id,
    }


# --- params, metrics, tags ----------------------------------------------------------------


@case
def log_param_values() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        returned = mlflow.log_param("s", "text")
        for key, value in (("i", 5), ("f", 0.1), ("b", True), ("n", None), ("l", [1, 2])):
            mlflow.log_param(key, value)
    return {"returned": returned, "params": mlflow.get_run(run.info.run_id).data.params}


@case
def log_param_again() -> Any:
    import mlflow

    with mlflow.start_run():
        mlflow.log_param("p", "1")
        same = outcome(lambda: mlflow.log_param("p", "1"))
        other = outcome(lambda: mlflow.log_param("p", "2"))
        batch = outcome(lambda: mlflow.log_params({"q": 1, "p": "3"}))
    return {"same": same, "different": other, "in_batch": batch}


@case
def log_params_batch() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        returned = mlflow.log_params({"a": 1, "b": "two", "c": 3.5})
    return {"returned": returned, "params": mlflow.get_run(run.info.run_id).data.params}


@case
def log_metric_values() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        returned = mlflow.log_metric("int", 3)
        mlflow.log_metric("float", 0.25, step=4)
        mlflow.log_metric("nan", float("nan"))
    return {"returned": returned, "metrics": mlflow.get_run(run.info.run_id).data.metrics}


@case
def log_metric_infinities() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_metric("inf", float("inf"))
        mlflow.log_metric("neg_inf", float("-inf"))
    return mlflow.get_run(run.info.run_id).data.metrics


@case
def log_metric_not_a_number() -> Any:
    import mlflow

    with mlflow.start_run():
        return {
            "string": outcome(lambda: mlflow.log_metric("m", "abc")),  # type: ignore[arg-type]
            "none": outcome(lambda: mlflow.log_metric("m", None)),  # type: ignore[arg-type]
            "list": raises(lambda: mlflow.log_metric("m", [1.0])),  # type: ignore[arg-type]
        }


@case
def log_metric_numeric_string_and_bool() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_metric("text", "1.5")  # type: ignore[arg-type]
        mlflow.log_metric("flag", True)
    return mlflow.get_run(run.info.run_id).data.metrics


@case
def metric_latest_value_is_highest_step() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_metric("m", 5.0, step=5)
        mlflow.log_metric("m", 2.0, step=2)
        mlflow.log_metric("m", 7.0, step=5, timestamp=int(time.time() * 1000) + 10_000)
    return mlflow.get_run(run.info.run_id).data.metrics


@case
def log_metrics_batch_with_step() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        returned = mlflow.log_metrics({"a": 1.0, "b": 2}, step=3)
        mlflow.log_metrics({"a": 1.5}, step=4)
    history = MlflowClient().get_metric_history(run.info.run_id, "a")
    return {
        "returned": returned,
        "history": [(m.key, m.value, m.step) for m in history],
        "types": sorted({type(m).__name__ for m in history}),
        "metrics": mlflow.get_run(run.info.run_id).data.metrics,
    }


@case
def log_metric_to_other_run() -> Any:
    import mlflow

    with mlflow.start_run() as other:
        pass
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, run_id=other.info.run_id)
    return {
        "other": mlflow.get_run(other.info.run_id).data.metrics,
        "active": mlflow.get_run(run.info.run_id).data.metrics,
    }


@case
def tags_values_and_deletion() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        returned = mlflow.set_tag("s", "v")
        mlflow.set_tag("n", 1)
        mlflow.set_tags({"f": 1.5, "b": False, "gone": "x"})
        mlflow.delete_tag("gone")
        missing = outcome(lambda: mlflow.delete_tag("never"))
        mlflow.set_tag("s", "changed")
    tags = mlflow.get_run(run.info.run_id).data.tags
    return {
        "returned": returned,
        "tags": user_tags(tags),
        "delete_missing": missing,
    }


@case
def key_names() -> Any:
    import mlflow

    answers: dict[str, Any] = {}
    with mlflow.start_run():
        for key in ("a/b", "with space", "dash-dot.x", "colon:k", "../up", "a//b", "", "q?"):
            answers[key] = outcome(partial(mlflow.log_param, key, "v"))
    return answers


@case
def value_lengths() -> Any:
    import mlflow

    with mlflow.start_run():
        return {
            "param_6000": outcome(lambda: mlflow.log_param("p6000", "x" * 6000)),
            "tag_key_251": outcome(lambda: mlflow.set_tag("k" * 251, "v")),
            "param_key_251": outcome(lambda: mlflow.log_param("k" * 251, "v")),
            "param_key_250": outcome(lambda: mlflow.log_param("k" * 250, "v")),
            "tag_value_8000": outcome(lambda: mlflow.set_tag("long", "x" * 8000)),
        }


@case
def too_long_values_truncated() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_param("p", "x" * 6001)
        mlflow.set_tag("t", "x" * 8001)
    data = mlflow.get_run(run.info.run_id).data
    return {"param": len(data.params["p"]), "tag": len(data.tags["t"])}


# --- runs: get, delete, search ------------------------------------------------------------


@case
def get_missing_run() -> Any:
    import mlflow

    return outcome(lambda: mlflow.get_run("0123456789abcdef0123456789abcdef"))


@case
def run_info_fields() -> Any:
    import mlflow

    experiment_id = _experiment_id()
    with mlflow.start_run(run_name="fields") as run:
        pass
    info = mlflow.get_run(run.info.run_id).info
    return {
        "experiment_id": info.experiment_id == experiment_id,
        "id_shape": bool(re.fullmatch(r"[0-9a-f]{32}", info.run_id)),
        "start_type": type(info.start_time).__name__,
        "order": info.start_time <= (info.end_time or 0),
        "stage": info.lifecycle_stage,
        "artifacts": info.artifact_uri.endswith(f"{info.run_id}/artifacts"),
        "run_name": info.run_name,
    }


@case
def delete_and_restore_run() -> Any:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    with mlflow.start_run() as run:
        pass
    mlflow.delete_run(run.info.run_id)
    stage = mlflow.get_run(run.info.run_id).info.lifecycle_stage
    experiment_ids = [_experiment_id()]
    active = len(mlflow.search_runs(experiment_ids, output_format="list"))
    every = mlflow.search_runs(experiment_ids, run_view_type=ViewType.ALL, output_format="list")
    deleted = mlflow.search_runs(
        experiment_ids, run_view_type=ViewType.DELETED_ONLY, output_format="list"
    )
    MlflowClient().restore_run(run.info.run_id)
    return {
        "stage": stage,
        "active_count": active,
        "all_count": len(every),
        "deleted_count": len(deleted),
        "restored": mlflow.get_run(run.info.run_id).info.lifecycle_stage,
    }


@case
def write_to_deleted_run() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(_experiment_id())
    client.delete_run(run.info.run_id)
    return {
        "metric": outcome(lambda: client.log_metric(run.info.run_id, "m", 1.0)),
        "param": outcome(lambda: client.log_param(run.info.run_id, "p", "1")),
        "tag": outcome(lambda: client.set_tag(run.info.run_id, "t", "1")),
    }


def _three_runs() -> None:
    import mlflow

    for index, (model, score) in enumerate((("tree", 0.5), ("linear", 0.9), ("tree", 0.7))):
        with mlflow.start_run(run_name=f"run-{index}", tags={"model": model}):
            mlflow.log_param("model", model)
            mlflow.log_param("depth", str(index))
            mlflow.log_metric("score", score)
            mlflow.log_metric("loss", 1 - score)


_SYSTEM_COLUMNS = ("tags.mlflow.", "tags.tuitrack.")


@case
def tuitrack_adds_its_own_tags() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        pass
    tags = mlflow.get_run(run.info.run_id).data.tags
    return sorted(k for k in tags if not k.startswith("mlflow."))


@case
def search_runs_dataframe() -> Any:
    import mlflow

    _three_runs()
    frame = mlflow.search_runs(order_by=["metrics.score DESC"])
    return {
        "type": type(frame).__name__,
        "columns": sorted(c for c in frame.columns if not c.startswith(_SYSTEM_COLUMNS)),
        "scores": [round(float(v), 6) for v in frame["metrics.score"]],
        "models": list(frame["params.model"]),
        "status": list(frame["status"]),
        "names": list(frame["tags.mlflow.runName"]),
        "dtypes": {c: str(frame[c].dtype) for c in ("metrics.score", "params.depth", "start_time")},
    }


@case
def search_runs_empty_dataframe() -> Any:
    import mlflow

    frame = mlflow.search_runs()
    return {"type": type(frame).__name__, "rows": len(frame), "columns": list(frame.columns)}


@case
def search_runs_filters() -> Any:
    import mlflow

    _three_runs()

    def names(filter_string: str) -> Any:
        try:
            runs = mlflow.search_runs(
                filter_string=filter_string, order_by=["attributes.run_name"], output_format="list"
            )
        except Exception as error:
            return error_answer(error)
        return [run.info.run_name for run in runs]

    return {
        "metric": names("metrics.score > 0.6"),
        "param": names("params.model = 'tree'"),
        "tag": names("tags.model != 'tree'"),
        "and": names("params.model = 'tree' AND metrics.loss < 0.4"),
        "like": names("attributes.run_name LIKE 'run-%'"),
        "ilike": names("params.model ILIKE 'TR%'"),
        "status": names("attributes.status = 'FINISHED'"),
        "run_name_tag": names("tags.mlflow.runName = 'run-1'"),
        "missing_key": names("metrics.nothing > 0"),
    }


@case
def search_runs_in_on_params() -> Any:
    import mlflow

    _three_runs()
    runs = mlflow.search_runs(filter_string="params.depth IN ('0', '2')", output_format="list")
    return sorted(run.info.run_name for run in runs)


@case
def search_runs_in_on_run_id() -> Any:
    import mlflow

    _three_runs()
    runs = mlflow.search_runs(order_by=["attributes.run_name"], output_format="list")
    wanted = ", ".join(f"'{run.info.run_id}'" for run in runs[:2])
    found = mlflow.search_runs(
        filter_string=f"attributes.run_id IN ({wanted})", output_format="list"
    )
    return sorted(run.info.run_name for run in found)


@case
def search_runs_order_and_limit() -> Any:
    import mlflow

    _three_runs()

    def names(order_by: list[str], **kwargs: Any) -> list[str]:
        runs = mlflow.search_runs(order_by=order_by, output_format="list", **kwargs)
        return [run.info.run_name for run in runs]

    return {
        "score_asc": names(["metrics.score ASC"]),
        "param_desc": names(["params.model DESC", "metrics.score DESC"]),
        "name": names(["attributes.run_name DESC"]),
        "limit": names(["metrics.score DESC"], max_results=2),
        "list_types": sorted({type(r).__name__ for r in mlflow.search_runs(output_format="list")}),
    }


@case
def search_runs_bad_filter() -> Any:
    import mlflow

    return {
        "syntax": outcome(lambda: mlflow.search_runs(filter_string="metrics.m >")),
        "entity": outcome(lambda: mlflow.search_runs(filter_string="nothing.m = 1")),
        "order": outcome(lambda: mlflow.search_runs(order_by=["metrics.m SIDEWAYS"])),
    }


@case
def search_runs_by_experiment_names() -> Any:
    import mlflow

    mlflow.set_experiment("search_runs_by_experiment_names-x")
    with mlflow.start_run(run_name="x-run"):
        pass
    runs = mlflow.search_runs(
        experiment_names=["search_runs_by_experiment_names-x"], output_format="list"
    )
    return [run.info.run_name for run in runs]


@case
def search_runs_parent_filter() -> Any:
    import mlflow

    with mlflow.start_run() as parent:
        for index in range(2):
            with mlflow.start_run(run_name=f"child-{index}", nested=True):
                pass
    runs = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        order_by=["attributes.run_name"],
        output_format="list",
    )
    return [run.info.run_name for run in runs]


@case
def search_runs_nan_metric_order() -> Any:
    import mlflow

    for name, value in (("a", 1.0), ("b", float("nan")), ("c", 3.0)):
        with mlflow.start_run(run_name=name):
            mlflow.log_metric("m", value)
    return {
        direction: [
            r.info.run_name
            for r in mlflow.search_runs(order_by=[f"metrics.m {direction}"], output_format="list")
        ]
        for direction in ("ASC", "DESC")
    }


# --- MlflowClient -------------------------------------------------------------------------


@case
def client_experiments() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment_id = client.create_experiment("client_experiments-x", tags={"k": "v"})
    experiment = client.get_experiment(experiment_id)
    client.rename_experiment(experiment_id, "client_experiments-y")
    client.set_experiment_tag(experiment_id, "k2", "v2")
    renamed = client.get_experiment_by_name("client_experiments-y")
    return {
        "id_type": type(experiment_id).__name__,
        "name": experiment.name,
        "stage": experiment.lifecycle_stage,
        "renamed": renamed is not None and renamed.experiment_id == experiment_id,
        "old_name": client.get_experiment_by_name("client_experiments-x"),
        "tags": user_tags(renamed.tags) if renamed else None,
        "artifact_location_type": type(experiment.artifact_location).__name__,
    }


@case
def client_create_run_and_terminate() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(_experiment_id(), tags={"t": "1"}, run_name="made")
    created = {
        "status": run.info.status,
        "name": run.info.run_name,
        "tag": run.data.tags.get("t"),
        "name_tag": run.data.tags.get("mlflow.runName"),
        "end_time": run.info.end_time,
    }
    client.set_terminated(run.info.run_id)
    return {"created": created, "terminated": _ended(run.info.run_id)}


@case
def client_set_terminated_status() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(_experiment_id())
    client.set_terminated(run.info.run_id, status="KILLED")
    return {
        "killed": _ended(run.info.run_id),
        "bad_status": raises(lambda: client.set_terminated(run.info.run_id, status="DONE")),
    }


@case
def client_update_run() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(_experiment_id(), run_name="before")
    client.update_run(run.info.run_id, name="after")
    renamed = client.get_run(run.info.run_id)
    client.update_run(run.info.run_id, status="FAILED")
    return {
        "name": renamed.info.run_name,
        "tag": renamed.data.tags.get("mlflow.runName"),
        "status": client.get_run(run.info.run_id).info.status,
    }


@case
def client_logging() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    returned = [
        client.log_metric(run_id, "m", 1, step=0),
        client.log_metric(run_id, "m", 2.5, step=1),
        client.log_param(run_id, "p", 7),
        client.set_tag(run_id, "t", "x"),
    ]
    client.set_terminated(run_id)
    run = client.get_run(run_id)
    return {
        "returned": [type(value).__name__ for value in returned],
        "params": run.data.params,
        "metrics": run.data.metrics,
        "tag": run.data.tags.get("t"),
    }


@case
def client_metric_history() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    for step in (2, 0, 1):
        client.log_metric(run_id, "m", step * 1.5, step=step, timestamp=1000 + step)
    history = client.get_metric_history(run_id, "m")
    return {
        "points": sorted((m.step, m.value, m.timestamp) for m in history),
        "missing": [m.value for m in client.get_metric_history(run_id, "none")],
        "length": len(history),
        "last_step": history[-1].step,
    }


@case
def metric_history_is_a_paged_list() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    client.log_metric(run_id, "m", 1.0)
    history = client.get_metric_history(run_id, "m")
    return {"list": isinstance(history, list), "token": getattr(history, "token", "absent")}


@case
def client_log_batch() -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    returned = client.log_batch(
        run_id,
        metrics=[Metric("m", 1.5, 1000, 1), Metric("m", 2.5, 1001, 2)],
        params=[Param("p", "v")],
        tags=[RunTag("t", "x")],
    )
    run = client.get_run(run_id)
    return {
        "returned": returned,
        "metrics": run.data.metrics,
        "params": run.data.params,
        "tag": run.data.tags.get("t"),
        "history": [m.value for m in client.get_metric_history(run_id, "m")],
    }


@case
def client_log_batch_limits() -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    many = [Metric("m", float(i), 1000 + i, i) for i in range(1001)]
    return {
        "too_many_metrics": outcome(lambda: client.log_batch(run_id, metrics=many)),
        "duplicate_params": outcome(
            lambda: client.log_batch(run_id, params=[Param("p", "1"), Param("p", "2")])
        ),
        "empty": outcome(lambda: client.log_batch(run_id)),
    }


@case
def client_search_runs_paging() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment_id = _experiment_id()
    for index in range(5):
        run = client.create_run(experiment_id, run_name=f"r{index}")
        client.log_metric(run.info.run_id, "i", index)
        client.set_terminated(run.info.run_id)
    seen: list[str] = []
    pages = 0
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], order_by=["metrics.i ASC"], max_results=2, page_token=token
        )
        pages += 1
        seen.extend(run.info.run_name for run in page)
        token = page.token
        if not token:
            break
    return {"seen": seen, "pages": pages, "type": type(page).__name__}


@case
def client_search_experiments() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    for suffix in ("b", "a"):
        client.create_experiment(f"client_search_experiments-{suffix}")
    found = client.search_experiments(
        filter_string="name LIKE 'client_search_experiments-%'", order_by=["name ASC"]
    )
    return {"names": [e.name for e in found], "type": type(found).__name__}


@case
def client_missing_things() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    return {
        "experiment": outcome(lambda: client.get_experiment("987654")),
        "run": outcome(lambda: client.get_run("0123456789abcdef0123456789abcdef")),
        "by_name": client.get_experiment_by_name("client_missing_things-none"),
        "create_run": outcome(lambda: client.create_run("987654")),
        "delete_run": outcome(lambda: client.delete_run("0123456789abcdef0123456789abcdef")),
    }


# --- entities and artifacts ---------------------------------------------------------------


@case
def entities() -> Any:
    from mlflow.entities import LifecycleStage, Metric, Param, RunStatus, RunTag

    metric = Metric("m", 1.5, 123, 4)
    return {
        "metric": [metric.key, metric.value, metric.timestamp, metric.step],
        "param": [Param("k", "v").key, Param("k", "v").value],
        "tag": [RunTag("t", "x").key, RunTag("t", "x").value],
        "status": [
            RunStatus.to_string(RunStatus.FINISHED),
            RunStatus.is_terminated(RunStatus.KILLED),
        ],
        "status_back": RunStatus.from_string("RUNNING") == RunStatus.RUNNING,
        "stage": [LifecycleStage.ACTIVE, LifecycleStage.DELETED],
        "equal": Metric("m", 1.5, 123, 4) == Metric("m", 1.5, 123, 4),
    }


@case
def view_type_values() -> Any:
    from mlflow.entities import ViewType

    return [ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL]


@case
def run_to_dictionary() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
        mlflow.log_metric("m", 2.0)
    as_dict = mlflow.get_run(run.info.run_id).to_dictionary()
    return {
        "info_keys": sorted(as_dict["info"]),
        "data_keys": sorted(as_dict["data"]),
        "params": as_dict["data"]["params"],
        "metrics": as_dict["data"]["metrics"],
    }


@case
def run_to_dictionary_sections() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        pass
    return sorted(mlflow.get_run(run.info.run_id).to_dictionary())


@case
def run_to_dictionary_inputs_and_outputs() -> Any:
    import importlib

    import mlflow
    import numpy as np
    from mlflow.entities import Run

    data = importlib.import_module("mlflow.data")  # MLflow's names it loads lazily
    dataset = data.from_numpy(np.arange(6).reshape(3, 2), source="https://example.com/t.npy")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    stored = mlflow.get_run(run.info.run_id)
    as_dict = stored.to_dictionary()
    (found,) = mlflow.search_runs(output_format="list")
    return {
        "inputs": as_dict["inputs"],
        "outputs": as_dict["outputs"],
        "searched": sorted(found.to_dictionary()),
        "built": sorted(Run(stored.info, stored.data).to_dictionary()),
        "built_with_inputs": sorted(Run(stored.info, stored.data, stored.inputs).to_dictionary()),
    }


@case
def artifacts_listing() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        mlflow.log_text("hello", "notes/hello.txt")
        mlflow.log_dict({"a": 1}, "config.json")
        mlflow.log_dict({"a": 1}, "config.yaml")
    client = MlflowClient()
    top = client.list_artifacts(run.info.run_id)
    inner = client.list_artifacts(run.info.run_id, "notes")
    return {
        "top": [(f.path, f.is_dir) for f in top],
        "inner": [(f.path, f.is_dir, f.file_size) for f in inner],
        "sizes_known": all(f.file_size is None for f in top if f.is_dir),
    }


@case
def artifacts_module() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_dict({"a": 1}, "config.json")
    uri = f"{run.info.artifact_uri}/config.json"
    return mlflow.artifacts.load_dict(uri)


@case
def active_run_outside() -> Any:
    import mlflow

    return {
        "active": mlflow.active_run(),
        "tracking_uri_set": mlflow.is_tracking_uri_set(),  # type: ignore[no-untyped-call]
    }


# --- more lifecycle and naming ------------------------------------------------------------


@case
def nested_without_parent() -> Any:
    import mlflow

    with mlflow.start_run(nested=True) as run:
        pass
    return {
        "parent_tag": "mlflow.parentRunId" in mlflow.get_run(run.info.run_id).data.tags,
        "status": mlflow.get_run(run.info.run_id).info.status,
    }


@case
def with_block_ends_only_the_innermost() -> Any:
    import mlflow

    with mlflow.start_run() as parent:
        child = mlflow.start_run(nested=True)
    active = mlflow.active_run()
    answer = {
        "child": mlflow.get_run(child.info.run_id).info.status,
        "parent": mlflow.get_run(parent.info.run_id).info.status,
        "parent_still_active": active is not None and active.info.run_id == parent.info.run_id,
    }
    while mlflow.active_run() is not None:
        mlflow.end_run()
    return answer


@case
def end_run_inside_with_block() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.end_run(status="KILLED")
        inside = mlflow.active_run()
    return {"inside": inside, "after": _ended(run.info.run_id)}


@case
def last_active_run_after_failure() -> Any:
    import mlflow

    try:
        with mlflow.start_run():
            raise ValueError("x")
    except ValueError:
        pass
    last = mlflow.last_active_run()
    return last.info.status if last is not None else None


@case
def active_run_object() -> Any:
    import mlflow

    with mlflow.start_run(tags={"k": "v"}) as run:
        mlflow.log_param("p", "1")
        active = mlflow.active_run()
        assert active is not None
        return {
            "status": run.info.status,
            "end_time": run.info.end_time,
            "active_status": active.info.status,
            "stage": run.info.lifecycle_stage,
            "tag": run.data.tags.get("k"),
            "equals_text": run.info.status == "RUNNING",
        }


@case
def run_status_is_a_plain_str() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        pass
    return type(mlflow.get_run(run.info.run_id).info.status).__name__


@case
def rename_run_by_tag() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run(run_name="first") as run:
        mlflow.set_tag("mlflow.runName", "second")
    after_fluent = mlflow.get_run(run.info.run_id).info.run_name
    MlflowClient().set_tag(run.info.run_id, "mlflow.runName", "third")
    found = mlflow.search_runs(filter_string="attributes.run_name = 'third'", output_format="list")
    return {
        "after_fluent": after_fluent,
        "after_client": mlflow.get_run(run.info.run_id).info.run_name,
        "found": [r.info.run_id == run.info.run_id for r in found],
    }


@case
def resume_run_with_new_tags() -> Any:
    import mlflow

    with mlflow.start_run(tags={"a": "1"}) as run:
        pass
    with mlflow.start_run(run_id=run.info.run_id, tags={"b": "2"}) as again:
        returned = user_tags(again.data.tags)
    return {"returned": returned, "stored": user_tags(mlflow.get_run(run.info.run_id).data.tags)}


@case
def delete_active_run() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.delete_run(run.info.run_id)
        stage = mlflow.get_run(run.info.run_id).info.lifecycle_stage
    return {"stage": stage, "status": mlflow.get_run(run.info.run_id).info.status}


@case
def get_parent_run_of_missing_run() -> Any:
    import mlflow

    return outcome(lambda: mlflow.get_parent_run("0123456789abcdef0123456789abcdef"))


# --- read your own writes -------------------------------------------------------------------


@case
def read_own_writes_inside_run() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_param("p", "v")
        mlflow.set_tag("t", "x")
        fetched = mlflow.get_run(run.info.run_id)
        history = MlflowClient().get_metric_history(run.info.run_id, "loss")
        found = mlflow.search_runs(filter_string="metrics.loss < 0.5", output_format="list")
        return {
            "metrics": fetched.data.metrics,
            "params": fetched.data.params,
            "tag": fetched.data.tags.get("t"),
            "history": [m.step for m in history],
            "found": len(found),
        }


@case
def metric_defaults() -> Any:
    import mlflow
    from mlflow import MlflowClient

    before = int(time.time() * 1000)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    after = int(time.time() * 1000)
    (point,) = MlflowClient().get_metric_history(run.info.run_id, "m")
    return {"step": point.step, "timestamp_now": before - 1000 <= point.timestamp <= after + 1000}


@case
def log_metrics_with_timestamp() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        mlflow.log_metrics({"a": 1.0, "b": 2.0}, step=2, timestamp=1_700_000_000_000)
    client = MlflowClient()
    return sorted(
        (m.key, m.value, m.step, m.timestamp)
        for key in ("a", "b")
        for m in client.get_metric_history(run.info.run_id, key)
    )


@case
def negative_and_large_steps() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, step=-1)
        mlflow.log_metric("m", 2.0, step=2**40)
    history = MlflowClient().get_metric_history(run.info.run_id, "m")
    return sorted(m.step for m in history)


# --- experiments, more ----------------------------------------------------------------------


@case
def experiment_fields() -> Any:
    import mlflow

    experiment_id = mlflow.create_experiment("experiment_fields-x")
    experiment = mlflow.get_experiment(experiment_id)
    return {
        "creation_type": type(experiment.creation_time).__name__,
        "update_type": type(experiment.last_update_time).__name__,
        "artifact_location_absolute": "://" in experiment.artifact_location
        or experiment.artifact_location.startswith("/"),
        "id_digits": experiment.experiment_id.isdigit(),
    }


@case
def recreate_deleted_experiment_name() -> Any:
    import mlflow

    experiment_id = mlflow.create_experiment("recreate_deleted_experiment_name-x")
    mlflow.delete_experiment(experiment_id)
    return outcome(lambda: mlflow.create_experiment("recreate_deleted_experiment_name-x"))


@case
def default_experiment_by_client() -> Any:
    from mlflow import MlflowClient

    default = MlflowClient().get_experiment_by_name("Default")
    return {
        "id": default.experiment_id if default else None,
        "delete": outcome(lambda: MlflowClient().delete_experiment("0")),
    }


@case
def search_experiments_paging() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    for index in range(5):
        client.create_experiment(f"search_experiments_paging-{index}")
    names: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_experiments(
            filter_string="name LIKE 'search_experiments_paging-%'",
            order_by=["name DESC"],
            max_results=2,
            page_token=token,
        )
        pages += 1
        names.extend(e.name for e in page)
        token = page.token
        if not token:
            break
    return {"names": names, "pages": pages}


@case
def search_experiments_by_attribute() -> Any:
    import mlflow

    mlflow.create_experiment("search_experiments_by_attribute-x")
    found = mlflow.search_experiments(
        filter_string="attribute.name = 'search_experiments_by_attribute-x'"
    )
    return [e.name for e in found]


# --- search, more ---------------------------------------------------------------------------


@case
def search_runs_default_order_is_newest_first() -> Any:
    import mlflow

    for index in range(3):
        with mlflow.start_run(run_name=f"r{index}"):
            pass
        time.sleep(0.01)
    return [r.info.run_name for r in mlflow.search_runs(output_format="list")]


@case
def search_runs_quoted_keys() -> Any:
    import mlflow

    with mlflow.start_run(run_name="q"):
        mlflow.log_metric("my metric", 2.0)
        mlflow.log_param("a.b", "x")

    def names(filter_string: str) -> Any:
        try:
            runs = mlflow.search_runs(filter_string=filter_string, output_format="list")
        except Exception as error:
            return error_answer(error)
        return [r.info.run_name for r in runs]

    return {
        "backticks": names("metrics.`my metric` > 1"),
        "double_quotes": names('metrics."my metric" > 1'),
        "dotted_param": names("params.`a.b` = 'x'"),
        "tag_backticks": names("tags.`mlflow.runName` = 'q'"),
        "lowercase_and": names("metrics.`my metric` > 1 and params.`a.b` = 'x'"),
    }


@case
def search_runs_missing_key_comparisons() -> Any:
    import mlflow

    with mlflow.start_run(run_name="has"):
        mlflow.log_param("p", "x")
    with mlflow.start_run(run_name="lacks"):
        pass

    def names(filter_string: str) -> list[str]:
        runs = mlflow.search_runs(filter_string=filter_string, output_format="list")
        return sorted(r.info.run_name for r in runs)

    return {
        "not_equal": names("params.p != 'y'"),
        "equal": names("params.p = 'x'"),
    }


@case
def search_runs_by_time_and_view() -> Any:
    import mlflow
    from mlflow.entities import ViewType

    with mlflow.start_run(run_name="kept"):
        pass
    with mlflow.start_run(run_name="gone") as gone:
        pass
    mlflow.delete_run(gone.info.run_id)

    def names(**kwargs: Any) -> list[str]:
        runs = mlflow.search_runs(output_format="list", **kwargs)
        return sorted(r.info.run_name for r in runs)

    return {
        "started": names(filter_string="attributes.start_time > 0"),
        "ended": names(filter_string="attributes.end_time > 0", run_view_type=ViewType.ALL),
        "deleted": names(run_view_type=ViewType.DELETED_ONLY),
    }


@case
def search_runs_empty_experiment_list() -> Any:
    import mlflow

    return {
        "list": mlflow.search_runs(experiment_ids=[], output_format="list"),
        "unknown_name": outcome(
            lambda: mlflow.search_runs(experiment_names=["search_runs-none"], output_format="list")
        ),
    }


# --- client, more ---------------------------------------------------------------------------


@case
def client_writes_to_missing_run() -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    missing = "0123456789abcdef0123456789abcdef"
    return {
        "log_batch": outcome(lambda: client.log_batch(missing, metrics=[Metric("m", 1.0, 1, 0)])),
        "log_param": outcome(lambda: client.log_param(missing, "p", "1")),
        "set_terminated": outcome(lambda: client.set_terminated(missing)),
    }


@case
def metric_history_of_missing_run() -> Any:
    from mlflow import MlflowClient

    missing = "0123456789abcdef0123456789abcdef"
    return outcome(lambda: MlflowClient().get_metric_history(missing, "m"))


@case
def client_create_run_start_time() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(_experiment_id(), start_time=1_600_000_000_000)
    client.set_terminated(run.info.run_id, end_time=1_600_000_001_000)
    info = client.get_run(run.info.run_id).info
    return {"start": info.start_time, "end": info.end_time, "status": info.status}


@case
def client_delete_tag() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    run_id = client.create_run(_experiment_id(), tags={"a": "1", "b": "2"}).info.run_id
    client.delete_tag(run_id, "a")
    return {
        "tags": user_tags(client.get_run(run_id).data.tags),
        "missing": outcome(lambda: client.delete_tag(run_id, "a")),
    }


@case
def client_tracking_uri() -> Any:
    import os

    import mlflow
    from mlflow import MlflowClient

    uri = os.environ["MLFLOW_TRACKING_URI"]
    return {
        "fluent": mlflow.get_tracking_uri() == uri,
        "client": MlflowClient().tracking_uri == uri,
        "explicit": MlflowClient(tracking_uri=uri).tracking_uri == uri,
    }


@case
def client_experiment_tags_and_deletion() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment_id = client.create_experiment("client_experiment_tags_and_deletion-x")
    client.set_experiment_tag(experiment_id, "a", "1")
    client.delete_experiment_tag(experiment_id, "a")
    client.delete_experiment(experiment_id)
    return {
        "tags": user_tags(client.get_experiment(experiment_id).tags),
        "stage": client.get_experiment(experiment_id).lifecycle_stage,
        "create_run_in_deleted": outcome(lambda: client.create_run(experiment_id)),
    }


# --- artifacts, more ------------------------------------------------------------------------


@case
def log_artifact_files() -> Any:
    import tempfile
    from pathlib import Path

    import mlflow
    from mlflow import MlflowClient

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a.txt").write_text("a")
        (root / "sub").mkdir()
        (root / "sub" / "b.txt").write_text("bb")
        with mlflow.start_run() as run:
            mlflow.log_artifact(str(root / "a.txt"))
            mlflow.log_artifact(str(root / "a.txt"), artifact_path="copies")
            mlflow.log_artifacts(str(root / "sub"), artifact_path="tree")
            uri = mlflow.get_artifact_uri()
            file_uri = mlflow.get_artifact_uri("a.txt")
    client = MlflowClient()
    return {
        "top": [(f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id)],
        "tree": [(f.path, f.file_size) for f in client.list_artifacts(run.info.run_id, "tree")],
        "uri_is_runs": uri == run.info.artifact_uri,
        "file_uri": file_uri == f"{uri}/a.txt",
    }


@case
def log_table_artifact() -> Any:
    import mlflow
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        mlflow.log_table({"x": [1, 2], "y": ["a", "b"]}, artifact_file="tables/t.json")
    listed = MlflowClient().list_artifacts(run.info.run_id, "tables")
    return [f.path for f in listed]


@case
def log_image_artifact() -> Any:
    import mlflow
    import numpy
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        mlflow.log_image(numpy.zeros((4, 4, 3), dtype=numpy.uint8), "images/black.png")
    listed = MlflowClient().list_artifacts(run.info.run_id, "images")
    return [(f.path, f.is_dir) for f in listed]


# --- log_batch validation and MlflowException itself ----------------------------------------


@case
def client_log_batch_validation() -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    client.log_param(run_id, "fixed", "1")
    return {
        "empty_tag_key": outcome(lambda: client.log_batch(run_id, tags=[RunTag("", "v")])),
        "bad_metric_key": outcome(
            lambda: client.log_batch(run_id, metrics=[Metric("../m", 1.0, 1, 0)])
        ),
        "param_conflict": outcome(lambda: client.log_batch(run_id, params=[Param("fixed", "2")])),
        "same_param": outcome(lambda: client.log_batch(run_id, params=[Param("fixed", "1")])),
        "params": client.get_run(run_id).data.params,
    }


@case
def client_log_batch_text_metric_value() -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    return outcome(
        lambda: client.log_batch(run_id, metrics=[Metric("m", "x", 1, 0)])  # type: ignore[arg-type]
    )


@case
def client_log_batch_many_params() -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Param

    client = MlflowClient()
    run_id = client.create_run(_experiment_id()).info.run_id
    client.log_batch(run_id, params=[Param(f"p{i}", str(i)) for i in range(150)])
    return len(client.get_run(run_id).data.params)


@case
def mlflow_exception_raised_by_user_code() -> Any:
    from mlflow.exceptions import MlflowException

    try:
        raise MlflowException("boom")
    except MlflowException as error:
        caught = error
    made = MlflowException.invalid_parameter_value("bad value")
    return {
        "message": caught.message,
        "str": str(caught),
        "error_code": caught.error_code,
        "is_exception": isinstance(caught, Exception),
        "made_code": made.error_code,
        "made_message": made.message,
        "made_type": isinstance(made, MlflowException),
    }


@case
def catching_mlflow_exception_by_code() -> Any:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        mlflow.get_run("0123456789abcdef0123456789abcdef")
    except MlflowException as error:
        return {"code": error.error_code, "message_names_run": "0123456789abcdef" in error.message}
    return None


# --- values from numpy and int ids, DataFrame details ---------------------------------------


@case
def numpy_values() -> Any:
    import mlflow
    import numpy
    from mlflow import MlflowClient

    with mlflow.start_run() as run:
        # (a numpy step is left out: MLflow's SQLite store saves it as bytes)
        mlflow.log_metric("f32", numpy.float32(0.5), step=3)  # type: ignore[arg-type]
        mlflow.log_metric("i64", numpy.int64(7))  # type: ignore[arg-type]
        mlflow.log_param("np", numpy.float64(0.25))
        mlflow.log_params({"dict": {"a": 1}, "zero": 0, "none": None})
        mlflow.set_tags({"none": None, "array": numpy.array([1, 2])})
    run_data = mlflow.get_run(run.info.run_id).data
    history = MlflowClient().get_metric_history(run.info.run_id, "f32")
    return {
        "metrics": run_data.metrics,
        "params": run_data.params,
        "tags": user_tags(run_data.tags),
        "step": [(type(m.step).__name__, m.step) for m in history],
    }


@case
def integer_experiment_ids() -> Any:
    import mlflow

    experiment_id = mlflow.create_experiment("integer_experiment_ids-x")
    number = int(experiment_id)
    with mlflow.start_run(experiment_id=number) as run:  # type: ignore[arg-type]
        pass
    return {
        "run_in_it": run.info.experiment_id == experiment_id,
        "get": mlflow.get_experiment(number).name,  # type: ignore[arg-type]
        "set": mlflow.set_experiment(experiment_id=number).name,  # type: ignore[arg-type]
        "search": len(mlflow.search_runs([number], output_format="list")),  # type: ignore[call-overload]
    }


@case
def search_all_experiments() -> Any:
    import mlflow

    mlflow.set_experiment("search_all_experiments-x")
    with mlflow.start_run(tags={"search_all_experiments": "1"}):
        pass
    mlflow.set_experiment("search_all_experiments-y")
    with mlflow.start_run(tags={"search_all_experiments": "1"}):
        pass
    runs = mlflow.search_runs(
        filter_string="tags.search_all_experiments = '1'",
        search_all_experiments=True,
        output_format="list",
    )
    return len(runs)


@case
def search_runs_running_status() -> Any:
    import mlflow

    with mlflow.start_run(run_name="live"):
        running = mlflow.search_runs(
            filter_string="attributes.status = 'RUNNING'", output_format="list"
        )
        return [r.info.run_name for r in running]


@case
def dataframe_missing_cells() -> Any:
    import mlflow

    with mlflow.start_run(run_name="a"):
        mlflow.log_param("only_a", "x")
        mlflow.log_metric("m_a", 1.0)
    time.sleep(0.01)
    with mlflow.start_run(run_name="b"):
        mlflow.set_tag("only_b", "y")
    frame = mlflow.search_runs(order_by=["attributes.run_name"])
    return {
        "param": [repr(v) for v in frame["params.only_a"]],
        "metric": [repr(v) for v in frame["metrics.m_a"]],
        "tag": [repr(v) for v in frame["tags.only_b"]],
        "end_time": str(frame["end_time"].dtype),
        "run_ids": [isinstance(v, str) and len(v) == 32 for v in frame["run_id"]],
        "experiment_ids": frame["experiment_id"].nunique(),
        "index": list(frame.index),
    }


@case
def client_search_runs_token() -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment_id = _experiment_id()
    for _ in range(2):
        client.set_terminated(client.create_run(experiment_id).info.run_id)
    first = client.search_runs([experiment_id], max_results=1)
    every = client.search_runs([experiment_id], max_results=10)
    return {"first_token": first.token is not None, "every_token": every.token, "n": len(every)}


@case
def search_runs_max_results_zero() -> Any:
    import mlflow

    with mlflow.start_run():
        pass
    return outcome(lambda: mlflow.search_runs(max_results=0, output_format="list"))


# --- system tags and small edge cases -------------------------------------------------------


@case
def mlflow_system_tags() -> Any:
    import getpass
    import sys

    import mlflow

    with mlflow.start_run() as run:
        pass
    tags = mlflow.get_run(run.info.run_id).data.tags
    return {
        "keys": sorted(k for k in tags if k.startswith("mlflow.")),
        "user": tags.get("mlflow.user") == getpass.getuser(),
        "source_type": tags.get("mlflow.source.type"),
        "source_name": tags.get("mlflow.source.name") == sys.argv[0],
    }


@case
def end_run_bad_status() -> Any:
    import mlflow

    mlflow.start_run()
    return raises(lambda: mlflow.end_run(status="DONE"))


@case
def resume_the_active_run() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        return raises(lambda: mlflow.start_run(run_id=run.info.run_id))


@case
def logging_after_run_ended_starts_new_run() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        pass
    mlflow.log_param("p", "1")
    active = mlflow.active_run()
    return {
        "new_run": active is not None and active.info.run_id != run.info.run_id,
        "old_params": mlflow.get_run(run.info.run_id).data.params,
    }


@case
def empty_batches() -> Any:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_params({})
        mlflow.log_metrics({})
        mlflow.set_tags({})
    data = mlflow.get_run(run.info.run_id).data
    return {"params": data.params, "metrics": data.metrics, "tags": user_tags(data.tags)}


@case
def create_experiment_artifact_location() -> Any:
    import tempfile

    import mlflow

    folder = tempfile.mkdtemp()
    experiment_id = mlflow.create_experiment(
        "create_experiment_artifact_location-x", artifact_location=folder
    )
    location = mlflow.get_experiment(experiment_id).artifact_location
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    return {
        "location_names_folder": location.rstrip("/").endswith(folder),
        "run_artifacts_under_it": folder in run.info.artifact_uri,
    }
