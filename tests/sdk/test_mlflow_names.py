"""MLflow's import surface under tuitrack (issue 16, item 1, first part): MlflowClient,
MlflowException and the submodules tracking / exceptions / entities, as attributes after a
bare `import tuitrack` and through `from ... import`, without making `import tuitrack` heavy."""

from __future__ import annotations

import json
import subprocess
import sys

import tuitrack
from tuitrack.errors import InvalidValueError, NotFoundError, TuitrackError


def test_mlflow_client_is_the_tracking_client() -> None:
    from tuitrack.tracking import MlflowClient

    assert tuitrack.MlflowClient is tuitrack.TrackingClient
    assert MlflowClient is tuitrack.TrackingClient
    assert tuitrack.tracking.MlflowClient is MlflowClient


def test_mlflow_exception_catches_every_tuitrack_error() -> None:
    from tuitrack.exceptions import MlflowException

    assert tuitrack.MlflowException is MlflowException is TuitrackError
    for error in (NotFoundError, InvalidValueError):
        assert issubclass(error, MlflowException)


def _fresh(code: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    result: object = json.loads(done.stdout)
    return result


def test_submodules_are_attributes_of_a_bare_import() -> None:
    found = _fresh(
        "import json, tuitrack\n"
        "print(json.dumps([tuitrack.entities.Metric.__name__,"
        " tuitrack.exceptions.MlflowException.__name__,"
        " tuitrack.tracking.MlflowClient.__name__, tuitrack.errors.NotFoundError.__name__]))"
    )
    assert found == ["Metric", "TuitrackError", "TrackingClient", "NotFoundError"]


def test_a_bare_import_loads_none_of_them() -> None:
    loaded = _fresh(
        "import json, sys, tuitrack\n"
        "names = ['tuitrack.tracking', 'tuitrack.exceptions', 'tuitrack.sdk.client', 'pydantic']\n"
        "print(json.dumps({n: n in sys.modules for n in names}))"
    )
    assert loaded == dict.fromkeys(
        ["tuitrack.tracking", "tuitrack.exceptions", "tuitrack.sdk.client", "pydantic"], False
    )


def test_the_mlflow_swap_gives_the_same_classes() -> None:
    """`sys.modules["mlflow"] = tuitrack` loads tuitrack's submodules again under MLflow's
    names; they re-export, so an entity made by tuitrack is an instance of mlflow.entities'."""
    same = _fresh(
        "import json, sys, tuitrack\n"
        "sys.modules['mlflow'] = tuitrack\n"
        "import mlflow\n"
        "from mlflow.entities import Metric, Run, RunStatus\n"
        "from mlflow.exceptions import MlflowException\n"
        "from mlflow.tracking import MlflowClient\n"
        "from tuitrack import entities\n"
        "print(json.dumps([Metric is entities.Metric, Run is entities.Run,"
        " RunStatus is entities.RunStatus, MlflowException is tuitrack.TuitrackError,"
        " MlflowClient is tuitrack.TrackingClient,"
        " isinstance(Metric('m', 1.5, 0, 1), tuitrack.Metric)]))"
    )
    assert same == [True] * 6
