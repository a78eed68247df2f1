"""The JSON of tuitrack's own endpoints (/api/2.0/tuitrack/...) beyond MLflow's shapes:
metric histories and batches as columns, the run-info extras MLflow's RunInfo lacks, and
the capabilities document a server advertises.

Scalars follow json_values: values that are not finite as "NaN", "Infinity", "-Infinity"
(as MLflow writes them), int64 numbers or their decimal strings.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

from tuitrack.core.entity_construction import metric_point
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.orphans import Orphan
from tuitrack.core.store import ExperimentActivity, MarkResult
from tuitrack.core.wire.json_values import (
    JsonObject,
    float_from_json,
    float_to_json,
    int64_from_json,
    list_from_json,
    object_from_json,
    optional_float_from_json,
    optional_int64_from_json,
    text_from_json,
)
from tuitrack.core.wire.mlflow_json import experiment_from_json, experiment_to_json
from tuitrack.core.wire.run_extras import (
    RUN_EXTRAS_KEY,
    run_extras_from_json,
    run_extras_to_json,
)
from tuitrack.entities import Metric, MetricSummary, TagSummary
from tuitrack.errors import InvalidValueError

__all__ = [  # the run extras live in run_extras (MLflow's run JSON reads them); here too
    "RUN_EXTRAS_KEY",
    "run_extras_from_json",
    "run_extras_to_json",
]

SERVER_NAME = "tuitrack"
"""The `server` a tuitrack server names in its capabilities document."""

API_VERSION = 1
"""The version of the /api/2.0/tuitrack/ endpoints this code speaks."""


# Columns -----------------------------------------------------------------------------------


def _values_to_json(values: Iterable[float]) -> list[float | str]:
    return [value if value - value == 0 else float_to_json(value) for value in values]


def _int_column(items: list[Any], name: str) -> array[int]:
    try:
        return array("q", items)
    except (TypeError, OverflowError):  # int64 as strings, or a bad item: name it
        return array("q", (int64_from_json(item, f"{name}[{i}]") for i, item in enumerate(items)))


def _float_column(items: list[Any], name: str) -> array[float]:
    try:
        column = array("d", items)
    except TypeError:  # "NaN", "Infinity" ... or a bad item: name it
        return array("d", (float_from_json(item, f"{name}[{i}]") for i, item in enumerate(items)))
    if any(type(item) is bool for item in items):
        raise InvalidValueError(f"{name} must hold numbers; got a boolean")
    return column


def history_to_json(points: MetricHistory | Iterable[Metric]) -> JsonObject:
    """One metric's points as columns: {"steps": [...], "values": [...], "timestamps": [...]}."""
    history = points if isinstance(points, MetricHistory) else _history_of(points)
    return {
        "steps": history.steps.tolist(),
        "values": _values_to_json(history.values),
        "timestamps": history.timestamps.tolist(),
    }


def _history_of(points: Iterable[Metric]) -> MetricHistory:
    listed = list(points)
    return MetricHistory.of(listed[0].key if listed else "", listed)


def history_from_json(key: str, data: object) -> MetricHistory:
    """The MetricHistory of metric `key` from history_to_json's columns."""
    where = f"history of {key!r}"
    fields = object_from_json(data, where)
    steps = _int_column(list_from_json(fields, "steps", where), f"{where}.steps")
    values = _float_column(list_from_json(fields, "values", where), f"{where}.values")
    timestamps = _int_column(list_from_json(fields, "timestamps", where), f"{where}.timestamps")
    if not len(steps) == len(values) == len(timestamps):
        raise InvalidValueError(
            f"{where}: steps, values and timestamps have different lengths "
            f"({len(steps)}, {len(values)}, {len(timestamps)})"
        )
    return MetricHistory(key, steps, timestamps, values)


def run_history_to_json(run_id: str, history: MetricHistory) -> JsonObject:
    """One entry of metrics/get-histories: {"run_id", "key", "steps", "values", "timestamps"}."""
    return {"run_id": run_id, "key": history.key, **history_to_json(history)}


def run_history_from_json(data: object) -> tuple[str, MetricHistory]:
    """(run_id, history) from one entry of metrics/get-histories."""
    fields = object_from_json(data, "history")
    run_id = text_from_json(fields.get("run_id"), "history.run_id")
    key = text_from_json(fields.get("key"), f"history of run {run_id}.key")
    return run_id, history_from_json(key, fields)


def metric_columns_to_json(
    run_id: str,
    keys: Sequence[str],
    values: Sequence[float],
    timestamps: Sequence[int],
    steps: Sequence[int],
) -> JsonObject:
    """The body of runs/log-metric-columns: {"run_id", "keys", "values", "timestamps",
    "steps"}, point i being (keys[i], values[i], timestamps[i], steps[i])."""
    return {
        "run_id": run_id,
        "keys": list(keys),
        "values": _values_to_json(values),
        "timestamps": list(timestamps),
        "steps": list(steps),
    }


