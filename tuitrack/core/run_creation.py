"""create_run written once for every store that inserts a checked NewRun: the contract's
arguments are validated (InvalidValueError names the bad one) before the store is asked."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from tuitrack.core.run_names import generate_run_name
from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.core.validation import validate_int64, validate_new_run
from tuitrack.entities import LifecycleStage, Run, RunTag
from tuitrack.errors import InvalidValueError, ReadOnlyError

RUN_NAME_TAG = "mlflow.runName"  # MLflow keeps a run's name in this tag too


@dataclass(frozen=True)
class NewRun:
    """A run to insert: its arguments checked, its id drawn and its start time known."""

    experiment_id: str
    run_id: str
    start_time: int
    tags: list[RunTag]
    run_name: str
    user_id: str | None
    parent_run_id: str | None
    host: str | None
    pid: int | None


def chosen_run_name(run_name: str | None, tags: list[RunTag]) -> str:
    """The name a new run gets: `run_name`, else its `mlflow.runName` tag, else a generated
    one (as MLflow names runs); InvalidValueError when the argument and the tag differ."""
    named = next((tag.value for tag in tags if tag.key == RUN_NAME_TAG), None)
    if run_name and named and run_name != named:
        raise InvalidValueError(
            f"run_name {run_name!r} and the {RUN_NAME_TAG} tag {named!r} differ"
        )
    return run_name or named or generate_run_name()


def refuse_a_deleted_experiment(stage: str, name: str, experiment_id: str) -> None:
    """ReadOnlyError unless the experiment a run is started in is active."""
    if stage != LifecycleStage.ACTIVE.value:
        raise ReadOnlyError(
            f"experiment {name!r} ({experiment_id}) is deleted; restore it before starting "
            "runs in it"
        )


class CheckedRunCreation(TrackingStore):
    """A TrackingStore whose create_run is insert_run."""

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
        """A new RUNNING run, as TrackingStore.create_run describes (and raises)."""
        given = validate_new_run(tags, run_name, user_id, host, pid)
        run_name = chosen_run_name(run_name, given)
        started = validate_int64(start_time, "start_time") if start_time is not None else now_ms()
        new = NewRun(
            experiment_id,
            uuid.uuid4().hex,
            started,
            given,
            run_name,
            user_id,
            parent_run_id,
            host,
            pid,
        )
        return self.insert_run(new)

    @abstractmethod
    def insert_run(self, new: NewRun) -> Run:
        """Store `new` and return it as read back; NotFoundError for an unknown experiment
        or parent run, ReadOnlyError for a deleted experiment."""
