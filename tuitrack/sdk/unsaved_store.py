"""UnsavedStore: stands in for a tracking store that cannot be opened or written.

The SDK logs into it when the real store is unusable (a read-only folder, a path under a
file): experiments and runs exist for this process only, so a training script goes on as
if logging worked, and every metric, param and tag is dropped at once (nothing piles up in
memory). It lists nothing. With no experiments but MLflow's Default (id "0", which every
store has), it is also the empty store the TUI and the listings show for a default store
that nothing has been logged to yet.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence

from tuitrack.core.datasets import DatasetInput, RunInputs, checked_dataset_inputs
from tuitrack.core.default_experiment import DEFAULT_EXPERIMENT_ID
from tuitrack.core.limits import checked_max_results
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.core.validation import validate_experiment_name
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
from tuitrack.errors import AlreadyExistsError, NotFoundError
from tuitrack.search import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)


class UnsavedStore(TrackingStore):
    """Experiments and runs of this process, in memory; everything logged is dropped."""

    def __init__(self, store_uri: str, default_artifact_root: str) -> None:
        super().__init__(store_uri, default_artifact_root)
        now = now_ms()
        default = Experiment(
            experiment_id=DEFAULT_EXPERIMENT_ID,
            name=Experiment.DEFAULT_EXPERIMENT_NAME,
            artifact_location="",
            creation_time=now,
            last_update_time=now,
        )
        self._experiments: dict[str, Experiment] = {DEFAULT_EXPERIMENT_ID: default}
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    # --- experiments -------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        validate_experiment_name(name)
        with self._lock:
            if self.get_experiment_by_name(name) is not None:
                raise AlreadyExistsError(f"an experiment named {name!r} already exists")
            experiment_id = str(len(self._experiments))
            now = now_ms()
            self._experiments[experiment_id] = Experiment(
                experiment_id=experiment_id,
                name=name,
                artifact_location=artifact_location or "",
                tags=dict(tags or {}),
                creation_time=now,
                last_update_time=now,
            )
        return experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        # MLflow code names the Default experiment 0 as often as "0".
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
        # Bad arguments are refused, as by any store, though no experiment is ever listed.
        checked_max_results(max_results)
        parse_experiment_filter(filter_string)
        parse_experiment_order_by(order_by)
        return PagedList()

    def _set_experiment(self, experiment_id: str, **changes: object) -> None:
        experiment = self.get_experiment(experiment_id)
        self._experiments[experiment_id] = experiment.model_copy(update=changes)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._set_experiment(experiment_id, name=validate_experiment_name(new_name))

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_experiment(experiment_id, lifecycle_stage=LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment(experiment_id, lifecycle_stage=LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self.get_experiment(experiment_id)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Its tags were dropped when set: only the experiment is checked."""
        self.get_experiment(experiment_id)

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
        run_id = uuid.uuid4().hex
        info = RunInfo(
            run_id=run_id,
            experiment_id=experiment.experiment_id,
            run_name=run_name,
            user_id=user_id,
            start_time=start_time or now_ms(),
            parent_run_id=parent_run_id,
            host=host,
            pid=pid,
        )
        run = Run(info=info)
        self._runs[run_id] = run
        return run

    def get_run(self, run_id: str) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return run

    def _set_run(self, run_id: str, **changes: object) -> RunInfo:
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
            changes["status"] = RunStatus(status)
        if end_time is not None:
            changes["end_time"] = end_time
        if run_name is not None:
            changes["run_name"] = run_name
        return self._set_run(run_id, **changes)

    def delete_run(self, run_id: str) -> None:
        self._set_run(run_id, lifecycle_stage=LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run(run_id, lifecycle_stage=LifecycleStage.ACTIVE)

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        self.get_run(run_id)

    # --- data: dropped -----------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,
    ) -> None:
        self.get_run(run_id)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Its tags were dropped when set: only the run is checked."""
        self.get_run(run_id)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Kept (few and small, unlike metrics): the run reads back the datasets it was
        given, one per (name, digest), as first given."""
        checked = checked_dataset_inputs(datasets)
        with self._lock:
            run = self.get_run(run_id)
            given = {(i.dataset.name, i.dataset.digest) for i in run.inputs.dataset_inputs}
            new = [i for i in checked if (i.dataset.name, i.dataset.digest) not in given]
            inputs = RunInputs([*run.inputs.dataset_inputs, *new])
            self._runs[run_id] = run.model_copy(update={"inputs": inputs})

    def log_metric_columns(
        self,
        run_id: str,
        keys: Sequence[str],
        values: Sequence[float],
        timestamps: Sequence[int],
        steps: Sequence[int],
        batch_id: str | None = None,
    ) -> None:
        self.get_run(run_id)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
        max_points: int | None = None,
    ) -> MetricHistory:
        self.get_run(run_id)
        return MetricHistory(key)

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
        parse_filter(filter_string)
        parse_order_by(order_by)
        return PagedList()
