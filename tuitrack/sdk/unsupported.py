"""MLflow's model logging, model flavors and autologging, which tuitrack does not do.

MLflow code run on tuitrack (`import tuitrack as mlflow`, or `sys.modules["mlflow"] =
tuitrack`) that reaches one of them gets UnsupportedFeatureError, a tuitrack error (so an
MlflowException) that names what is unsupported, rather than an AttributeError or a bare
ModuleNotFoundError: `mlflow.autolog()` and `mlflow.register_model(...)` raise it, and a
flavor module (`mlflow.sklearn`, `import mlflow.pytorch`, `from mlflow.models import
infer_signature`) imports, as a placeholder whose every public attribute raises it. So a
training script runs up to its first model call, having logged its params and metrics.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

from tuitrack.errors import TuitrackError

# MLflow 3.17's flavor and integration modules (mlflow.<name>): model logging/loading and
# autologging for one library each, and MLflow's model packaging and evaluation.
FLAVOR_MODULES = frozenset(
    {
        "ag2",
        "agno",
        "anthropic",
        "autogen",
        "bedrock",
        "catboost",
        "crewai",
        "diffusers",
        "dspy",
        "gemini",
        "groq",
        "h2o",
        "haystack",
        "johnsnowlabs",
        "keras",
        "langchain",
        "lightgbm",
        "litellm",
        "llama_index",
        "metrics",
        "mistral",
        "models",
        "onnx",
        "openai",
        "paddle",
        "pmdarima",
        "prophet",
        "pydantic_ai",
        "pyfunc",
        "pyspark",
        "pytorch",
        "rfunc",
        "semantic_kernel",
        "sentence_transformers",
        "shap",
        "sklearn",
        "smolagents",
        "spacy",
        "spark",
        "statsmodels",
        "strands",
        "tensorflow",
        "transformers",
        "txtai",
        "xgboost",
    }
)

# MLflow's top-level functions for autologging, model logging, the model registry and
# evaluation.
FUNCTIONS = frozenset(
    {
        "autolog",
        "clear_active_model",
        "create_external_model",
        "delete_logged_model_tag",
        "evaluate",
        "finalize_logged_model",
        "get_active_model_id",
        "get_logged_model",
        "initialize_logged_model",
        "last_logged_model",
        "load_model",
        "log_model",
        "log_model_params",
        "register_model",
        "search_logged_models",
        "search_model_versions",
        "search_registered_models",
        "set_active_model",
        "set_logged_model_tags",
        "set_model_version_tag",
    }
)

_WHY = (
    "tuitrack tracks runs (params, metrics, tags, artifacts) and has no model logging, model "
    "flavors, model registry or autologging; save a model's files with log_artifact or "
    "log_artifacts, and log params and metrics explicitly"
)


class UnsupportedFeatureError(TuitrackError, NotImplementedError):
    """An MLflow feature tuitrack does not have (model logging, flavors, autologging)."""


def unsupported(what: str) -> NoReturn:
    raise UnsupportedFeatureError(f"{what} is not supported: {_WHY}")


def function(name: str) -> Callable[..., NoReturn]:
    """The stand-in for MLflow's top-level function `name`: calling it raises."""

    def stand_in(*args: Any, **kwargs: Any) -> NoReturn:
        unsupported(f"mlflow.{name}() (MLflow's {name})")

    stand_in.__name__ = stand_in.__qualname__ = name
    stand_in.__doc__ = (
        f"MLflow's {name}: not supported by tuitrack (raises UnsupportedFeatureError)."
    )
    return stand_in


class UnsupportedModule(ModuleType):
    """The stand-in for an MLflow flavor module: a package whose every public attribute,
    and every submodule's, raises UnsupportedFeatureError."""

    def __init__(self, name: str, flavor: str) -> None:
        super().__init__(name, f"MLflow's mlflow.{flavor}: not supported by tuitrack.")
        self.__path__: list[str] = []  # a package, so that `mlflow.models.signature` imports
        self._flavor = flavor

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # dunders and private probes (import system, IPython, pickle)
            raise AttributeError(name)
        unsupported(f"mlflow.{self._flavor}.{name}")


class _Loader:
    def __init__(self, flavor: str) -> None:
        self.flavor = flavor

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return UnsupportedModule(spec.name, self.flavor)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is its attributes' refusal."""


def stand_in_spec(fullname: str, parent: ModuleType, package: ModuleType) -> ModuleSpec | None:
    """The spec of a stand-in for module `fullname`: a flavor of `package` (tuitrack,
    under whatever name it was imported) or a submodule of a stand-in; None otherwise."""
    name = fullname.rpartition(".")[2]
    if isinstance(parent, UnsupportedModule):
        flavor = f"{parent._flavor}.{name}"
    elif parent is package and name in FLAVOR_MODULES:
        flavor = name
    else:
        return None
    return ModuleSpec(fullname, cast("Loader", _Loader(flavor)), is_package=True)


def stand_in(name: str) -> Any:
    """The stand-in for tuitrack's attribute `name` (a flavor module or a function), or
    None when MLflow has no such flavor or model function."""
    if name in FLAVOR_MODULES:
        return importlib.import_module(f"tuitrack.{name}")
    if name in FUNCTIONS:
        return function(name)
    return None
