"""runs/create with the run id the client drew, so that sending it again creates nothing.

MLflow's runs/create is not idempotent: a reply lost after the run was stored makes the
retry a second run. tuitrack's client draws the id itself (as every CheckedRunCreation
store does) and sends it; the server stores the run under that id, or, when a run with it
exists already in the same experiment, answers with that run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tuitrack.core.run_creation import CheckedRunCreation, NewRun, chosen_run_name
from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.core.validation import validate_int64, validate_new_run
from tuitrack.entities import Run
from tuitrack.errors import AlreadyExistsError, NotFoundError, TuitrackError
from tuitrack.server.responses import RequestError

_RUN_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class RunArguments:
    """TrackingStore.create_run's arguments, as a request gave them."""

    experiment_id: str
    user_id: str | None
    start_time: int | None
    tags: Mapping[str, str]
    run_name: str | None
    parent_run_id: str | None
    host: str | None
    pid: int | None

    def create(self, store: TrackingStore) -> Run:
        """A run whose id the store draws."""
        return store.create_run(
            self.experiment_id,
            user_id=self.user_id,
            start_time=self.start_time,
            tags=self.tags,
            run_name=self.run_name,
            parent_run_id=self.parent_run_id,
            host=self.host,
            pid=self.pid,
        )

    def new_run(self, run_id: str) -> NewRun:
        """The checked run to insert under `run_id` (CheckedRunCreation.create_run's checks)."""
        tags = validate_new_run(self.tags, self.run_name, self.user_id, self.host, self.pid)
        started = self.start_time
        return NewRun(
            self.experiment_id,
            run_id,
            now_ms() if started is None else validate_int64(started, "start_time"),
            tags,
            chosen_run_name(self.run_name, tags),
            self.user_id,
            self.parent_run_id,
            self.host,
            self.pid,
        )


def _existing(store: TrackingStore, run_id: str, experiment_id: str) -> Run | None:
    try:
        run = store.get_run(run_id)
    except NotFoundError:
        return None
    if run.info.experiment_id != experiment_id:
        raise AlreadyExistsError(
            f"run id {run_id} is taken by a run of experiment {run.info.experiment_id}; "
            "draw another id"
        )
    return run


def create_run_once(store: TrackingStore, run_id: str, arguments: RunArguments) -> Run:
    """The run stored under `run_id`: created now, or the one an earlier attempt created.

    A store that draws its ids itself (not a CheckedRunCreation) creates the run under an
    id of its own: the answer carries it.
    """
    if not _RUN_ID.fullmatch(run_id):
        raise RequestError(
            f"Invalid value {run_id!r} for parameter 'run_id': expected 32 lowercase hex digits"
        )
    found = _existing(store, run_id, arguments.experiment_id)
    if found is not None:
        return found
    if not isinstance(store, CheckedRunCreation):
        return arguments.create(store)
    try:
        return store.insert_run(arguments.new_run(run_id))
    except TuitrackError:
        # Two attempts raced: the other stored it. Otherwise the error stands.
        found = _existing(store, run_id, arguments.experiment_id)
        if found is None:
            raise
        return found
