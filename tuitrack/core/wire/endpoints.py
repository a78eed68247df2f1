"""The paths of the endpoints tuitrack's REST client and server speak, and the request
limits of MLflow's server (read from MLflow 3's mlflow/utils/validation.py,
mlflow/store/tracking/__init__.py and mlflow/server/handlers.py).

Paths are relative to the server's base URL ("http://host:5000"); a server behind a
static prefix (MLflow's --static-prefix) is reached by putting the prefix in the base URL.
"""

from __future__ import annotations

MLFLOW_API = "/api/2.0/mlflow"
TUITRACK_API = "/api/2.0/tuitrack"
MLFLOW_ARTIFACTS_API = "/api/2.0/mlflow-artifacts"

# MLflow's tracking API: GET takes query parameters, POST a JSON body.
EXPERIMENTS_CREATE = f"{MLFLOW_API}/experiments/create"  # POST
EXPERIMENTS_GET = f"{MLFLOW_API}/experiments/get"  # GET ?experiment_id=
EXPERIMENTS_GET_BY_NAME = f"{MLFLOW_API}/experiments/get-by-name"  # GET ?experiment_name=
EXPERIMENTS_SEARCH = f"{MLFLOW_API}/experiments/search"  # POST (GET too)
EXPERIMENTS_UPDATE = f"{MLFLOW_API}/experiments/update"  # POST {experiment_id, new_name}
EXPERIMENTS_DELETE = f"{MLFLOW_API}/experiments/delete"  # POST {experiment_id}
EXPERIMENTS_RESTORE = f"{MLFLOW_API}/experiments/restore"  # POST {experiment_id}
EXPERIMENTS_SET_TAG = f"{MLFLOW_API}/experiments/set-experiment-tag"  # POST
EXPERIMENTS_DELETE_TAG = f"{MLFLOW_API}/experiments/delete-experiment-tag"  # POST

RUNS_CREATE = f"{MLFLOW_API}/runs/create"  # POST -> {"run"}
RUNS_GET = f"{MLFLOW_API}/runs/get"  # GET ?run_id= -> {"run"}
RUNS_UPDATE = f"{MLFLOW_API}/runs/update"  # POST {run_id, status?, end_time?, run_name?}
RUNS_DELETE = f"{MLFLOW_API}/runs/delete"  # POST {run_id}
RUNS_RESTORE = f"{MLFLOW_API}/runs/restore"  # POST {run_id}
RUNS_SEARCH = f"{MLFLOW_API}/runs/search"  # POST -> {"runs", "next_page_token"}
RUNS_LOG_BATCH = f"{MLFLOW_API}/runs/log-batch"  # POST {run_id, metrics, params, tags}
RUNS_SET_TAG = f"{MLFLOW_API}/runs/set-tag"  # POST {run_id, key, value}
RUNS_DELETE_TAG = f"{MLFLOW_API}/runs/delete-tag"  # POST {run_id, key}
RUNS_LOG_INPUTS = f"{MLFLOW_API}/runs/log-inputs"  # POST {run_id, datasets}

METRICS_GET_HISTORY = f"{MLFLOW_API}/metrics/get-history"
"""GET ?run_id=&metric_key=&max_results=&page_token= -> {"metrics", "next_page_token"}.
Without max_results the whole history comes in one answer."""
METRICS_GET_HISTORY_BULK_INTERVAL = f"{MLFLOW_API}/metrics/get-history-bulk-interval"
"""GET ?run_ids=..&metric_key=&max_results=&start_step=&end_step= -> {"metrics"}, each with
its run_id: up to max_results points a run, sampled evenly over the steps (MLflow >= 2.11)."""

ARTIFACTS_LIST = f"{MLFLOW_API}/artifacts/list"
"""GET ?run_id=&path=&page_token= -> {"root_uri", "files", "next_page_token"}."""

