"""tuitrack's own endpoints, `/api/2.0/tuitrack/...` (docs/rest.md describes each).

They give tuitrack's REST client what MLflow's API cannot: the whole filter language
evaluated where the runs are, counts, thinned histories of many runs at once, heartbeats
and orphans, and the aggregates the TUI's screens show. Each is a TrackingStore call; JSON
as MLflow's (the same run and experiment shapes, errors in MLflow's shape).
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from tuitrack.core.orphans import OrphanPolicy
from tuitrack.core.store import TrackingStore
from tuitrack.core.wire import endpoints as api
from tuitrack.core.wire import tuitrack_json
from tuitrack.core.wire.tuitrack_json import ServerCapabilities, ServerFeature
from tuitrack.server import mlflow_routes
from tuitrack.server.batches import write_batch
from tuitrack.server.requests import Fields
from tuitrack.server.responses import RequestError
from tuitrack.server.routing import GET, GET_OR_POST, POST, Endpoint
from tuitrack.server.run_creation import RunArguments, create_run_once

LOG_BATCH = f"{api.TUITRACK_API}/runs/log-batch"
METRIC_SUMMARIES = f"{api.TUITRACK_API}/runs/metric-summaries"
FEATURES = frozenset(feature.value for feature in ServerFeature)
MAX_HISTORY_SERIES = 1000
"""(run, key) pairs one metrics/get-histories request may ask for."""
MAX_COLUMN_POINTS = 100_000
"""Points one runs/log-metric-columns request may carry."""
MAX_RUN_IDS = 1000
"""Run ids of one runs/mark-failed or runs/last-activity request."""
METRIC_COLUMNS_BODY_LIMIT = 16 * 1024 * 1024


def server_version() -> str:
    try:
        return importlib.metadata.version("tuitrack")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _run_ids(fields: Fields, name: str = "run_ids") -> list[str]:
    ids = fields.text_list(name)
    if len(ids) > MAX_RUN_IDS:
        raise RequestError(f"'{name}' may name at most {MAX_RUN_IDS} runs, got {len(ids)}")
    return ids


def _policy(fields: Fields) -> OrphanPolicy:
    """The caller's thresholds (its environment's), else the server's."""
    policy = OrphanPolicy.from_environment()
    stale = fields.integer("stale_after_s", 1)
    silence = fields.integer("silence_after_s", 1)
    return OrphanPolicy(
        stale_after_s=policy.stale_after_s if stale is None else float(stale),
        silence_after_s=policy.silence_after_s if silence is None else float(silence),
    )


