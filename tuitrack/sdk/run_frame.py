"""Runs as a pandas DataFrame with MLflow's column names (pandas imported only here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuitrack.entities import Run
from tuitrack.errors import InvalidValueError


def _time(milliseconds: int | None) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    return pd.NaT if milliseconds is None else pd.Timestamp(milliseconds, unit="ms", tz="UTC")


def runs_to_dataframe(runs: Sequence[Run]) -> Any:
    """One row per run: run_id, experiment_id, status, artifact_uri, start_time,
    end_time, run_name, then metrics.<key>, params.<key>, tags.<key> columns."""
    try:
        import pandas as pd
    except ImportError:
        raise InvalidValueError(
            "output_format='pandas' needs pandas (pip install pandas); or use output_format='list'"
        ) from None
    rows = []
    for run in runs:
        info = run.info
        row: dict[str, Any] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "status": info.status.value,
            "artifact_uri": info.artifact_uri,
            "start_time": _time(info.start_time),
            "end_time": _time(info.end_time),
            "run_name": info.run_name,
            "parent_run_id": info.parent_run_id,
        }
        row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    base = [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
        "run_name",
        "parent_run_id",
    ]
    extra = sorted({column for row in rows for column in row} - set(base))
    ordered = [c for c in extra if c.startswith("metrics.")]
    ordered += [c for c in extra if c.startswith("params.")]
    ordered += [c for c in extra if c.startswith("tags.")]
    return pd.DataFrame(rows, columns=base + ordered)
