"""A TrackingStore over HTTP: MLflow's REST API 2.0, and tuitrack's where the server has it.

`http(s)://host:port[/prefix]` asks the server once what it serves (server_features): a
tuitrack server's own endpoints (docs/rest.md) evaluate the whole search language, thin
histories, keep heartbeats and count; against a plain MLflow server, or with
`mlflow+http(s)://`, MLflow's endpoints do everything, and what MLflow cannot evaluate is
evaluated here (searching) or read whole and thinned here (history).

Requests go through one RestConnection (keep-alive, retries, MLflow's auth variables);
MLflow's JSON is read and written by tuitrack.core.wire.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from tuitrack.core.capabilities import Capability
from tuitrack.core.datasets import DatasetInput, validate_dataset_input
from tuitrack.core.downsampling import downsample_history
from tuitrack.core.history_request import HistoryRequest, unique_names
from tuitrack.core.limits import checked_max_results
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.orphans import Orphan, OrphanPolicy
from tuitrack.core.run_creation import CheckedRunCreation, NewRun, refuse_a_deleted_experiment
from tuitrack.core.store import ArtifactStore, ExperimentActivity, MarkResult, TrackingStore
from tuitrack.core.validation import (
    checked_metric_columns,
    run_update_values,
    validate_experiment_name,
    validate_experiment_tag,
    validate_int64,
    validate_key,
    validate_metric,
    validate_param,
    validate_tag,
)
from tuitrack.core.wire import endpoints as api
from tuitrack.core.wire import mlflow_json as wire
from tuitrack.core.wire import tuitrack_json
from tuitrack.core.wire.tuitrack_json import ServerFeature
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    TagSummary,
    ViewType,
)
from tuitrack.errors import AlreadyExistsError, InvalidValueError, NotFoundError, ParamConflictError
from tuitrack.search.field_tags import PARENT_RUN_TAG
from tuitrack_rest.activity import RecentActivity
from tuitrack_rest.artifacts import RestArtifactStore
from tuitrack_rest.batches import batch_bodies, fits_one_request
from tuitrack_rest.connection import RestConnection
from tuitrack_rest.connection_settings import ConnectionSettings
from tuitrack_rest.filters import split_experiment_filter, split_run_filter
from tuitrack_rest.history import MlflowHistories, as_logged, step_range
from tuitrack_rest.searching import search_experiments_page, search_runs_page
from tuitrack_rest.server_features import ServerFeatures

# Retries, and their deadline in seconds, of a store opened to browse.
_BROWSING_RETRIES = 2
_BROWSING_DEADLINE = 10.0
# Runs the experiments list counts of an experiment on MLflow's server (then `100+`).
_ACTIVITY_COUNTED_RUNS = 100
# Tries of a log-inputs request that meets MLflow's race over a new dataset.
_LOG_INPUTS_ATTEMPTS = 3
# Points of one columnar request to a tuitrack server.
_COLUMN_POINTS_PER_REQUEST = 20_000

Json = dict[str, Any]


def _distinct_params(run_id: str, params: Sequence[Param]) -> dict[str, str]:
    """Each param key of a batch once (MLflow's server refuses a key given twice, even with
    one value); ParamConflictError for a key given two values."""
    wanted: dict[str, str] = {}
    for param in params:
        if wanted.setdefault(param.key, param.value) != param.value:
            raise ParamConflictError(run_id, param.key, wanted[param.key], param.value)
    return wanted


def _search_body(
    body: Json, server_filter: str | None, server_order: list[str] | None, token: str | None
) -> Json:
    """A search request's body: `body` and the filter, order and page token it is given."""
    for field, value in (
        ("filter", server_filter),
        ("order_by", server_order),
        ("page_token", token),
    ):
        if value:
            body[field] = value
    return body


def _base_url(store_uri: str) -> tuple[str, bool]:
    """The server's base URL and whether the URI asks for plain MLflow mode."""
    scheme, _, rest = store_uri.partition("://")
    plain = scheme.startswith("mlflow+")
    return f"{scheme.removeprefix('mlflow+')}://{rest}".rstrip("/"), plain


