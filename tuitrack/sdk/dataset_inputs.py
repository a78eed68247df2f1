"""What log_input and log_inputs are given, made into the store's DatasetInput entities.

A dataset may be tuitrack's (tuitrack.data), MLflow's own (anything with a
`_to_mlflow_entity()`, such as `mlflow.data.from_pandas(...)`'s), an entity Dataset, or any
object with MLflow's dataset attributes (name, digest, source, schema, profile and a
source type); an input may be a DatasetInput of tuitrack's or of MLflow's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tuitrack.core.datasets import CONTEXT_TAG, Dataset, DatasetInput, InputTag
from tuitrack.core.validation import value_text
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.data_sources import resolve_source

_LOGGED_MODELS = (
    "logged models are not supported by tuitrack (it tracks runs, not models): "
    "log the model's files with log_artifact, and leave {name} out"
)


def refuse_models(name: str, models: object) -> None:
    """InvalidValueError when logged models are given (MLflow's `model` / `models`)."""
    if models is not None:
        raise InvalidValueError(_LOGGED_MODELS.format(name=name))


def _text(value: object, what: str) -> str | None:
    return None if value is None else value_text(value, what)


def dataset_entity(dataset: object) -> Dataset:
    """The stored form of `dataset` (see the module docstring); InvalidValueError naming
    what is missing otherwise."""
    if isinstance(dataset, Dataset):
        return dataset
    to_entity = getattr(dataset, "_to_mlflow_entity", None)
    described: Any = to_entity() if callable(to_entity) else dataset
    if isinstance(described, Dataset):
        return described
    missing = [
        name for name in ("name", "digest", "source") if getattr(described, name, None) is None
    ]
    if missing:
        raise InvalidValueError(
            f"{dataset!r} is not a dataset: it has no {', '.join(missing)} (make one with "
            "tuitrack.data.from_pandas or from_numpy)"
        )
    source: Any = described.source
    source_type = getattr(described, "source_type", None)
    if source_type is None or not isinstance(source, str):
        resolved = resolve_source(source)
        source_type, source = resolved.source_type, resolved.source_json
    name = str(described.name)
    return Dataset(
        name,
        str(described.digest),
        str(source_type),
        source,
        _text(getattr(described, "schema", None), f"schema of dataset {name!r}"),
        _text(getattr(described, "profile", None), f"profile of dataset {name!r}"),
    )


def dataset_input(
    dataset: object, context: str | None = None, tags: Mapping[str, Any] | None = None
) -> DatasetInput | None:
    """A dataset with the tags of its use, the context as MLflow's `mlflow.data.context` tag
    (after `tags`, as MLflow orders them); None for no dataset."""
    if dataset is None:
        if context or tags:
            raise InvalidValueError("a dataset input's context or tags need a dataset")
        return None
    input_tags = [
        InputTag(str(key), value_text(value, f"input tag {key!r}"))
        for key, value in (tags or {}).items()
    ]
    if context:
        input_tags.append(InputTag(CONTEXT_TAG, str(context)))
    return DatasetInput(dataset_entity(dataset), input_tags)


def as_dataset_input(given: object) -> DatasetInput:
    """A DatasetInput of tuitrack's, or one of MLflow's (a `dataset` and a list of `tags`)."""
    if isinstance(given, DatasetInput):
        return given
    if not hasattr(given, "dataset"):
        raise InvalidValueError(f"log_inputs takes DatasetInput objects, got {given!r}")
    tags: Iterable[Any] = getattr(given, "tags", None) or ()
    return DatasetInput(
        dataset_entity(given.dataset),
        [InputTag(str(tag.key), str(tag.value)) for tag in tags],
    )
