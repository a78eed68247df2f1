"""What a browsing user may change in MLflow's data, and the refusal of everything else.

Allowed: tags (run and experiment) and closing a run as FAILED or KILLED with an end time,
which is how a dead run is marked. Everything else raises ReadOnlyError naming the way out.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence

from tuitrack.capabilities import Capability
from tuitrack.entities import Metric, Param, Run, RunInfo, RunStatus, RunTag
from tuitrack.errors import InvalidValueError, ReadOnlyError
from tuitrack.store import TrackingStore, now_ms
from tuitrack.validation import (
    MAX_TAG_VALUE_LENGTH,
    validate_int64,
    validate_key,
    validate_tag,
    validate_text,
)

WRITABLE_STATUSES = (RunStatus.FAILED, RunStatus.KILLED)
PARENT_TAG = "mlflow.parentRunId"  # how MLflow records a nested run's parent
RUN_NAME_TAG = "mlflow.runName"

# MLflow's own numbers for run statuses (its file store writes these into meta.yaml).
STATUS_CODES: dict[RunStatus, int] = {
    RunStatus.RUNNING: 1,
    RunStatus.SCHEDULED: 2,
    RunStatus.FINISHED: 3,
    RunStatus.FAILED: 4,
    RunStatus.KILLED: 5,
}
STATUS_BY_CODE = {code: status for status, code in STATUS_CODES.items()}


class MlflowReadOnlyStore(TrackingStore):
    """A TrackingStore over MLflow data: subclasses read, and write tags and statuses."""

    kind = "MLflow store"
    # MLflow's runs and experiments are made by MLflow: only tags and closing runs are ours.
    capabilities = frozenset({Capability.OPEN_BY_URI})

    def refuse(self, action: str) -> ReadOnlyError:
        return ReadOnlyError(
            f"{self.kind} {self.store_uri!r} is read-only in tuitrack: cannot {action}. "
            "Only tags and marking runs FAILED or KILLED are written to MLflow data; "
            f"run `tuitrack import {self.store_uri}` to copy it into a tuitrack store."
        )

    # --- writes a subclass performs --------------------------------------------------------

    @abstractmethod
    def write_run_tags(self, run_id: str, tags: Sequence[RunTag]) -> None:
        """Upsert tags of an active run. Raises NotFoundError, ReadOnlyError (deleted run)."""

    @abstractmethod
    def write_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Upsert an experiment tag. Raises NotFoundError."""

    @abstractmethod
    def write_run_end(self, run_id: str, status: RunStatus, end_time: int) -> RunInfo:
        """Set a terminal status and end time. Raises NotFoundError."""

    # --- the contract ------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,  # tags are upserts: a batch written twice changes nothing
    ) -> None:
        if metrics or params:
            raise self.refuse("log metrics or params")
        for tag in tags:
            validate_tag(tag)
        if tags:
            self.write_run_tags(run_id, tags)
        else:
            self.get_run(run_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        validate_key(key, "experiment tag key")
        validate_text(value, f"value of experiment tag {key!r}", MAX_TAG_VALUE_LENGTH)
        self.write_experiment_tag(experiment_id, key, value)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        if run_name is not None:
            raise self.refuse("rename a run")
        if status is None:
            if end_time is not None:
                raise self.refuse("change an end time without closing the run")
            return self.get_run(run_id).info
        try:
            new_status = RunStatus(status)
        except ValueError:
            allowed = ", ".join(s.value for s in RunStatus)
            raise InvalidValueError(f"run status {status!r} is not one of {allowed}") from None
        if new_status not in WRITABLE_STATUSES:
            raise self.refuse(f"set status {new_status.value} (only FAILED or KILLED)")
        if end_time is not None:
            validate_int64(end_time, "end_time")
        return self.write_run_end(run_id, new_status, end_time if end_time else now_ms())

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        raise self.refuse(f"create experiment {name!r}")

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        raise self.refuse(f"rename experiment {experiment_id}")

    def delete_experiment(self, experiment_id: str) -> None:
        raise self.refuse(f"delete experiment {experiment_id}")

    def restore_experiment(self, experiment_id: str) -> None:
        raise self.refuse(f"restore experiment {experiment_id}")

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
        raise self.refuse(f"create a run in experiment {experiment_id}")

    def delete_run(self, run_id: str) -> None:
        raise self.refuse(f"delete run {run_id}")

    def restore_run(self, run_id: str) -> None:
        raise self.refuse(f"restore run {run_id}")

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        raise self.refuse(f"record a heartbeat for run {run_id}")