def metric_columns_from_json(data: object) -> list[Metric]:
    """The Metrics of runs/log-metric-columns' columns (a request body may hold more)."""
    where = "metric columns"
    fields = object_from_json(data, where)
    keys = [
        text_from_json(key, f"{where}.keys[{i}]")
        for i, key in enumerate(list_from_json(fields, "keys", where))
    ]
    values = _float_column(list_from_json(fields, "values", where), f"{where}.values")
    timestamps = _int_column(list_from_json(fields, "timestamps", where), f"{where}.timestamps")
    steps = _int_column(list_from_json(fields, "steps", where), f"{where}.steps")
    if not len(keys) == len(values) == len(timestamps) == len(steps):
        raise InvalidValueError(
            f"{where}: keys, values, timestamps and steps have different lengths "
            f"({len(keys)}, {len(values)}, {len(timestamps)}, {len(steps)})"
        )
    nan = math.nan  # one NaN object, so that equal points compare equal
    return [
        metric_point(key, step, timestamp, value if value == value else nan)  # noqa: PLR0124
        for key, value, timestamp, step in zip(keys, values, timestamps, steps, strict=True)
    ]


# Orphans, activity, summaries ------------------------------------------------------------


def orphan_to_json(orphan: Orphan) -> JsonObject:
    """{"run_id", "reason", "last_sign_of_life"?} (ms since the epoch)."""
    found: JsonObject = {"run_id": orphan.run_id, "reason": orphan.reason}
    if orphan.last_sign_of_life is not None:
        found["last_sign_of_life"] = orphan.last_sign_of_life
    return found


def orphan_from_json(data: object) -> Orphan:
    fields = object_from_json(data, "orphan")
    run_id = text_from_json(fields.get("run_id"), "orphan.run_id")
    where = f"orphan {run_id}"
    return Orphan(
        run_id=run_id,
        reason=text_from_json(fields.get("reason", ""), f"{where}.reason"),
        last_sign_of_life=optional_int64_from_json(fields, "last_sign_of_life", where),
    )


def mark_result_to_json(result: MarkResult) -> JsonObject:
    """The answer of runs/mark-failed: {"marked": [orphan...], "refused": {run_id: why}}."""
    return {
        "marked": [orphan_to_json(orphan) for orphan in result.marked],
        "refused": dict(result.refused),
    }


def mark_result_from_json(data: object) -> MarkResult:
    fields = object_from_json(data, "mark-failed answer")
    refused = object_from_json(fields.get("refused", {}), "mark-failed answer.refused")
    return MarkResult(
        marked=[orphan_from_json(item) for item in list_from_json(fields, "marked", "answer")],
        refused={
            text_from_json(run_id, "refused run id"): text_from_json(why, f"why {run_id}")
            for run_id, why in refused.items()
        },
    )


def last_activity_from_json(data: object) -> dict[str, int]:
    """{run_id: ms} from the answer of runs/last-activity ({"times": {...}})."""
    fields = object_from_json(data, "last-activity answer")
    times = object_from_json(fields.get("times", {}), "last-activity answer.times")
    return {
        text_from_json(run_id, "run id"): int64_from_json(time, f"time of run {run_id}")
        for run_id, time in times.items()
    }


def activity_to_json(activity: ExperimentActivity) -> JsonObject:
    """One item of experiments/activity: {"experiment": MLflow's experiment JSON,
    "run_count", "running_count", "last_activity"?, "run_count_exact"? (false when the store
    stopped counting)}."""
    found: JsonObject = {
        "experiment": experiment_to_json(activity.experiment),
        "run_count": activity.run_count,
        "running_count": activity.running_count,
    }
    if activity.last_activity is not None:
        found["last_activity"] = activity.last_activity
    if not activity.run_count_exact:
        found["run_count_exact"] = False
    return found


def activity_from_json(data: object) -> ExperimentActivity:
    fields = object_from_json(data, "experiment activity")
    experiment = experiment_from_json(fields.get("experiment"))
    where = f"activity of experiment {experiment.experiment_id}"
    return ExperimentActivity(
        experiment=experiment,
        run_count=int64_from_json(fields.get("run_count", 0), f"{where}.run_count"),
        running_count=int64_from_json(fields.get("running_count", 0), f"{where}.running_count"),
        last_activity=optional_int64_from_json(fields, "last_activity", where),
        run_count_exact=fields.get("run_count_exact", True) is not False,
    )


