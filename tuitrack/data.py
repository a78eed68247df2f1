"""tuitrack's datasets under MLflow's module name (`tuitrack.data.from_pandas`, as
`mlflow.data.from_pandas`). They live in tuitrack.sdk.data; this module only re-exports them,
so that loading it again as `mlflow.data` (the `sys.modules["mlflow"] = tuitrack` swap) gives
the very same functions and classes."""

from __future__ import annotations

from tuitrack.sdk.data import NumpyDataset, PandasDataset, from_numpy, from_pandas

__all__ = ["NumpyDataset", "PandasDataset", "from_numpy", "from_pandas"]
