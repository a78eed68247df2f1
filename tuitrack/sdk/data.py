"""Datasets to log with `log_input`, made as MLflow's `mlflow.data` makes them: the same
DataFrame or arrays give the same name, digest, source, schema and profile (see
data_profiles and data_sources), so MLflow and tuitrack record one dataset for them.

`tuitrack.data.from_pandas` and `tuitrack.data.from_numpy` build them (pandas is needed for
both, as in MLflow: `pip install "tuitrack[pandas]"`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuitrack.core.datasets import Dataset as DatasetEntity
from tuitrack.errors import InvalidValueError
from tuitrack.sdk import data_profiles
from tuitrack.sdk.data_sources import DataSource, resolve_source
from tuitrack.sdk.optional_packages import required

DEFAULT_NAME = "dataset"  # MLflow's name for a dataset given none


@dataclass(frozen=True)
class LoggableDataset:
    """A dataset ready for log_input: what MLflow stores of it, and the data it describes."""

    name: str
    digest: str
    source: DataSource
    schema: str | None
    profile: str | None
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _to_mlflow_entity(self) -> DatasetEntity:
        """The stored form (MLflow's method name: log_input calls it)."""
        return DatasetEntity(
            self.name,
            self.digest,
            self.source.source_type,
            self.source.source_json,
            self.schema,
            self.profile,
        )

    def to_dict(self) -> dict[str, str | None]:
        return self._to_mlflow_entity().to_dictionary()


@dataclass(frozen=True)
class PandasDataset(LoggableDataset):
    """A DataFrame as a dataset; `df`, `targets` and `predictions` as MLflow has them."""

    @property
    def df(self) -> Any:
        """The DataFrame (pandas)."""
        return self.data["df"]

    @property
    def targets(self) -> str | None:
        found: str | None = self.data.get("targets")
        return found

    @property
    def predictions(self) -> str | None:
        found: str | None = self.data.get("predictions")
        return found


@dataclass(frozen=True)
class NumpyDataset(LoggableDataset):
    """Feature and target arrays as a dataset."""

    @property
    def features(self) -> Any:
        """The feature array (numpy), or dict of them."""
        return self.data["features"]

    @property
    def targets(self) -> Any:
        """The target array (numpy), or None."""
        return self.data.get("targets")


def from_pandas(
    df: Any,
    source: object = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> PandasDataset:
    """A dataset of a pandas DataFrame, as `mlflow.data.from_pandas` makes it.

    `source`: a path or URI the data came from (or an MLflow dataset source); by default the
    running code. `targets` / `predictions`: names of columns of `df`. `name` defaults to
    "dataset", `digest` to MLflow's digest of the data.
    """
    pd = required("pandas", "pandas", "pandas", "tuitrack.data.from_pandas")
    if not isinstance(df, pd.DataFrame):
        raise InvalidValueError(f"from_pandas needs a pandas DataFrame, got {type(df).__name__}")
    for role, column in (("targets", targets), ("predictions", predictions)):
        if column is not None and column not in df.columns:
            raise InvalidValueError(
                f"the DataFrame has no {role} column {column!r}; its columns: {list(df.columns)}"
            )
    return PandasDataset(
        name=DEFAULT_NAME if name is None else name,
        digest=digest or data_profiles.pandas_digest(df),
        source=resolve_source(source),
        schema=data_profiles.pandas_schema(df),
        profile=data_profiles.pandas_profile(df),
        data={"df": df, "targets": targets, "predictions": predictions},
    )


def from_numpy(
    features: Any,
    source: object = None,
    targets: Any = None,
    name: str | None = None,
    digest: str | None = None,
) -> NumpyDataset:
    """A dataset of numpy feature (and target) arrays, as `mlflow.data.from_numpy` makes it
    (`source`, `name`, `digest` as for from_pandas); either may be a dict of named arrays."""
    np = required("numpy", "numpy", "pandas", "tuitrack.data.from_numpy")
    for role, data in (("features", features), ("targets", targets)):
        arrays = data.values() if isinstance(data, dict) else [data]
        if data is not None and not all(isinstance(array, np.ndarray) for array in arrays):
            raise InvalidValueError(
                f"from_numpy takes {role} as a numpy array or a dict of them, got {data!r:.80}"
            )
    return NumpyDataset(
        name=DEFAULT_NAME if name is None else name,
        digest=digest or data_profiles.numpy_digest(features, targets),
        source=resolve_source(source),
        schema=data_profiles.numpy_schema(features, targets),
        profile=data_profiles.numpy_profile(features, targets),
        data={"features": features, "targets": targets},
    )
