"""A store over data another program owns (MLflow's, a server's): tuitrack writes tags and
the end of a run (how a dead run is marked FAILED or KILLED) and refuses every other write
with a ReadOnlyError naming the way out."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from tuitrack.core.datasets import DatasetInput
from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.core.validation import validate_experiment_tag, validate_int64, validate_tag
from tuitrack.entities import Metric, Param, Run, RunInfo, RunStatus, RunTag
from tuitrack.errors import InvalidValueError, ReadOnlyError

WRITABLE_STATUSES = (RunStatus.FAILED, RunStatus.KILLED)


class ReadOnlyStore(TrackingStore):
    """A TrackingStore whose subclasses read, and write only tags and run ends; the checks
    and refusals of the contract's writes are here."""

    @abstractmethod
    def refuse(self, action: str) -> ReadOnlyError:
        """The error refusing `action` (such as 'create a run'), naming the way out."""

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

    # --- the contract's writes ---------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,  # tags are upserts: a batch written twice changes nothing
    ) -> None:
        """Write `tags` (only); refuses metrics and params."""
        if metrics or params:
            raise self.refuse("log metrics or params")
        for tag in tags:
            validate_tag(tag)
        if tags:
            self.write_run_tags(run_id, tags)
        else:
            self.get_run(run_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Upsert an experiment tag."""
        validate_experiment_tag(key, value)
        self.write_experiment_tag(experiment_id, key, value)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Close a run as FAILED or KILLED (at `end_time`, or now); refuses the rest."""
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

    # Refused whatever their arguments.

    def create_experiment(self, name: str, *_args: Any, **_kwargs: Any) -> str:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"create experiment {name!r}")

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"rename experiment {experiment_id}")

    def delete_experiment(self, experiment_id: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"delete experiment {experiment_id}")

    def restore_experiment(self, experiment_id: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"restore experiment {experiment_id}")

    def create_run(self, experiment_id: str, *_args: Any, **_kwargs: Any) -> Run:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"create a run in experiment {experiment_id}")

    def delete_run(self, run_id: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"delete run {run_id}")

    def restore_run(self, run_id: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"restore run {run_id}")

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"record a heartbeat for run {run_id}")

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"log dataset inputs to run {run_id}")

    # Refused unless a subclass can delete what it writes.

    def delete_tag(self, run_id: str, key: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"delete tag {key!r} of run {run_id}")

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Refused: ReadOnlyError."""
        raise self.refuse(f"delete tag {key!r} of experiment {experiment_id}")
