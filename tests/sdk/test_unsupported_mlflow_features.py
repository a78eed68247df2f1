"""MLflow's model logging, flavors and autologging are out of tuitrack's scope: reaching them
raises UnsupportedFeatureError (an MlflowException) naming what is unsupported, never an
AttributeError or an unexplained ImportError (issue 16, out of scope paragraph)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import tuitrack
from tuitrack.sdk.unsupported import FLAVOR_MODULES, FUNCTIONS, UnsupportedFeatureError


@pytest.mark.parametrize("name", ["autolog", "log_model", "load_model", "register_model"])
def test_model_and_autolog_functions_raise_naming_themselves(name: str) -> None:
    function = getattr(tuitrack, name)
    with pytest.raises(UnsupportedFeatureError, match=rf"mlflow\.{name}\(\).* not supported"):
        function(log_models=False)
    with pytest.raises(tuitrack.MlflowException):
        function()


@pytest.mark.parametrize("flavor", ["sklearn", "pytorch", "tensorflow", "pyfunc", "models"])
def test_a_flavor_module_is_a_stand_in_whose_attributes_raise(flavor: str) -> None:
    module = getattr(tuitrack, flavor)
    with pytest.raises(UnsupportedFeatureError, match=rf"mlflow\.{flavor}\.log_model is not"):
        module.log_model  # noqa: B018
    with pytest.raises(UnsupportedFeatureError, match="log_artifact"):
        module.autolog()
    assert not hasattr(module, "__file__")  # dunders stay attribute errors, for tools
    assert issubclass(UnsupportedFeatureError, tuitrack.MlflowException)


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        tuitrack.no_such_function  # noqa: B018
    assert "sklearn" in FLAVOR_MODULES
    assert "autolog" in FUNCTIONS


def test_mlflow_scripts_under_the_module_swap_reach_a_clear_error() -> None:
    """Run as a new process, so that the swap does not leak into the other tests."""
    script = textwrap.dedent(
        """
        import json, sys
        import tuitrack
        sys.modules["mlflow"] = tuitrack
        import mlflow
        import mlflow.sklearn
        import mlflow.pytorch as mlflow_pytorch
        from mlflow import xgboost
        errors = {}
        calls = {
            "sklearn.log_model": lambda: mlflow.sklearn.log_model(object(), name="model"),
            "pytorch.autolog": lambda: mlflow_pytorch.autolog(),
            "xgboost.load_model": lambda: xgboost.load_model("runs:/x/model"),
            "autolog": lambda: mlflow.autolog(),
            "infer_signature": lambda: __import__("mlflow.models").models.infer_signature,
            "signature": lambda: exec("from mlflow.models.signature import ModelSignature"),
        }
        for name, call in calls.items():
            try:
                call()
            except mlflow.MlflowException as error:
                errors[name] = [type(error).__name__, str(error)]
        try:
            import mlflow.not_a_flavor
        except ModuleNotFoundError as error:
            errors["not_a_flavor"] = [type(error).__name__, str(error)]
        print(json.dumps(errors))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    errors = json.loads(done.stdout)
    assert errors["not_a_flavor"] == [
        "ModuleNotFoundError",
        "No module named 'mlflow.not_a_flavor'",
    ]
    for name in ("sklearn.log_model", "pytorch.autolog", "xgboost.load_model", "autolog"):
        kind, message = errors[name]
        assert kind == "UnsupportedFeatureError"
        assert name.split(".")[-1] in message
        assert "not supported" in message
    assert "mlflow.models.infer_signature" in errors["infer_signature"][1]
    assert errors["signature"][0] == "UnsupportedFeatureError"


def test_logged_model_outputs_raise_the_unsupported_error_fluent_and_client() -> None:
    import tuitrack
    from tuitrack.sdk.unsupported import UnsupportedFeatureError

    with pytest.raises(UnsupportedFeatureError, match=r"mlflow\.log_outputs\(\)"):
        tuitrack.log_outputs([])
    with pytest.raises(UnsupportedFeatureError, match=r"MlflowClient\.log_outputs\(\)"):
        tuitrack.MlflowClient.log_outputs(None, "0" * 32, [])  # type: ignore[arg-type]