# MLflow's artifact proxy (a server started with --serve-artifacts); paths below it are
# those after "mlflow-artifacts:/" in an artifact URI.
MLFLOW_ARTIFACTS = f"{MLFLOW_ARTIFACTS_API}/artifacts"
"""GET {MLFLOW_ARTIFACTS}?path= lists -> {"files"}; GET/PUT/DELETE {MLFLOW_ARTIFACTS}/<path>
downloads, uploads (the raw bytes as the body) and deletes one file."""


def mlflow_artifact_path(path: str) -> str:
    """The proxy endpoint of the artifact at `path` (no leading slash needed)."""
    return f"{MLFLOW_ARTIFACTS}/{path.lstrip('/')}"


# tuitrack's own endpoints (docs/rest.md), offered by a tuitrack server as its capabilities
# document says.
TUITRACK_CAPABILITIES = f"{TUITRACK_API}/capabilities"  # GET
TUITRACK_RUNS_SEARCH = f"{TUITRACK_API}/runs/search"  # POST, the full filter language
TUITRACK_RUNS_COUNT = f"{TUITRACK_API}/runs/count"  # POST -> {"count"}
TUITRACK_RUNS_CREATE = f"{TUITRACK_API}/runs/create"  # POST, with host and pid
TUITRACK_RUNS_HEARTBEAT = f"{TUITRACK_API}/runs/heartbeat"  # POST {run_id, heartbeat_time?}
TUITRACK_RUNS_LOG_METRIC_COLUMNS = f"{TUITRACK_API}/runs/log-metric-columns"  # POST
TUITRACK_METRICS_GET_HISTORIES = f"{TUITRACK_API}/metrics/get-histories"  # POST
TUITRACK_RUNS_ORPHANS = f"{TUITRACK_API}/runs/orphans"  # POST {experiment_ids}
TUITRACK_RUNS_MARK_FAILED = f"{TUITRACK_API}/runs/mark-failed"  # POST {run_ids, reason?}
TUITRACK_RUNS_LAST_ACTIVITY = f"{TUITRACK_API}/runs/last-activity"  # POST {run_ids}
TUITRACK_EXPERIMENTS_ACTIVITY = f"{TUITRACK_API}/experiments/activity"  # POST
TUITRACK_EXPERIMENT_ACTIVITY = TUITRACK_EXPERIMENTS_ACTIVITY  # the same, as the client spells it
TUITRACK_RUNS_TAG_SUMMARIES = f"{TUITRACK_API}/runs/tag-summaries"  # POST

# MLflow's request limits ------------------------------------------------------------------

MAX_METRICS_PER_BATCH = 1000
"""Metrics in one runs/log-batch request."""
MAX_PARAMS_PER_BATCH = 100
"""Params in one runs/log-batch request."""
MAX_TAGS_PER_BATCH = 100
"""Tags in one runs/log-batch request."""
MAX_ENTITIES_PER_BATCH = 1000
"""Metrics, params and tags together in one runs/log-batch request."""
MAX_BATCH_REQUEST_BYTES = 1_000_000
"""The size of a runs/log-batch request's JSON body."""
MAX_DATASETS_PER_LOG_INPUTS = 1000
"""Dataset inputs in one runs/log-inputs request."""

SEARCH_MAX_RESULTS_DEFAULT = 1000
"""The page size of runs/search and experiments/search when max_results is not sent."""
SEARCH_MAX_RESULTS_LIMIT = 50_000
"""The largest max_results runs/search and experiments/search accept."""

GET_HISTORY_MAX_RESULTS = 25_000
"""The max_results MLflow's own client pages metrics/get-history with (the server sets no
upper bound; its bulk history endpoints cap at this)."""
BULK_INTERVAL_MAX_RESULTS = 2500
"""The largest max_results (points a run) metrics/get-history-bulk-interval accepts; also
its default."""
BULK_INTERVAL_MAX_RUN_IDS = 100
"""Runs in one metrics/get-history-bulk-interval request."""

MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20_000
MAX_KEY_LENGTH = 250
"""Of a metric, param or run tag key."""