def tag_summary_to_json(summary: TagSummary) -> JsonObject:
    """One item of runs/tag-summaries: {"key", "runs", "distinct_values",
    "values": [{"value", "runs"}, ...]}."""
    return {
        "key": summary.key,
        "runs": summary.runs,
        "distinct_values": summary.distinct_values,
        "values": [{"value": value, "runs": runs} for value, runs in summary.values],
    }


def tag_summary_from_json(data: object) -> TagSummary:
    fields = object_from_json(data, "tag summary")
    key = text_from_json(fields.get("key"), "tag summary.key")
    where = f"summary of tag {key!r}"
    values = []
    for item in list_from_json(fields, "values", where):
        value = object_from_json(item, f"{where} value")
        text = text_from_json(value.get("value"), f"{where} value.value")
        values.append((text, int64_from_json(value.get("runs"), f"{where} {text!r}.runs")))
    return TagSummary.model_construct(
        key=key,
        runs=int64_from_json(fields.get("runs", 0), f"{where}.runs"),
        distinct_values=int64_from_json(
            fields.get("distinct_values", 0), f"{where}.distinct_values"
        ),
        values=values,
    )


def metric_summary_to_json(summary: MetricSummary) -> JsonObject:
    """One item of runs/metric-summaries: {"key", "latest", "step", "timestamp", "count",
    "min_value"?, "max_value"?}."""
    found: JsonObject = {
        "key": summary.key,
        "latest": float_to_json(summary.latest),
        "step": summary.step,
        "timestamp": summary.timestamp,
        "count": summary.count,
    }
    if summary.min_value is not None:
        found["min_value"] = float_to_json(summary.min_value)
    if summary.max_value is not None:
        found["max_value"] = float_to_json(summary.max_value)
    return found


def metric_summary_from_json(data: object) -> MetricSummary:
    fields = object_from_json(data, "metric summary")
    key = text_from_json(fields.get("key"), "metric summary.key")
    where = f"summary of metric {key!r}"
    return MetricSummary.model_construct(
        key=key,
        latest=float_from_json(fields.get("latest"), f"{where}.latest"),
        step=int64_from_json(fields.get("step", 0), f"{where}.step"),
        timestamp=int64_from_json(fields.get("timestamp", 0), f"{where}.timestamp"),
        min_value=optional_float_from_json(fields, "min_value", where),
        max_value=optional_float_from_json(fields, "max_value", where),
        count=int64_from_json(fields.get("count", 0), f"{where}.count"),
    )


# Capabilities ------------------------------------------------------------------------------


class ServerFeature(StrEnum):
    """A fast path a tuitrack server offers; the value is its name in `features`."""

    SEARCH_FILTERS = "search-filters"  # runs/search with the full filter language
    COUNT = "count"  # runs/count
    HISTORIES = "histories"  # metrics/get-histories, downsampled on the server
    HEARTBEAT = "heartbeat"  # runs/create with host and pid, runs/heartbeat
    ORPHANS = "orphans"  # runs/orphans, runs/mark-failed, runs/last-activity
    EXPERIMENT_ACTIVITY = "experiment-activity"  # experiments/activity
    METRIC_COLUMNS = "metric-columns"  # runs/log-metric-columns
    RUN_CREATE = "run-create"  # runs/create with the client's run id (a retry makes none)
    TAG_SUMMARIES = "tag-summaries"  # runs/tag-summaries
    METRIC_SUMMARIES = "metric-summaries"  # runs/metric-summaries
    BATCH_IDS = "batch-ids"  # runs/log-batch with a batch_id (a retry stores it once)


@dataclass(frozen=True)
class ServerCapabilities:
    """What GET /api/2.0/tuitrack/capabilities answers: the server's name and version, the
    version of tuitrack's endpoints it speaks, and the features it offers. Feature names
    this code does not know (a newer server's) are kept, and simply never asked for."""

    server: str
    version: str
    api_version: int = API_VERSION
    features: frozenset[str] = field(default_factory=frozenset)

    def supports(self, feature: ServerFeature | str) -> bool:
        """Whether the server offers `feature`."""
        return str(feature) in self.features

    def to_json(self) -> JsonObject:
        """The capabilities document; features sorted, so that it reads the same each time."""
        return {
            "server": self.server,
            "version": self.version,
            "api_version": self.api_version,
            "features": sorted(self.features),
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        """The capabilities from the document; InvalidValueError names a malformed field."""
        where = "capabilities"
        fields = object_from_json(data, where)
        features = list_from_json(fields, "features", where)
        return cls(
            server=text_from_json(fields.get("server"), f"{where}.server"),
            version=text_from_json(fields.get("version", ""), f"{where}.version"),
            api_version=int64_from_json(fields.get("api_version"), f"{where}.api_version"),
            features=frozenset(
                text_from_json(feature, f"{where}.features[{i}]")
                for i, feature in enumerate(features)
            ),
        )