def capabilities(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    document = ServerCapabilities(
        tuitrack_json.SERVER_NAME, server_version(), tuitrack_json.API_VERSION, FEATURES
    ).to_json()
    document["store_capabilities"] = sorted(capability.name for capability in store.capabilities)
    if store.read_only is not None:
        document["read_only"] = store.read_only
    return document


def search_runs(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    page = store.search_runs(
        fields.text_list("experiment_ids"),
        filter_string=fields.text("filter") or None,
        run_view_type=mlflow_routes.view_type(fields, "run_view_type"),
        max_results=mlflow_routes.search_max_results(fields),
        order_by=fields.text_list("order_by") or None,
        page_token=fields.text("page_token") or None,
    )
    answer: dict[str, Any] = {"runs": [mlflow_routes.run_json(run) for run in page]}
    if page.token:
        answer["next_page_token"] = page.token
    if page.note:
        answer["note"] = page.note
    return answer


def count_runs(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    count = store.count_runs(
        fields.text_list("experiment_ids"),
        filter_string=fields.text("filter") or None,
        run_view_type=mlflow_routes.view_type(fields, "run_view_type"),
    )
    return {"count": count}


def create_run(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    tags = fields.key_values("tags")
    arguments = RunArguments(
        experiment_id=fields.required_text("experiment_id"),
        user_id=fields.text("user_id") or None,
        start_time=fields.integer("start_time"),
        tags=tags,
        run_name=fields.text("run_name") or None,
        parent_run_id=fields.text("parent_run_id") or tags.get(mlflow_routes.PARENT_TAG) or None,
        host=fields.text("host") or None,
        pid=fields.integer("pid", 0),
    )
    run_id = fields.text("run_id") or None
    if run_id is None:
        return {"run": mlflow_routes.run_json(arguments.create(store))}
    return {"run": mlflow_routes.run_json(create_run_once(store, run_id, arguments))}


def heartbeat(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.record_heartbeat(
        fields.required_text("run_id"), heartbeat_time=fields.integer("heartbeat_time")
    )
    return {}


def log_batch(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    """MLflow's runs/log-batch with its limits, plus `batch_id` (a retry stores it once)."""
    run_id = fields.required_text("run_id")
    metrics, params, tags = mlflow_routes.batch_contents(fields)
    write_batch(store, run_id, metrics, params, tags, _batch_id(fields))
    return {}


def _batch_id(fields: Fields) -> str | None:
    batch_id = fields.text("batch_id") or None
    if batch_id is not None and len(batch_id) > 64:
        raise RequestError(f"'batch_id' may be at most 64 characters, got {len(batch_id)}")
    return batch_id


def log_metric_columns(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    keys = fields.text_list("keys")
    if len(keys) > MAX_COLUMN_POINTS:
        raise RequestError(
            f"A log-metric-columns request may hold at most {MAX_COLUMN_POINTS} points, "
            f"got {len(keys)}"
        )
    run_id = fields.required_text("run_id")
    columns = {name: fields.raw(name) for name in ("keys", "values", "timestamps", "steps")}
    points = tuitrack_json.metric_columns_from_json(columns)
    store.log_metric_columns(
        run_id,
        keys,
        [point.value for point in points],
        [point.timestamp for point in points],
        [point.step for point in points],
        _batch_id(fields),
    )
    return {}


def get_histories(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run_ids, keys = fields.text_list("run_ids"), fields.text_list("metric_keys")
    if len(run_ids) * len(keys) > MAX_HISTORY_SERIES:
        raise RequestError(
            f"A get-histories request may ask for at most {MAX_HISTORY_SERIES} (run, key) "
            f"series, got {len(run_ids)} runs x {len(keys)} keys"
        )
    histories = store.get_metric_histories(
        run_ids,
        keys,
        max_points=fields.integer("max_points"),
        start_step=fields.integer("start_step"),
        end_step=fields.integer("end_step"),
    )
    return {
        "histories": [
            {"run_id": run_id, "key": key, **tuitrack_json.history_to_json(points)}
            for (run_id, key), points in histories.items()
        ]
    }


def find_orphans(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    orphans = store.find_orphans(fields.text_list("experiment_ids"), _policy(fields))
    return {"orphans": [tuitrack_json.orphan_to_json(orphan) for orphan in orphans]}


def mark_failed(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    result = store.mark_failed(_run_ids(fields), fields.text("reason") or None, _policy(fields))
    return tuitrack_json.mark_result_to_json(result)


def last_activity(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    return {"times": store.last_activity_times(_run_ids(fields))}


def experiment_activity(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    page = store.search_experiment_activity(
        view_type=mlflow_routes.view_type(fields, "view_type"),
        max_results=mlflow_routes.search_max_results(fields),
        filter_string=fields.text("filter") or None,
        page_token=fields.text("page_token") or None,
    )
    answer: dict[str, Any] = {
        "experiments": [tuitrack_json.activity_to_json(activity) for activity in page]
    }
    if page.token:
        answer["next_page_token"] = page.token
    return answer


def tag_summaries(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    max_values = fields.integer("max_values", 1, 1000)
    summaries = store.get_tag_summaries(
        fields.text_list("experiment_ids"),
        max_values=20 if max_values is None else max_values,
        run_view_type=mlflow_routes.view_type(fields, "run_view_type"),
    )
    return {"tags": [tuitrack_json.tag_summary_to_json(summary) for summary in summaries]}


def metric_summaries(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    summaries = store.get_metric_summaries(fields.required_text("run_id"))
    return {"metrics": [tuitrack_json.metric_summary_to_json(summary) for summary in summaries]}


ENDPOINTS = [
    Endpoint(api.TUITRACK_CAPABILITIES, GET, capabilities),
    Endpoint(api.TUITRACK_RUNS_SEARCH, POST, search_runs),
    Endpoint(api.TUITRACK_RUNS_COUNT, POST, count_runs),
    Endpoint(api.TUITRACK_RUNS_CREATE, POST, create_run),
    Endpoint(api.TUITRACK_RUNS_HEARTBEAT, POST, heartbeat),
    Endpoint(LOG_BATCH, POST, log_batch, mlflow_routes.LOG_BATCH_BODY_LIMIT),
    Endpoint(
        api.TUITRACK_RUNS_LOG_METRIC_COLUMNS, POST, log_metric_columns, METRIC_COLUMNS_BODY_LIMIT
    ),
    Endpoint(api.TUITRACK_METRICS_GET_HISTORIES, POST, get_histories),
    Endpoint(METRIC_SUMMARIES, GET_OR_POST, metric_summaries),
    Endpoint(api.TUITRACK_RUNS_ORPHANS, POST, find_orphans),
    Endpoint(api.TUITRACK_RUNS_MARK_FAILED, POST, mark_failed),
    Endpoint(api.TUITRACK_RUNS_LAST_ACTIVITY, POST, last_activity),
    Endpoint(api.TUITRACK_EXPERIMENTS_ACTIVITY, POST, experiment_activity),
    Endpoint(api.TUITRACK_RUNS_TAG_SUMMARIES, POST, tag_summaries),
]
