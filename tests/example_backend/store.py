"""A third-party backend in miniature: a TrackingStore that keeps everything in memory,
built only from tuitrack's core (validation, the search language, paging tokens, the
history request and its downsampling), to show what the contract suite asks of a backend."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import TypeVar

from tuitrack.core.capabilities import Capability
from tuitrack.core.datasets import Dataset, DatasetInput, RunInputs, checked_dataset_inputs
from tuitrack.core.downsampling import downsample
from tuitrack.core.history_request import HistoryRequest
from tuitrack.core.limits import checked_max_results
from tuitrack.core.paging import decode_token, encode_token, fingerprint
from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.core.validation import (
    validate_experiment_name,
    validate_metric,
    validate_param,
    validate_run_name,
    validate_tag,
)
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
    ViewType,
)
from tuitrack.errors import (
    AlreadyExistsError,
    InvalidValueError,
    NotFoundError,
    ParamConflictError,
    ReadOnlyError,
)
from tuitrack.search import (
    matches,
    matches_experiment,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
)

T = TypeVar("T")


def _page(
    items: list[T], ids: list[str], max_results: int, page_token: str | None, query: str
) -> PagedList[T]:
    """A page of `items` (whose ids are `ids`) after the item a token names: pages stay
    put when items sorted before it arrive between requests."""
    size = checked_max_results(max_results)
    start = 0
    if page_token is not None:
        after = str(decode_token(page_token, query, 1)[0])
        start = ids.index(after) + 1 if after in ids else len(ids)
    end = start + size
    token = encode_token([ids[end - 1]], query) if end < len(items) else None
    return PagedList(items[start:end], token)


def _visible(stage: LifecycleStage, view_type: ViewType) -> bool:
    if view_type == ViewType.ALL:
        return True
    return (stage == LifecycleStage.ACTIVE) == (view_type == ViewType.ACTIVE_ONLY)


class MemoryTrackingStore(TrackingStore):
    """Experiments, runs and metric series of this process; nothing is saved."""

    # Another process cannot open this store from its URI: the rest it can do.
    capabilities = frozenset(Capability) - {Capability.OPEN_BY_URI}

    def __init__(self, store_uri: str, default_artifact_root: str) -> None:
        super().__init__(store_uri, default_artifact_root)
        self._experiments: dict[str, Experiment] = {}
        self._runs: dict[str, Run] = {}
        self._points: dict[tuple[str, str], list[Metric]] = {}
        self._datasets: dict[tuple[str, str, str], Dataset] = {}
        self._lock = threading.RLock()

    # --- experiments -------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        validate_experiment_name(name)
        for key, value in (tags or {}).items():
            validate_tag(RunTag(key=key, value=value))
        with self._lock:
            if self.get_experiment_by_name(name) is not None:
                raise AlreadyExistsError(f"an experiment named {name!r} already exists")
            experiment_id = str(len(self._experiments) + 1)
            now = now_ms()
            location = artifact_location or f"{self.default_artifact_root}/{experiment_id}"
            self._experiments[experiment_id] = Experiment(
                experiment_id=experiment_id,
                name=name,
                artifact_location=location,
                tags=dict(tags or {}),
                creation_time=now,
                last_update_time=now,
            )
        return experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        experiment = self._experiments.get(str(experiment_id))
        if experiment is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return experiment

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self._experiments.values() if e.name == name), None)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        node = parse_experiment_filter(filter_string)
        keys = parse_experiment_order_by(order_by)
        found = [
            e
            for e in self._experiments.values()
            if _visible(e.lifecycle_stage, view_type) and matches_experiment(node, e)
        ]
        ordered = sort_experiments(found, keys)
        ids = [e.experiment_id for e in ordered]
        query = fingerprint(view_type, filter_string, order_by)
        return _page(ordered, ids, max_results, page_token, query)

    def _change_experiment(self, experiment_id: str, **changes: object) -> None:
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            changes["last_update_time"] = now_ms()
            self._experiments[experiment.experiment_id] = experiment.model_copy(update=changes)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validate_experiment_name(new_name)
        with self._lock:
            other = self.get_experiment_by_name(new_name)
            if other is not None and other.experiment_id != str(experiment_id):
                raise AlreadyExistsError(f"an experiment named {new_name!r} already exists")
            self._change_experiment(experiment_id, name=new_name)

    def _set_stage(self, experiment_id: str, stage: LifecycleStage) -> None:
        with self._lock:
            self._change_experiment(experiment_id, lifecycle_stage=stage)
            for run in list(self._runs.values()):
                if run.info.experiment_id == str(experiment_id):
                    self._change_run(run.info.run_id, lifecycle_stage=stage)

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        validate_tag(RunTag(key=key, value=value))
        with self._lock:
            tags = {**self.get_experiment(experiment_id).tags, key: value}
            self._change_experiment(experiment_id, tags=tags)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            if experiment.lifecycle_stage == LifecycleStage.DELETED:
                raise ReadOnlyError(f"experiment {experiment_id!r} is deleted")
            if key not in experiment.tags:
                raise NotFoundError(f"experiment {experiment_id!r} has no tag {key!r}")
            tags = {k: v for k, v in experiment.tags.items() if k != key}
            self._change_experiment(experiment_id, tags=tags)

    # --- runs --------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: Mapping[str, str] | None = None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        host: str | None = None,
        pid: int | None = None,
    ) -> Run:
        experiment = self.get_experiment(experiment_id)
        if experiment.lifecycle_stage == LifecycleStage.DELETED:
            raise ReadOnlyError(f"experiment {experiment.name!r} is deleted")
        if parent_run_id is not None:
            self.get_run(parent_run_id)
        run_tags = [RunTag(key=key, value=value) for key, value in (tags or {}).items()]
        for tag in run_tags:
            validate_tag(tag)
        run_id = uuid.uuid4().hex
        info = RunInfo(
            run_id=run_id,
            artifact_uri=f"{experiment.artifact_location}/{run_id}/artifacts",
            experiment_id=experiment.experiment_id,
            run_name=validate_run_name(run_name) if run_name is not None else None,
            user_id=user_id,
            start_time=start_time if start_time is not None else now_ms(),
            parent_run_id=parent_run_id,
            host=host,
            pid=pid,
        )
        run = Run(info=info)
        run.data.tags.update(tags or {})
        with self._lock:
            self._runs[info.run_id] = run
        return run

    def get_run(self, run_id: str) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return run.model_copy(deep=True)

    def _change_run(self, run_id: str, **changes: object) -> RunInfo:
        with self._lock:
            run = self.get_run(run_id)
            info = run.info.model_copy(update=changes)
            self._runs[run_id] = run.model_copy(update={"info": info})
            return info

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        changes: dict[str, object] = {}
        if status is not None:
            try:
                changes["status"] = RunStatus(status)
            except ValueError:
                raise InvalidValueError(f"run status {status!r} is not valid") from None
        if end_time is not None:
            changes["end_time"] = end_time
        if run_name is not None:
            changes["run_name"] = validate_run_name(run_name)
        return self._change_run(run_id, **changes)

    def delete_run(self, run_id: str) -> None:
        self._change_run(run_id, lifecycle_stage=LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._change_run(run_id, lifecycle_stage=LifecycleStage.ACTIVE)

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        self._change_run(run_id, heartbeat_time=heartbeat_time or now_ms())

    # --- data --------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,
    ) -> None:
        with self._lock:
            run = self.get_run(run_id)
            if run.info.lifecycle_stage == LifecycleStage.DELETED:
                raise ReadOnlyError(f"run {run_id!r} is deleted")
            for metric in metrics:
                validate_metric(metric)
            for tag in tags:
                validate_tag(tag)
            new_params: dict[str, str] = {}
            for param in params:
                validate_param(param)
                known = new_params.get(param.key, run.data.params.get(param.key, param.value))
                if known != param.value:
                    raise ParamConflictError(run_id, param.key, known, param.value)
                new_params[param.key] = param.value
            # Everything is checked: the writes below cannot fail half way.
            run.data.params.update(new_params)
            run.data.tags.update({tag.key: tag.value for tag in tags})
            for metric in metrics:
                self._points.setdefault((run_id, metric.key), []).append(metric)
            for key in {metric.key for metric in metrics}:
                # The history's last point is the latest: an exact tie goes to the later write.
                run.data.metrics[key] = self._history(run_id, key)[-1].value
            self._runs[run_id] = run

    def delete_tag(self, run_id: str, key: str) -> None:
        with self._lock:
            run = self.get_run(run_id)
            if run.info.lifecycle_stage == LifecycleStage.DELETED:
                raise ReadOnlyError(f"run {run_id!r} is deleted")
            if key not in run.data.tags:
                raise NotFoundError(f"run {run_id!r} has no tag {key!r}")
            del run.data.tags[key]
            self._runs[run_id] = run

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        checked = checked_dataset_inputs(datasets)
        with self._lock:
            run = self.get_run(run_id)
            if run.info.lifecycle_stage == LifecycleStage.DELETED:
                raise ReadOnlyError(f"run {run_id!r} is deleted")
            experiment_id = run.info.experiment_id
            given = {(i.dataset.name, i.dataset.digest) for i in run.inputs.dataset_inputs}
            added = []
            for dataset_input in checked:
                key = (dataset_input.dataset.name, dataset_input.dataset.digest)
                # A dataset is stored once per experiment: the first one logged is it.
                dataset = self._datasets.setdefault((experiment_id, *key), dataset_input.dataset)
                if key not in given:
                    added.append(DatasetInput(dataset, dataset_input.tags))
            inputs = RunInputs([*run.inputs.dataset_inputs, *added])
            self._runs[run_id] = run.model_copy(update={"inputs": inputs})

    def _history(self, run_id: str, key: str) -> list[Metric]:
        """The series in history order: step, then timestamp, then logging order."""
        points = self._points.get((run_id, key), [])
        return sorted(points, key=lambda m: (m.step, m.timestamp))

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        request = HistoryRequest.of(start_step, end_step, max_points)
        self.get_run(run_id)
        inside = [
            m
            for m in self._history(run_id, key)
            if request.start_step <= m.step <= request.end_step
        ]
        return downsample(inside, request.max_points)

    def last_activity_times(self, run_ids: Sequence[str]) -> dict[str, int]:
        wanted = set(run_ids)
        times: dict[str, int] = {}
        for (run_id, _key), points in self._points.items():
            if run_id in wanted and points:
                latest = max(point.timestamp for point in points)
                times[run_id] = max(times.get(run_id, latest), latest)
        return times

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        node = parse_filter(filter_string)
        keys = parse_order_by(order_by)
        wanted = {str(experiment_id) for experiment_id in experiment_ids}
        found = [
            run.model_copy(deep=True)
            for run in self._runs.values()
            if run.info.experiment_id in wanted
            and _visible(run.info.lifecycle_stage, run_view_type)
            and matches(node, run)
        ]
        ordered = sort_runs(found, keys)
        ids = [run.info.run_id for run in ordered]
        query = fingerprint(sorted(wanted), filter_string, run_view_type, order_by)
        return _page(ordered, ids, max_results, page_token, query)
