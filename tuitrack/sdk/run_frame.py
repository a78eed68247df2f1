"""Runs as the pandas DataFrame MLflow's `search_runs` returns (pandas imported only here).

The columns are MLflow's: run_id, experiment_id, status, artifact_uri, start_time and
end_time (UTC timestamps), then `metrics.<key>`, `params.<key>` and `tags.<key>`, each key
in the order it first appears. A run without a key gets NaN for a metric and None for a
param or a tag. Cells are built as MLflow builds them, so the dtypes match too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuitrack.entities import Run
from tuitrack.sdk.optional_packages import required

INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def _pandas() -> Any:
    return required(
        "pandas",
        "pandas",
        "pandas",
        "search_runs' DataFrame (output_format='list' gives a list of runs without pandas)",
    )


def _grown(columns: dict[str, list[Any]], values: dict[str, Any], row: int, missing: Any) -> None:
    """Add this row's values to `columns`; a new key gets `missing` in the earlier rows."""
    for key, column in columns.items():
        column.append(values.get(key, missing))
    for key, value in values.items():
        if key not in columns:
            columns[key] = [missing] * row + [value]


def runs_to_dataframe(runs: Sequence[Run]) -> Any:
    """One row per run, in the order given, with MLflow's columns and dtypes."""
    pd = _pandas()
    info: dict[str, list[Any]] = {name: [] for name in INFO_COLUMNS}
    metrics: dict[str, list[Any]] = {}
    params: dict[str, list[Any]] = {}
    tags: dict[str, list[Any]] = {}
    for row, run in enumerate(runs):
        run_info = run.info
        info["run_id"].append(run_info.run_id)
        info["experiment_id"].append(run_info.experiment_id)
        info["status"].append(run_info.status.value)
        info["artifact_uri"].append(run_info.artifact_uri)
        info["start_time"].append(pd.to_datetime(run_info.start_time, unit="ms", utc=True))
        info["end_time"].append(pd.to_datetime(run_info.end_time, unit="ms", utc=True))
        _grown(metrics, run.data.metrics, row, float("nan"))
        _grown(params, run.data.params, row, None)
        _grown(tags, run.data.tags, row, None)
    data: dict[str, list[Any]] = dict(info)
    data.update({f"metrics.{key}": column for key, column in metrics.items()})
    data.update({f"params.{key}": column for key, column in params.items()})
    data.update({f"tags.{key}": column for key, column in tags.items()})
    return pd.DataFrame(data)
