"""MLflow's REST API 2.0 tracking endpoints, over any TrackingStore.

Paths, methods and fields as MLflow's server has them (mlflow/server/handlers.py and the
protos): GET endpoints read the query string (a repeated field repeats its key), POST
endpoints a JSON object; `run_uuid` is accepted wherever MLflow still accepts it for
`run_id`. Answers use MLflow's JSON shapes (tuitrack.core.wire.mlflow_json), so that
MLflow's own client and tuitrack's REST client read them as they read `mlflow server`'s.
"""

from __future__ import annotations

from typing import Any

from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.core.wire import endpoints as api
from tuitrack.core.wire import mlflow_json
from tuitrack.entities import Param, Run, RunTag, ViewType
from tuitrack.errors import NotFoundError
from tuitrack.server import history_paging
from tuitrack.server.batches import MetricColumns, metric_columns, write_batch
from tuitrack.server.requests import Fields
from tuitrack.server.responses import RequestError
from tuitrack.server.routing import GET, GET_OR_POST, POST, Endpoint

LOG_BATCH_BODY_LIMIT = 8 * 1024 * 1024
# A dataset's profile alone may be 16 MB in MLflow.
LOG_INPUTS_BODY_LIMIT = 40 * 1024 * 1024
_RUN_ID_ALIASES = ("run_uuid",)
PARENT_TAG = mlflow_json.PARENT_RUN_ID_TAG


def _run_id(fields: Fields) -> str:
    return fields.required_text("run_id", _RUN_ID_ALIASES)


def view_type(fields: Fields, name: str) -> ViewType:
    raw = fields.raw(name)
    if raw is None:
        return ViewType.ACTIVE_ONLY
    if isinstance(raw, str) and raw.isdigit():  # MLflow's number, from a query string
        raw = int(raw)
    try:
        return mlflow_json.view_type_from_json(raw)
    except ValueError as error:
        raise RequestError(f"Invalid value for parameter '{name}': {error}") from None


def search_max_results(fields: Fields) -> int:
    value = fields.integer("max_results", 1, api.SEARCH_MAX_RESULTS_LIMIT)
    return api.SEARCH_MAX_RESULTS_DEFAULT if value is None else value