class RestTrackingStore(CheckedRunCreation, TrackingStore):
    """Opens `http(s)://host:port[/prefix]` and `mlflow+http(s)://...` (plain MLflow mode).

    Nothing is sent until the first call, so opening never fails on a server that is down;
    every call may raise StoreUnavailableError naming the URL and what to check.
    """

    def __init__(
        self,
        store_uri: str,
        default_artifact_root: str,
        settings: ConnectionSettings | None = None,
    ) -> None:
        super().__init__(store_uri, default_artifact_root)
        base, plain = _base_url(store_uri)
        self.connection = RestConnection(base, settings or ConnectionSettings.from_environment())
        self._server = ServerFeatures(self.connection, plain_mlflow=plain)
        self._declared: frozenset[Capability] | None = None
        self._histories = MlflowHistories(self.connection)
        self._activity = RecentActivity()

    @classmethod
    def open_for_reading(cls, store_uri: str, default_artifact_root: str) -> RestTrackingStore:
        """The store a person browses with: a server that is down is said after a couple of
        quick retries (live refresh asks again anyway), not after a logging process's
        patient minute of them."""
        settings = ConnectionSettings.from_environment()
        browsing = replace(
            settings,
            max_retries=min(settings.max_retries, _BROWSING_RETRIES),
            retry_deadline_seconds=min(settings.retry_deadline_seconds, _BROWSING_DEADLINE),
        )
        return cls(store_uri, default_artifact_root, browsing)

    # --- what the server can do -----------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        if self._declared is not None:
            return self._declared
        return self._server.capabilities()

    @capabilities.setter
    def capabilities(self, value: frozenset[Capability]) -> None:
        self._declared = value

    def _call(self, method: str, endpoint: str, **request: Any) -> Json:
        return self.connection.call(method, endpoint, **request)

    # --- experiments ----------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        validate_experiment_name(name)
        for key, value in (tags or {}).items():
            validate_experiment_tag(key, value)
        body: Json = {
            "name": name,
            "tags": [wire.tag_to_json(k, v) for k, v in (tags or {}).items()],
        }
        if artifact_location:
            body["artifact_location"] = artifact_location
        # Not idempotent: a retry after a lost answer would find the name taken.
        answer = self._call("POST", api.EXPERIMENTS_CREATE, body=body, retry=False)
        return str(answer["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        answer = self._call("GET", api.EXPERIMENTS_GET, params={"experiment_id": experiment_id})
        return wire.experiment_from_json(answer["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            answer = self._call(
                "GET", api.EXPERIMENTS_GET_BY_NAME, params={"experiment_name": name}
            )
        except NotFoundError:
            return None
        return wire.experiment_from_json(answer["experiment"])

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        checked_max_results(max_results)

        def fetch(
            server_filter: str | None, server_order: list[str] | None, count: int, token: str | None
        ) -> tuple[list[Experiment], str | None]:
            body = _search_body(
                {"max_results": count, "view_type": wire.view_type_to_json(view_type)},
                server_filter,
                server_order,
                token,
            )
            answer = self._call("POST", api.EXPERIMENTS_SEARCH, body=body)
            found = [wire.experiment_from_json(e) for e in answer.get("experiments", [])]
            return found, answer.get("next_page_token") or None

        split = split_experiment_filter(filter_string)
        return search_experiments_page(fetch, split, order_by, max_results, page_token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validate_experiment_name(new_name)
        try:
            self._call(
                "POST",
                api.EXPERIMENTS_UPDATE,
                body={"experiment_id": experiment_id, "new_name": new_name},
            )
        except AlreadyExistsError as error:  # MLflow's message does not name it
            raise AlreadyExistsError(
                f"cannot rename experiment {experiment_id} to {new_name!r}: an experiment "
                "(active or deleted) has that name"
            ) from error

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("POST", api.EXPERIMENTS_DELETE, body={"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        self._call("POST", api.EXPERIMENTS_RESTORE, body={"experiment_id": experiment_id})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        validate_experiment_tag(key, value)
        self._call(
            "POST",
            api.EXPERIMENTS_SET_TAG,
            body={"experiment_id": experiment_id, "key": key, "value": value},
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        validate_key(key, "experiment tag key")
        self._call(
            "POST", api.EXPERIMENTS_DELETE_TAG, body={"experiment_id": experiment_id, "key": key}
        )

    def search_experiment_activity(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        page_token: str | None = None,
    ) -> PagedList[ExperimentActivity]:
        if not self._server.has(ServerFeature.EXPERIMENT_ACTIVITY):
            return super().search_experiment_activity(
                view_type, max_results, filter_string, page_token
            )
        checked_max_results(max_results)
        body: Json = {
            "view_type": wire.view_type_to_json(view_type),
            "max_results": max_results,
            "filter": filter_string or "",
            "page_token": page_token or "",
        }
        answer = self._call("POST", api.TUITRACK_EXPERIMENTS_ACTIVITY, body=body)
        return PagedList(
            [tuitrack_json.activity_from_json(item) for item in answer.get("experiments", [])],
            answer.get("next_page_token") or None,
        )

    def _experiment_activity(self, experiment: Experiment) -> ExperimentActivity:
        """What MLflow's server can tell quickly: it cannot count runs, and reading them
        all to count them takes seconds per 10,000 runs, so the count stops at the newest
        _ACTIVITY_COUNTED_RUNS (and says so: `run_count_exact`). Its RUNNING runs are all
        read (a filter the server evaluates); the last activity is the latest start or end
        among the runs read."""
        deleted = experiment.lifecycle_stage == LifecycleStage.DELETED
        view = ViewType.ALL if deleted else ViewType.ACTIVE_ONLY
        ids = [experiment.experiment_id]
        newest = self.search_runs(ids, None, view, _ACTIVITY_COUNTED_RUNS)
        running = self._every_run(ids, "attributes.status = 'RUNNING'", view)
        moments = [
            moment
            for run in (*newest, *running)
            for moment in (run.info.start_time, run.info.end_time)
            if moment
        ]
        return ExperimentActivity(
            experiment,
            len(newest),
            len(running),
            max(moments, default=None),
            run_count_exact=newest.token is None,
        )

    def _every_run(self, ids: list[str], filter_string: str, view: ViewType) -> list[Run]:
        found: list[Run] = []
        token: str | None = None
        while True:
            page = self.search_runs(ids, filter_string, view, 1000, page_token=token)
            found.extend(page)
            token = page.token
            if token is None:
                return found

    # --- runs -----------------------------------------------------------------------------

    def insert_run(self, new: NewRun) -> Run:
        tags = {tag.key: tag.value for tag in new.tags}
        if new.parent_run_id is not None:
            self.get_run(new.parent_run_id)  # NotFoundError for an unknown parent
            tags[PARENT_RUN_TAG] = new.parent_run_id
        body: Json = {
            "experiment_id": new.experiment_id,
            "start_time": new.start_time,
            "run_name": new.run_name,
            "tags": [wire.tag_to_json(key, value) for key, value in tags.items()],
        }
        if new.user_id is not None:
            body["user_id"] = new.user_id
        if self._server.has(ServerFeature.RUN_CREATE):
            # The run id travels with the request, so sending it again creates nothing new.
            body.update(run_id=new.run_id, host=new.host, pid=new.pid)
            answer = self._call("POST", api.TUITRACK_RUNS_CREATE, body=body)
            return self._run(answer["run"])
        experiment = self.get_experiment(new.experiment_id)
        refuse_a_deleted_experiment(
            experiment.lifecycle_stage.value, experiment.name, experiment.experiment_id
        )
        answer = self._call("POST", api.RUNS_CREATE, body=body, retry=False)
        return self._run(answer["run"])

    def get_run(self, run_id: str) -> Run:
        answer = self._call("GET", api.RUNS_GET, params={"run_id": run_id})
        return self._run(answer["run"])

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values = run_update_values(status, end_time, run_name)
        body: Json = {"run_id": run_id}
        if "status" in values:
            body["status"] = wire.status_to_json(values["status"])
        if "end_time" in values:
            body["end_time"] = values["end_time"]
        if "name" in values:
            body["run_name"] = values["name"]
        self._call("POST", api.RUNS_UPDATE, body=body)
        # The answer lacks what MLflow's RunInfo has no field for: read the run back.
        return self.get_run(run_id).info

    def delete_run(self, run_id: str) -> None:
        self._call("POST", api.RUNS_DELETE, body={"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._call("POST", api.RUNS_RESTORE, body={"run_id": run_id})

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        """On a plain MLflow server only checks that the run exists: MLflow keeps no
        heartbeat, and its runs are judged by their last activity."""
        if heartbeat_time is not None:
            validate_int64(heartbeat_time, "heartbeat_time")
        if not self._server.has(ServerFeature.HEARTBEAT):
            self.get_run(run_id)
            return
        body: Json = {"run_id": run_id}
        if heartbeat_time is not None:
            body["heartbeat_time"] = heartbeat_time
        self._call("POST", api.TUITRACK_RUNS_HEARTBEAT, body=body)

    # --- data -----------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,
    ) -> None:
        for metric in metrics:
            validate_metric(metric)
        for param in params:
            validate_param(param)
        for tag in tags:
            validate_tag(tag)
        wanted = _distinct_params(run_id, params)
        if not fits_one_request(len(metrics), len(wanted), len(tags)):
            self._refuse_changed_params(run_id, wanted)
        self._send_batch(
            run_id,
            [wire.metric_to_json(metric) for metric in metrics],
            [wire.param_to_json(key, value) for key, value in wanted.items()],
            [wire.tag_to_json(tag.key, tag.value) for tag in tags],
        )

    def log_metric_columns(
        self,
        run_id: str,
        keys: Sequence[str],
        values: Sequence[float],
        timestamps: Sequence[int],
        steps: Sequence[int],
        batch_id: str | None = None,
    ) -> None:
        checked_metric_columns(keys, values, timestamps, steps)
        if self._server.has(ServerFeature.METRIC_COLUMNS):
            self._send_columns(run_id, keys, values, timestamps, steps, batch_id)
            return
        points = [
            wire.metric_point_to_json(key, value, timestamp, step)
            for key, value, timestamp, step in zip(keys, values, timestamps, steps, strict=True)
        ]
        self._send_batch(run_id, points, [], [])

    def _send_columns(
        self,
        run_id: str,
        keys: Sequence[str],
        values: Sequence[float],
        timestamps: Sequence[int],
        steps: Sequence[int],
        batch_id: str | None,
    ) -> None:
        for part, start in enumerate(range(0, len(keys), _COLUMN_POINTS_PER_REQUEST)):
            end = start + _COLUMN_POINTS_PER_REQUEST
            body = tuitrack_json.metric_columns_to_json(
                run_id, keys[start:end], values[start:end], timestamps[start:end], steps[start:end]
            )
            if batch_id is not None:
                body["batch_id"] = f"{batch_id}:{part}"
            self._call("POST", api.TUITRACK_RUNS_LOG_METRIC_COLUMNS, body=body)
        self._histories.forget_run(run_id)

    def _send_batch(
        self, run_id: str, metrics: list[Json], params: list[Json], tags: list[Json]
    ) -> None:
        for body in batch_bodies(run_id, metrics, params, tags):
            self._call("POST", api.RUNS_LOG_BATCH, body=body)
        if metrics:
            self._histories.forget_run(run_id)

    def _refuse_changed_params(self, run_id: str, wanted: Mapping[str, str]) -> None:
        """ParamConflictError before anything is sent, for a batch cut into requests."""
        stored = self.get_run(run_id).data.params
        for key, value in wanted.items():
            if key in stored and stored[key] != value:
                raise ParamConflictError(run_id, key, stored[key], value)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        for dataset in datasets:
            validate_dataset_input(dataset)
        if not datasets:
            self.get_run(run_id)
            return
        body = {"run_id": run_id, "datasets": [wire.dataset_input_to_json(d) for d in datasets]}
        for attempt in range(_LOG_INPUTS_ATTEMPTS):
            try:
                self._call("POST", api.RUNS_LOG_INPUTS, body=body)
                return
            except AlreadyExistsError:
                # MLflow's server races when two requests add one new dataset at once: the
                # loser is refused although the dataset now exists, and sent again it is
                # stored once, as logging it twice is.
                if attempt == _LOG_INPUTS_ATTEMPTS - 1:
                    raise

    def delete_tag(self, run_id: str, key: str) -> None:
        validate_key(key, "tag key")
        self._call("POST", api.RUNS_DELETE_TAG, body={"run_id": run_id, "key": key})

    # --- metric histories -----------------------------------------------------------------

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
        max_points: int | None = None,
    ) -> Sequence[Metric]:
        return self.get_metric_histories([run_id], [key], max_points, start_step, end_step)[
            (run_id, key)
        ]

    def get_metric_histories(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        max_points: int | None = None,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[tuple[str, str], Sequence[Metric]]:
        request = HistoryRequest.of(start_step, end_step, max_points)
        ids, names = unique_names(run_ids), unique_names(keys)
        if self._server.has(ServerFeature.HISTORIES):
            return self._histories_from_tuitrack(ids, names, max_points, start_step, end_step)
        whole = self._histories.whole_series(ids, names, self._has_ended)
        return {
            (run_id, key): downsample_history(
                step_range(whole[run_id, key], start_step, end_step), request.max_points
            )
            for run_id in ids
            for key in names
        }

    def _has_ended(self, run_id: str) -> bool:
        return self.get_run(run_id).info.status is not RunStatus.RUNNING

    def _histories_from_tuitrack(
        self,
        ids: list[str],
        names: list[str],
        max_points: int | None,
        start_step: int | None,
        end_step: int | None,
    ) -> dict[tuple[str, str], Sequence[Metric]]:
        body: Json = {"run_ids": ids, "metric_keys": names}
        for field, value in (
            ("max_points", max_points),
            ("start_step", start_step),
            ("end_step", end_step),
        ):
            if value is not None:
                body[field] = value
        answer = self._call("POST", api.TUITRACK_METRICS_GET_HISTORIES, body=body)
        histories: dict[tuple[str, str], Sequence[Metric]] = {
            (run_id, key): MetricHistory(key) for run_id in ids for key in names
        }
        for item in answer.get("histories", []):
            histories[(item["run_id"], item["key"])] = tuitrack_json.history_from_json(
                item["key"], item
            )
        return histories

    def iter_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> Iterator[Metric]:
        if self._server.has(ServerFeature.HISTORIES):
            return super().iter_metric_history(run_id, key, start_step, end_step)
        return iter(self.get_metric_history(run_id, key, start_step, end_step))

    # --- search ---------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        checked_max_results(max_results)
        if isinstance(experiment_ids, str):
            raise InvalidValueError(
                f"experiment_ids must be a list of ids, got the string {experiment_ids!r}"
            )
        ids = [str(experiment_id) for experiment_id in experiment_ids]
        full_language = self._server.has(ServerFeature.SEARCH_FILTERS)
        if not full_language:  # MLflow's ids are integers; it refuses others as a request
            ids = [experiment_id for experiment_id in ids if experiment_id.isdecimal()]
        endpoint = api.TUITRACK_RUNS_SEARCH if full_language else api.RUNS_SEARCH

        def fetch(
            server_filter: str | None, server_order: list[str] | None, count: int, token: str | None
        ) -> tuple[list[Run], str | None]:
            if not ids:
                return [], None
            body = _search_body(
                {
                    "experiment_ids": ids,
                    "run_view_type": wire.view_type_to_json(run_view_type),
                    "max_results": count,
                },
                server_filter,
                server_order,
                token,
            )
            answer = self._call("POST", endpoint, body=body)
            return self._runs(answer.get("runs", [])), answer.get("next_page_token") or None

        if full_language:  # a tuitrack server evaluates and orders everything itself
            runs, token = fetch(filter_string, list(order_by or []), max_results, page_token)
            return PagedList(runs, token)
        split = split_run_filter(filter_string)
        return search_runs_page(fetch, split, order_by, max_results, page_token)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        if not self._server.has(ServerFeature.COUNT):
            return super().count_runs(experiment_ids, filter_string, run_view_type)
        body: Json = {
            "experiment_ids": [str(i) for i in experiment_ids],
            "filter": filter_string or "",
            "run_view_type": wire.view_type_to_json(run_view_type),
        }
        return int(self._call("POST", api.TUITRACK_RUNS_COUNT, body=body)["count"])

    def get_tag_summaries(
        self,
        experiment_ids: Sequence[str],
        max_values: int = 20,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> list[TagSummary]:
        if not self._server.has(ServerFeature.TAG_SUMMARIES):
            return super().get_tag_summaries(experiment_ids, max_values, run_view_type)
        body: Json = {
            "experiment_ids": [str(i) for i in experiment_ids],
            "max_values": max_values,
            "run_view_type": wire.view_type_to_json(run_view_type),
        }
        answer = self._call("POST", api.TUITRACK_RUNS_TAG_SUMMARIES, body=body)
        return [tuitrack_json.tag_summary_from_json(item) for item in answer.get("tags", [])]

    # --- orphans --------------------------------------------------------------------------

    def last_activity_times(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Each run's latest metric time, as the server last sent the run (asked again for
        runs this store has not seen)."""
        if self._server.has(ServerFeature.ORPHANS):
            answer = self._call(
                "POST", api.TUITRACK_RUNS_LAST_ACTIVITY, body={"run_ids": list(run_ids)}
            )
            return tuitrack_json.last_activity_from_json(answer)
        times: dict[str, int] = {}
        for run_id in run_ids:
            if self._activity.get(run_id) is None:
                self.get_run(run_id)  # notes it
            known = self._activity.get(run_id)
            if known is not None:
                times[run_id] = known
        return times

    def find_orphans(
        self,
        experiment_ids: Sequence[str],
        policy: OrphanPolicy | None = None,
        now: int | None = None,
    ) -> list[Orphan]:
        if not self._server.has(ServerFeature.ORPHANS) or policy is not None or now is not None:
            return super().find_orphans(experiment_ids, policy, now)
        body = {"experiment_ids": [str(i) for i in experiment_ids]}
        answer = self._call("POST", api.TUITRACK_RUNS_ORPHANS, body=body)
        return [tuitrack_json.orphan_from_json(item) for item in answer.get("orphans", [])]

    def mark_failed(
        self,
        run_ids: Sequence[str],
        reason: str | None = None,
        policy: OrphanPolicy | None = None,
    ) -> MarkResult:
        if not self._server.has(ServerFeature.ORPHANS) or policy is not None:
            return super().mark_failed(run_ids, reason, policy)
        body: Json = {"run_ids": list(run_ids)}
        if reason is not None:
            body["reason"] = reason
        answer = self._call("POST", api.TUITRACK_RUNS_MARK_FAILED, body=body)
        return tuitrack_json.mark_result_from_json(answer)

    # --- conversions and artifacts ----------------------------------------------------------

    def _run(self, data: Json) -> Run:
        return self._runs([data])[0]

    def _runs(self, items: list[Json]) -> list[Run]:
        """Runs from the server's JSON; each one's latest metric time is noted (the last
        activity orphans are judged by, on a server without heartbeats)."""
        runs = wire.runs_from_json(items)
        if not self._server.has(
            ServerFeature.SEARCH_FILTERS
        ):  # MLflow's server: +-inf came as +-DBL_MAX
            for run in runs:
                metrics = run.data.metrics
                for key, value in metrics.items():
                    metrics[key] = as_logged(value)
        self._activity.note(
            (run.info.run_id, wire.latest_metric_time(item))
            for run, item in zip(runs, items, strict=True)
        )
        return runs

    def artifact_store_for(self, artifact_uri: str) -> ArtifactStore | None:
        """Runs of a server that serves artifacts (`mlflow-artifacts:` URIs) reach their
        files through this store's connection; other URIs (s3://, a shared folder) are
        opened directly."""
        if artifact_uri.startswith("mlflow-artifacts:"):
            return RestArtifactStore(artifact_uri, self.connection)
        return None

    def close(self) -> None:
        self.connection.close()
