"""An entity built with a value it cannot hold is refused with InvalidValueError (an
MlflowException, code INVALID_PARAMETER_VALUE) that names the entity, the field, the value
and what the field allows, never with pydantic's ValidationError (issue 16).

MLflow builds such an entity and refuses it when it is logged; code written for MLflow
observes the same error either way, which the last tests check against real MLflow."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

import pytest
from pydantic import ValidationError

import tuitrack
from tests.sdk.mlflow_side import mlflow_root_fixture, real_mlflow_fixture  # noqa: F401
from tests.sdk.processes import SdkSandbox
from tuitrack import entities
from tuitrack.core import entities as core_entities
from tuitrack.errors import InvalidValueError
from tuitrack.exceptions import MlflowException

TS = 1_700_000_000_000
E: Any = entities  # the constructions below give wrong types on purpose
INFO = E.RunInfo("r", "0")
SUMMARY = {"key": "m", "step": 0, "timestamp": TS, "min_value": None, "max_value": None}


class Bad(NamedTuple):
    """A construction with one bad value, and what its error must say."""

    entity: str
    build: Callable[[], object]
    field: str  # as the message names it
    shown: str  # the value as the message shows it
    allowed: str  # words of what the field allows


BAD = [
    Bad("Metric", lambda: E.Metric("m", "x", TS, 0), "value", "'x'", "valid number"),
    Bad("Metric", lambda: E.Metric("m", 1.0, "soon", 0), "timestamp", "'soon'", "integer"),
    Bad("Metric", lambda: E.Metric("m", 1.0, TS, 1.5), "step", "1.5", "integer"),
    Bad("Metric", lambda: E.Metric(None, 1.0, TS, 0), "key", "None", "valid string"),
    Bad("Param", lambda: E.Param("k", None), "value", "None", "valid string"),
    Bad("RunTag", lambda: E.RunTag(3, "v"), "key", "3", "valid string"),
    Bad("ExperimentTag", lambda: E.ExperimentTag("k", ["v"]), "value", "['v']", "string"),
    Bad("Experiment", lambda: E.Experiment("1", ["n"], "/a"), "name", "['n']", "string"),
    Bad("Experiment", lambda: E.Experiment("1", "n", "/a", "gone"), "lifecycle_stage", "'gone'",
        "'active' or 'deleted'"),
    Bad("RunInfo", lambda: E.RunInfo("r", "0", "u", "DONE"), "status", "'DONE'", "'KILLED'"),
    Bad("RunInfo", lambda: E.RunInfo("r", "0", start_time="noon"), "start_time", "'noon'",
        "integer"),
    Bad("RunData", lambda: E.RunData({"m": "x"}), "metrics['m']", "'x'", "valid number"),
    Bad("RunData", lambda: E.RunData(tags={"t": 1}), "tags['t']", "1", "valid string"),
    Bad("Run", lambda: E.Run("not info"), "info", "'not info'", "instance of RunInfo"),
    Bad("Run", lambda: E.Run(INFO, "lots"), "data", "'lots'", "instance of RunData"),
    Bad("FileInfo", lambda: E.FileInfo("p", "maybe"), "is_dir", "'maybe'", "boolean"),
    Bad("MetricSummary", lambda: E.MetricSummary(**SUMMARY, latest="high", count=1), "latest",
        "'high'", "number"),
    Bad("TagSummary", lambda: E.TagSummary(key="t", runs="many", distinct_values=1), "runs",
        "'many'", "integer"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("entity", "build", "field", "shown", "allowed"),
    BAD,
    ids=[f"{case.entity}.{case.field}" for case in BAD],
)
def test_a_bad_value_is_refused_as_tuitracks_error_naming_it(
    entity: str, build: Callable[[], object], field: str, shown: str, allowed: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        build()
    error = caught.value
    assert isinstance(error, MlflowException)
    assert not isinstance(error, ValidationError)
    assert error.error_code == "INVALID_PARAMETER_VALUE"
    message = str(error)
    assert message.startswith(f"invalid {entity}: ")
    assert f"{field}={shown} (" in message
    assert allowed in message
    assert error.__cause__ is None  # pydantic's traceback is not chained on
    assert error.__suppress_context__


def test_every_bad_field_is_named_in_one_error() -> None:
    with pytest.raises(InvalidValueError) as caught:
        E.Experiment("1", 2, "/a", tags={"k": 3})
    assert str(caught.value) == (
        "invalid Experiment: name=2 (input should be a valid string); "
        "tags['k']=3 (input should be a valid string)"
    )


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidValueError) as caught:
        E.Metric("m", "x" * 500, TS, 0)
    assert len(str(caught.value)) < 200
    assert "xxx..." in str(caught.value)


def test_every_pydantic_entity_goes_through_the_shared_check() -> None:
    """No entity bypasses _Entity.__init__: each one's bad construction is tested above."""
    models = {
        cls.__name__
        for cls in vars(core_entities).values()
        if isinstance(cls, type) and issubclass(cls, core_entities._Entity)
    }
    models -= {"_Entity", "_KeyValue"}
    assert models == {case.entity for case in BAD}


def test_good_values_build_as_before() -> None:
    metric = E.Metric("m", 1, TS, 2)
    assert (metric.key, metric.value, metric.timestamp, metric.step) == ("m", 1.0, TS, 2)
    assert type(metric.value) is float
    info = E.RunInfo("r", "0", "u", 3)  # MLflow's int for FINISHED
    assert info.status == entities.RunStatus.FINISHED
    run = E.Run(info, E.RunData([metric], [E.Param("p", "1")]))
    assert run.data.metrics == {"m": 1.0}
    assert E.FileInfo("a", True).file_size is None


def _log_batch_outcome(library: Any, experiment_id: str) -> dict[str, Any]:
    """What MLflow code sees when it logs a text metric value with log_batch."""
    client = library.MlflowClient()
    run_id = client.create_run(experiment_id).info.run_id
    try:
        client.log_batch(run_id, metrics=[library.entities.Metric("m", "x", TS, 0)])
    except Exception as error:
        return {
            "mlflow_exception": isinstance(error, library.exceptions.MlflowException),
            "error_code": getattr(error, "error_code", None),
            "metrics": client.get_run(run_id).data.metrics,
        }
    return {"logged": client.get_run(run_id).data.metrics}


def test_mlflow_code_sees_mlflows_error(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    theirs = _log_batch_outcome(real_mlflow, _experiment(real_mlflow))
    ours = _log_batch_outcome(tuitrack, _experiment(tuitrack))
    assert (
        ours
        == theirs
        == {
            "mlflow_exception": True,
            "error_code": "INVALID_PARAMETER_VALUE",
            "metrics": {},
        }
    )


def _experiment(library: Any) -> str:
    experiment = library.get_experiment_by_name(f"entity-errors-{library.__name__}")
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(library.create_experiment(f"entity-errors-{library.__name__}"))


def test_an_mlflow_style_except_clause_catches_it() -> None:
    """`except MlflowException` around a construction, as MLflow code writes it around
    logging, catches the refusal (pydantic's ValidationError would escape it)."""
    caught = None
    try:
        E.Param("lr", 0.1)
    except MlflowException as error:
        caught = str(error)
    assert caught == "invalid Param: value=0.1 (input should be a valid string)"
