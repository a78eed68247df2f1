"""A run's inputs, shaped and named like MLflow's entities: the datasets it was given
(`log_input`), each with the tags of that use (such as `mlflow.data.context`).

A dataset is identified within an experiment by its name and digest, as in MLflow; its
source, schema and profile are text in MLflow's formats (JSON for the pandas and numpy
datasets). Built as MLflow's are: `Dataset(name, digest, source_type, source, schema,
profile)`, `InputTag(key, value)`, `DatasetInput(dataset, tags)`, `RunInputs(dataset_inputs)`.
MLflow's logged-model inputs are not carried: giving some raises InvalidValueError.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tuitrack.errors import InvalidValueError

CONTEXT_TAG = "mlflow.data.context"
"""The input tag MLflow records a dataset's use under ('training', 'eval', ...)."""

# MLflow's limits on what a dataset input holds (its databases' column sizes).
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
MAX_DATASET_SOURCE_LENGTH = 65_535
MAX_DATASET_SCHEMA_LENGTH = 1_048_575
MAX_DATASET_PROFILE_LENGTH = 16_777_215
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500


@dataclass(frozen=True)
class Dataset:
    """What identifies a dataset (name, digest) and where it came from (source_type, such
    as 'local' or 'http', and source, as JSON); schema and profile are optional JSON."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary of the dataset."""
        return {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
            "schema": self.schema,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class InputTag:
    """A tag of one use of a dataset by a run: `InputTag(key, value)`."""

    key: str
    value: str


@dataclass(frozen=True, init=False)
class DatasetInput:
    """A dataset as one run used it, with the tags of that use (a list, as in MLflow)."""

    dataset: Dataset
    tags: list[InputTag]

    def __init__(self, dataset: Dataset, tags: Iterable[InputTag] | None = None) -> None:
        object.__setattr__(self, "dataset", dataset)
        object.__setattr__(self, "tags", list(tags or ()))

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary: the dataset's, and the tags as a dict."""
        return {
            "dataset": self.dataset.to_dictionary(),
            "tags": {tag.key: tag.value for tag in self.tags},
        }


@dataclass(frozen=True, init=False)
class RunInputs:
    """The dataset inputs of a run (an empty list when it has none)."""

    dataset_inputs: list[DatasetInput]

    def __init__(
        self,
        dataset_inputs: Iterable[DatasetInput] | None = None,
        model_inputs: Iterable[object] | None = None,
    ) -> None:
        if model_inputs:
            raise InvalidValueError(
                "RunInputs does not carry MLflow's logged-model inputs (model_inputs): "
                "tuitrack tracks datasets as run inputs, not logged models"
            )
        object.__setattr__(self, "dataset_inputs", list(dataset_inputs or ()))

    @property
    def model_inputs(self) -> list[object]:
        """Always empty: logged models are not tracked."""
        return []

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary: no model inputs, and each dataset input's."""
        return {
            "model_inputs": [],
            "dataset_inputs": [d.to_dictionary() for d in self.dataset_inputs],
        }


def _checked_text(value: object, what: str, limit: int, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise InvalidValueError(f"{what} must be a string, got {value!r}")
    if len(value) > limit:
        raise InvalidValueError(f"{what} is {len(value)} characters long; at most {limit}")


def validate_dataset_input(dataset_input: object) -> DatasetInput:
    """`dataset_input` if it is a DatasetInput within MLflow's limits, else
    InvalidValueError naming the bad field."""
    if not isinstance(dataset_input, DatasetInput):
        raise InvalidValueError(f"a dataset input must be a DatasetInput, got {dataset_input!r}")
    dataset = dataset_input.dataset
    if not isinstance(dataset, Dataset):
        raise InvalidValueError(f"a dataset input's dataset must be a Dataset, got {dataset!r}")
    _checked_text(dataset.name, "dataset name", MAX_DATASET_NAME_LENGTH)
    name = dataset.name
    _checked_text(dataset.digest, f"digest of dataset {name!r}", MAX_DATASET_DIGEST_LENGTH)
    _checked_text(
        dataset.source_type, f"source type of dataset {name!r}", MAX_DATASET_SOURCE_TYPE_LENGTH
    )
    _checked_text(dataset.source, f"source of dataset {name!r}", MAX_DATASET_SOURCE_LENGTH)
    _checked_text(
        dataset.schema, f"schema of dataset {name!r}", MAX_DATASET_SCHEMA_LENGTH, optional=True
    )
    _checked_text(
        dataset.profile, f"profile of dataset {name!r}", MAX_DATASET_PROFILE_LENGTH, optional=True
    )
    for tag in dataset_input.tags:
        if not isinstance(tag, InputTag):
            raise InvalidValueError(f"a tag of dataset {name!r} must be an InputTag, got {tag!r}")
        _checked_text(tag.key, f"input tag key of dataset {name!r}", MAX_INPUT_TAG_KEY_LENGTH)
        _checked_text(
            tag.value,
            f"value of input tag {tag.key!r} of dataset {name!r}",
            MAX_INPUT_TAG_VALUE_LENGTH,
        )
    return dataset_input


def checked_dataset_inputs(dataset_inputs: object) -> list[DatasetInput]:
    """The inputs of a log_inputs call, each checked (validate_dataset_input), one per
    dataset (name, digest): the first one given is kept, as MLflow keeps it."""
    if isinstance(dataset_inputs, str | bytes) or not isinstance(dataset_inputs, Iterable):
        raise InvalidValueError(
            f"dataset inputs must be a list of DatasetInput, got {dataset_inputs!r}"
        )
    found: dict[tuple[str, str], DatasetInput] = {}
    for dataset_input in dataset_inputs:
        dataset = validate_dataset_input(dataset_input).dataset
        found.setdefault((dataset.name, dataset.digest), dataset_input)
    return list(found.values())