def _page(items: list[dict[str, Any]], name: str, token: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {name: items}
    if token:
        answer["next_page_token"] = token
    return answer


def run_json(run: Run) -> dict[str, Any]:
    """MLflow's run JSON, with tuitrack's extras object (heartbeat, host, pid) when the run
    has any: MLflow's client ignores fields it does not know, and tuitrack's client reads
    them from whichever endpoint answered."""
    info = run.info
    extras = info.heartbeat_time is not None or info.host is not None or info.pid is not None
    return mlflow_json.run_to_json(run, with_extras=extras)


# --- experiments -----------------------------------------------------------------------


def create_experiment(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    experiment_id = store.create_experiment(
        fields.required_text("name"),
        fields.text("artifact_location") or None,
        fields.key_values("tags"),
    )
    return {"experiment_id": experiment_id}


def get_experiment(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    experiment = store.get_experiment(fields.required_text("experiment_id"))
    return {"experiment": mlflow_json.experiment_to_json(experiment)}


def get_experiment_by_name(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    name = fields.required_text("experiment_name")
    experiment = store.get_experiment_by_name(name)
    if experiment is None:
        raise NotFoundError(f"Could not find experiment with name '{name}'")
    return {"experiment": mlflow_json.experiment_to_json(experiment)}


def search_experiments(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    page = store.search_experiments(
        view_type=view_type(fields, "view_type"),
        max_results=search_max_results(fields),
        filter_string=fields.text("filter") or None,
        order_by=fields.text_list("order_by") or None,
        page_token=fields.text("page_token") or None,
    )
    experiments = [mlflow_json.experiment_to_json(e) for e in page]
    return _page(experiments, "experiments", page.token)


def update_experiment(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.rename_experiment(fields.required_text("experiment_id"), fields.required_text("new_name"))
    return {}


def delete_experiment(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.delete_experiment(fields.required_text("experiment_id"))
    return {}


def restore_experiment(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.restore_experiment(fields.required_text("experiment_id"))
    return {}


def set_experiment_tag(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.set_experiment_tag(
        fields.required_text("experiment_id"),
        fields.required_text("key"),
        fields.text("value") or "",
    )
    return {}


def delete_experiment_tag(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.delete_experiment_tag(fields.required_text("experiment_id"), fields.required_text("key"))
    return {}


# --- runs ------------------------------------------------------------------------------


def create_run(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    tags = fields.key_values("tags")
    run = store.create_run(
        fields.required_text("experiment_id"),
        user_id=fields.text("user_id") or None,
        start_time=fields.integer("start_time"),
        tags=tags,
        run_name=fields.text("run_name") or None,
        parent_run_id=tags.get(PARENT_TAG) or None,
    )
    return {"run": run_json(run)}


def get_run(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    return {"run": run_json(store.get_run(_run_id(fields)))}


def update_run(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    raw_status = fields.raw("status")
    status = None
    if raw_status is not None:
        try:
            status = mlflow_json.status_from_json(raw_status)
        except ValueError as error:
            raise RequestError(f"Invalid value for parameter 'status': {error}") from None
    info = store.update_run_info(
        _run_id(fields),
        status=status,
        end_time=fields.integer("end_time"),
        run_name=fields.text("run_name"),
    )
    return {"run_info": mlflow_json.run_info_to_json(info)}


def delete_run(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.delete_run(_run_id(fields))
    return {}


def restore_run(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.restore_run(_run_id(fields))
    return {}


def search_runs(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    page = store.search_runs(
        fields.text_list("experiment_ids"),
        filter_string=fields.text("filter") or None,
        run_view_type=view_type(fields, "run_view_type"),
        max_results=search_max_results(fields),
        order_by=fields.text_list("order_by") or None,
        page_token=fields.text("page_token") or None,
    )
    return _page([run_json(run) for run in page], "runs", page.token)


# --- logging ---------------------------------------------------------------------------


def parsed_param(fields: Fields) -> Param:
    return Param(key=fields.required_text("key"), value=fields.text("value") or "")


def parsed_tag(fields: Fields) -> RunTag:
    return RunTag(key=fields.required_text("key"), value=fields.text("value") or "")


def check_batch_limits(metrics: int, params: int, tags: int) -> None:
    """MLflow's log-batch limits, refused before anything is written."""
    for count, limit, what in (
        (metrics, api.MAX_METRICS_PER_BATCH, "metrics"),
        (params, api.MAX_PARAMS_PER_BATCH, "params"),
        (tags, api.MAX_TAGS_PER_BATCH, "tags"),
        (metrics + params + tags, api.MAX_ENTITIES_PER_BATCH, "metrics, params and tags together"),
    ):
        if count > limit:
            raise RequestError(
                f"A log-batch request may hold at most {limit} {what}, got {count}; "
                "split them across several requests"
            )


def log_batch(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run_id = _run_id(fields)
    metrics, params, tags = batch_contents(fields)
    write_batch(store, run_id, metrics, params, tags)
    return {}


def batch_contents(fields: Fields) -> tuple[MetricColumns, list[Param], list[RunTag]]:
    """A log-batch request's metrics, params and tags, within MLflow's limits."""
    metric_items = fields.array("metrics")
    param_fields, tag_fields = fields.objects("params"), fields.objects("tags")
    check_batch_limits(len(metric_items), len(param_fields), len(tag_fields))
    return (
        metric_columns(metric_items, "metrics"),
        [parsed_param(p) for p in param_fields],
        [parsed_tag(t) for t in tag_fields],
    )


def log_metric(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run_id = _run_id(fields)
    point = {name: fields.raw(name) for name in ("key", "value", "timestamp", "step")}
    write_batch(store, run_id, metric_columns([point], ""), (), ())
    return {}


def log_param(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.log_param(_run_id(fields), parsed_param(fields))
    return {}


def set_tag(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.set_tag(_run_id(fields), parsed_tag(fields))
    return {}


def delete_tag(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    store.delete_tag(_run_id(fields), fields.required_text("key"))
    return {}


def log_inputs(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run_id = _run_id(fields)
    items = fields.objects("datasets")
    if len(items) > api.MAX_DATASETS_PER_LOG_INPUTS:
        raise RequestError(
            f"A log-inputs request may hold at most {api.MAX_DATASETS_PER_LOG_INPUTS} datasets, "
            f"got {len(items)}"
        )
    datasets = []
    for index, raw in enumerate(fields.raw("datasets") or []):
        try:
            datasets.append(mlflow_json.dataset_input_from_json(raw))
        except (KeyError, TypeError, ValueError) as error:
            raise RequestError(
                f"Invalid value for parameter 'datasets[{index}]': {error}"
            ) from None
    store.log_inputs(run_id, datasets)
    return {}


# --- metric histories and artifacts ------------------------------------------------------


def get_metric_history(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run_id, key = _run_id(fields), fields.required_text("metric_key")
    page_size = fields.integer("max_results", 1)
    if page_size is None:
        points, token = list(store.get_metric_history(run_id, key)), None
    else:
        points, token = history_paging.page(
            store, run_id, key, page_size, fields.text("page_token") or None
        )
    return _page([mlflow_json.metric_to_json(m) for m in points], "metrics", token)


def get_metric_history_bulk_interval(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run_ids = fields.text_list("run_ids")
    if not 1 <= len(run_ids) <= api.BULK_INTERVAL_MAX_RUN_IDS:
        raise RequestError(
            f"'run_ids' must name 1 to {api.BULK_INTERVAL_MAX_RUN_IDS} runs, got {len(run_ids)}"
        )
    key = fields.required_text("metric_key")
    start, end = fields.integer("start_step"), fields.integer("end_step")
    if (start is None) != (end is None):
        raise RequestError("Give both 'start_step' and 'end_step', or neither")
    if start is not None and end is not None and start > end:
        raise RequestError(f"'start_step' {start} is after 'end_step' {end}")
    limit = (
        fields.integer("max_results", 1, api.BULK_INTERVAL_MAX_RESULTS)
        or api.BULK_INTERVAL_MAX_RESULTS
    )
    histories = store.get_metric_histories(
        run_ids, [key], max_points=max(limit, 5), start_step=start, end_step=end
    )
    metrics = []
    for run_id in dict.fromkeys(run_ids):
        for point in history_paging.at_most(list(histories.get((run_id, key), ())), limit):
            metrics.append({**mlflow_json.metric_to_json(point), "run_id": run_id})
    return {"metrics": metrics}


def list_artifacts(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    run = store.get_run(_run_id(fields))
    root = run.info.artifact_uri
    artifacts = store.artifact_store_for(root) or registry.get_artifact_store(root)
    files = artifacts.list_artifacts(fields.text("path") or None)
    return {"root_uri": root, "files": [mlflow_json.file_info_to_json(f) for f in files]}


def search_logged_models(store: TrackingStore, fields: Fields) -> dict[str, Any]:
    """A tuitrack store keeps no logged models (MLflow 3's model entities), so a search
    finds none. MLflow's client searches them whenever it lists a run's artifacts, which
    must not fail for that."""
    fields.text_list("experiment_ids")
    fields.text("filter")
    return {"models": []}


ENDPOINTS = [
    Endpoint(api.EXPERIMENTS_CREATE, POST, create_experiment),
    Endpoint(api.EXPERIMENTS_GET, GET, get_experiment),
    Endpoint(api.EXPERIMENTS_GET_BY_NAME, GET, get_experiment_by_name),
    Endpoint(api.EXPERIMENTS_SEARCH, GET_OR_POST, search_experiments),
    Endpoint(api.EXPERIMENTS_UPDATE, POST, update_experiment),
    Endpoint(api.EXPERIMENTS_DELETE, POST, delete_experiment),
    Endpoint(api.EXPERIMENTS_RESTORE, POST, restore_experiment),
    Endpoint(api.EXPERIMENTS_SET_TAG, POST, set_experiment_tag),
    Endpoint(api.EXPERIMENTS_DELETE_TAG, POST, delete_experiment_tag),
    Endpoint(api.RUNS_CREATE, POST, create_run),
    Endpoint(api.RUNS_GET, GET, get_run),
    Endpoint(api.RUNS_UPDATE, POST, update_run),
    Endpoint(api.RUNS_DELETE, POST, delete_run),
    Endpoint(api.RUNS_RESTORE, POST, restore_run),
    Endpoint(api.RUNS_SEARCH, POST, search_runs),
    Endpoint(api.RUNS_LOG_BATCH, POST, log_batch, LOG_BATCH_BODY_LIMIT),
    Endpoint(f"{api.MLFLOW_API}/runs/log-metric", POST, log_metric),
    Endpoint(f"{api.MLFLOW_API}/runs/log-parameter", POST, log_param),
    Endpoint(api.RUNS_SET_TAG, POST, set_tag),
    Endpoint(api.RUNS_DELETE_TAG, POST, delete_tag),
    Endpoint(api.RUNS_LOG_INPUTS, POST, log_inputs, LOG_INPUTS_BODY_LIMIT),
    Endpoint(api.METRICS_GET_HISTORY, GET, get_metric_history),
    Endpoint(api.METRICS_GET_HISTORY_BULK_INTERVAL, GET, get_metric_history_bulk_interval),
    Endpoint(api.ARTIFACTS_LIST, GET, list_artifacts),
    Endpoint(f"{api.MLFLOW_API}/logged-models/search", POST, search_logged_models),
]
