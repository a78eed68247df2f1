"""SqlTrackingStore: the TrackingStore contract over SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

import contextlib
import random
import reprlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from tuitrack.core.datasets import DatasetInput, checked_dataset_inputs
from tuitrack.core.default_experiment import DEFAULT_EXPERIMENT_ID
from tuitrack.core.gc_pause import gc_paused
from tuitrack.core.history_request import HistoryRequest, unique_names
from tuitrack.core.history_store import RequestedHistoryStore
from tuitrack.core.limits import checked_max_results
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.orphans import REASON_TAG
from tuitrack.core.run_creation import CheckedRunCreation, NewRun, refuse_a_deleted_experiment
from tuitrack.core.store import ExperimentActivity, now_ms
from tuitrack.core.validation import (
    INT32_MAX,
    integer_id,
    run_update_values,
    stored_id,
    validate_experiment_name,
    validate_experiment_tag,
    validate_int64,
    validate_text,
)
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    MetricSummary,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    TagSummary,
    ViewType,
)
from tuitrack.errors import (
    AlreadyExistsError,
    InvalidValueError,
    NotFoundError,
    ReadOnlyError,
    StoreUnavailableError,
)
from tuitrack_sql import batch_write, history, points, schema, whole_history
from tuitrack_sql.engine import make_engine
from tuitrack_sql.experiment_listing import search_experiment_activity
from tuitrack_sql.field_tags import refuse_two_parents
from tuitrack_sql.keys import metric_summaries, tag_summaries
from tuitrack_sql.migrate import ensure_schema
from tuitrack_sql.run_windows import windowed_rows
from tuitrack_sql.search_map import TABLES
from tuitrack_sqlkit.db_errors import is_write_conflict
from tuitrack_sqlkit.run_inputs import write_run_inputs
from tuitrack_sqlkit.run_loading import chunks, load_experiments, load_runs, run_info
from tuitrack_sqlkit.run_search import RunSearch
from tuitrack_sqlkit.run_stages import SqlRunStages
from tuitrack_sqlkit.search_store import experiment_keys
from tuitrack_sqlkit.tag_deletion import SqlTagDeletion
from tuitrack_sqlkit.transactions import read_only_reason, read_transaction, write_transaction
from tuitrack_sqlkit.upsert import upsert

# Runs of one write after deadlocks with other writers before the error is raised.
_CONFLICT_ATTEMPTS = 8
_T = TypeVar("_T")


def _wait_or_raise(error: StoreUnavailableError, conflicts: int) -> None:
    """After the `conflicts`-th failed try: wait a little before the next one if `error`
    is a deadlock with another writer (the database rolled the write back), else raise it."""
    if not is_write_conflict(error) or conflicts >= _CONFLICT_ATTEMPTS:
        raise error
    time.sleep(random.uniform(0.005, 0.02) * conflicts)


# Runs' artifact URIs are the experiment's location, "/<run id>/artifacts", 1000 at most.
_MAX_ARTIFACT_LOCATION_LENGTH = 1000 - len("/0123456789abcdef0123456789abcdef/artifacts")
_RUN_ID_LENGTH = 32
_DEFAULT_EXPERIMENT_KEY = int(DEFAULT_EXPERIMENT_ID)  # made by migration 0007


def _experiment_key(experiment_id: str) -> int:
    key = integer_id(experiment_id)
    if key is None:
        raise NotFoundError(
            f"no experiment with id {reprlib.repr(experiment_id)}: experiment ids of this "
            f"store are whole numbers from 0 to {INT32_MAX} written in digits"
        )
    return key


def _run_key(run_id: str) -> str:
    """`run_id` if a run could have it, else NotFoundError (a query would fail on it)."""
    key = stored_id(run_id, _RUN_ID_LENGTH)
    if key is None:
        raise NotFoundError(
            f"no run with id {reprlib.repr(run_id)}: run ids are strings of "
            f"{_RUN_ID_LENGTH} hexadecimal digits"
        )
    return key


class SqlTrackingStore(SqlRunStages, SqlTagDeletion, RequestedHistoryStore, CheckedRunCreation):
    """Runs and experiments in a SQL database; the schema is created or upgraded on open.

    A SQLite file that cannot be written here opens read-only (`read_only` says why):
    its schema must then be current, and writes raise ReadOnlyError.
    """

    search_tables = TABLES

    def __init__(self, store_uri: str, default_artifact_root: str, *, create: bool = True) -> None:
        super().__init__(store_uri, default_artifact_root.rstrip("/"))
        self.engine = make_engine(store_uri, create=create)
        try:
            ensure_schema(self.engine, create=create)
        except BaseException:
            self.engine.dispose()
            raise
        self.read_only = read_only_reason(self.engine)
        if self.read_only is None:
            self._locate_default_experiment()

    @classmethod
    def open_for_reading(cls, store_uri: str, default_artifact_root: str) -> SqlTrackingStore:
        """Open an existing store: no file, folder or tables are created."""
        return cls(store_uri, default_artifact_root, create=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- experiments -------------------------------------------------------------------

    def _locate_default_experiment(self) -> None:
        """Migration 0007 creates experiment 0 (Default) without an artifact location,
        which the store's root gives it here: "<default artifact root>/0", as
        create_experiment makes one. Read first, so that an open writes only once."""
        experiments = schema.experiments
        is_default = experiments.c.experiment_id == _DEFAULT_EXPERIMENT_KEY
        with read_transaction(self.engine) as connection:
            query = select(experiments.c.artifact_location).where(is_default)
            row = connection.execute(query).first()
        if row is None or row.artifact_location:
            return
        location = f"{self.default_artifact_root}/{_DEFAULT_EXPERIMENT_KEY}"
        validate_text(location, "artifact location", _MAX_ARTIFACT_LOCATION_LENGTH)
        self._write_retrying(
            lambda connection: connection.execute(
                update(experiments)
                .where(is_default, experiments.c.artifact_location == "")
                .values(artifact_location=location)
            )
        )

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        validate_experiment_name(name)
        if artifact_location:
            validate_text(artifact_location, "artifact location", _MAX_ARTIFACT_LOCATION_LENGTH)
        tag_items = dict(tags or {})
        for key, value in tag_items.items():
            validate_experiment_tag(key, value)
        now = now_ms()
        try:
            with write_transaction(self.engine) as connection:
                if self._experiment_row(connection, name=name) is not None:
                    raise AlreadyExistsError(f"an experiment named {name!r} already exists")
                result = connection.execute(
                    schema.experiments.insert().values(
                        name=name,
                        artifact_location=artifact_location or "",
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=now,
                        last_update_time=now,
                    )
                )
                experiment_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                if not artifact_location:
                    location = f"{self.default_artifact_root}/{experiment_id}"
                    validate_text(location, "artifact location", _MAX_ARTIFACT_LOCATION_LENGTH)
                    connection.execute(
                        update(schema.experiments)
                        .where(schema.experiments.c.experiment_id == experiment_id)
                        .values(artifact_location=location)
                    )
                if tag_items:
                    connection.execute(
                        schema.experiment_tags.insert(),
                        [
                            {"experiment_id": experiment_id, "key": k, "value": v}
                            for k, v in tag_items.items()
                        ],
                    )
        except IntegrityError:
            raise AlreadyExistsError(f"an experiment named {name!r} already exists") from None
        return str(experiment_id)

    def _experiment_row(
        self, connection: Connection, experiment_id: int | None = None, name: str | None = None
    ) -> Row[Any] | None:
        query = select(schema.experiments)
        if experiment_id is not None:
            query = query.where(schema.experiments.c.experiment_id == experiment_id)
        else:
            query = query.where(schema.experiments.c.name == name)
        return connection.execute(query).first()

    def _require_experiment(self, connection: Connection, experiment_id: str) -> Row[Any]:
        row = self._experiment_row(connection, _experiment_key(experiment_id))
        if row is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return row

    def get_experiment(self, experiment_id: str) -> Experiment:
        with read_transaction(self.engine) as connection:
            row = self._require_experiment(connection, experiment_id)
            return load_experiments(connection, TABLES, [row])[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with read_transaction(self.engine) as connection:
            row = self._experiment_row(connection, name=name)
            return None if row is None else load_experiments(connection, TABLES, [row])[0]

    def search_experiment_activity(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        page_token: str | None = None,
    ) -> PagedList[ExperimentActivity]:
        limit = checked_max_results(max_results)
        with read_transaction(self.engine) as connection:
            return search_experiment_activity(
                connection, ViewType(view_type), limit, filter_string, page_token
            )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validate_experiment_name(new_name)
        try:
            with write_transaction(self.engine) as connection:
                row = self._require_experiment(connection, experiment_id)
                if row.name == new_name:
                    return
                if self._experiment_row(connection, name=new_name) is not None:
                    raise AlreadyExistsError(f"an experiment named {new_name!r} already exists")
                self._update_experiment(connection, row.experiment_id, name=new_name)
        except IntegrityError:
            raise AlreadyExistsError(f"an experiment named {new_name!r} already exists") from None

    def _update_experiment(self, connection: Connection, key: int, **values: Any) -> None:
        connection.execute(
            update(schema.experiments)
            .where(schema.experiments.c.experiment_id == key)
            .values(last_update_time=now_ms(), **values)
        )

    def _set_experiment_stage(self, experiment_id: str, stage: LifecycleStage) -> None:
        now = now_ms()
        with write_transaction(self.engine) as connection:
            row = self._require_experiment(connection, experiment_id)
            self._update_experiment(connection, row.experiment_id, lifecycle_stage=stage.value)
            connection.execute(
                update(schema.runs)
                .where(schema.runs.c.experiment_id == row.experiment_id)
                .values(
                    lifecycle_stage=stage.value,
                    deleted_time=now if stage is LifecycleStage.DELETED else None,
                )
            )

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        validate_experiment_tag(key, value)

        def write(connection: Connection) -> None:
            row = self._require_experiment(connection, experiment_id)
            upsert(
                connection,
                schema.experiment_tags,
                [{"experiment_id": row.experiment_id, "key": key, "value": value}],
                ("experiment_id", "key"),
            )

        self._write_retrying(write)

    # --- runs --------------------------------------------------------------------------

    def insert_run(self, new: NewRun) -> Run:
        experiment_id, run_id, parent_run_id = new.experiment_id, new.run_id, new.parent_run_id

        refuse_two_parents(parent_run_id, new.tags)

        def insert(connection: Connection) -> Run:
            experiment = self._require_experiment(connection, experiment_id)
            refuse_a_deleted_experiment(experiment.lifecycle_stage, experiment.name, experiment_id)
            if parent_run_id is not None:
                self._require_run(connection, parent_run_id)
            connection.execute(
                schema.runs.insert().values(
                    run_uuid=run_id,
                    experiment_id=experiment.experiment_id,
                    name=new.run_name,
                    user_id=new.user_id,
                    status=RunStatus.RUNNING.value,
                    start_time=new.start_time,
                    end_time=None,
                    artifact_uri=f"{experiment.artifact_location.rstrip('/')}/{run_id}/artifacts",
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                    parent_run_id=parent_run_id,
                    host=new.host,
                    pid=new.pid,
                    heartbeat_time=None,
                )
            )
            batch_write.upsert_tags(connection, run_id, new.tags)
            row = self._require_run(connection, run_id)
            return load_runs(connection, TABLES, [row])[0]

        run = self._write_retrying(insert)
        self._touch_experiment(run.info.experiment_id)
        return run

    def _touch_experiment(self, experiment_id: str) -> None:
        """Move the experiment's last_update_time to now after a run was created in it.

        This is a transaction of its own: on MySQL/MariaDB the run's insert holds a shared
        lock on the experiment row (the foreign key), so two run creations that both went on
        to update that row deadlocked. Alone, it waits at most for one short write.
        The run exists either way, so a store that fails only here does not fail create_run.
        """
        now = now_ms()
        experiments = schema.experiments
        stale = or_(experiments.c.last_update_time.is_(None), experiments.c.last_update_time < now)
        with contextlib.suppress(StoreUnavailableError):
            self._write_retrying(
                lambda connection: connection.execute(
                    update(experiments)
                    .where(experiments.c.experiment_id == int(experiment_id), stale)
                    .values(last_update_time=now)
                )
            )

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        checked = checked_dataset_inputs(datasets)

        def write(connection: Connection) -> None:
            row = self._require_run(connection, run_id)
            if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise ReadOnlyError(f"run {run_id} is deleted; restore it before logging to it")
            write_run_inputs(connection, schema.metadata, row.experiment_id, run_id, checked)

        self._write_retrying(write)

    def _write_retrying(self, write: Callable[[Connection], _T]) -> _T:
        """`write` in a write transaction of its own, run again after a deadlock."""
        conflicts = 0
        while True:
            try:
                with write_transaction(self.engine) as connection:
                    return write(connection)
            except StoreUnavailableError as error:
                conflicts += 1
                _wait_or_raise(error, conflicts)

    def _run_key(self, run_id: str) -> str:
        return _run_key(run_id)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values = run_update_values(status, end_time, run_name)

        def write(connection: Connection) -> RunInfo:
            self._require_run(connection, run_id)
            if values:
                connection.execute(
                    update(schema.runs).where(schema.runs.c.run_uuid == run_id).values(**values)
                )
            if status is not None:
                # A status written here (its process ending or resuming the run) replaces
                # the FAILED that orphan cleanup set: the reason no longer explains it.
                tags = schema.tags
                connection.execute(
                    tags.delete().where(tags.c.run_uuid == run_id, tags.c.key == REASON_TAG)
                )
            return run_info(TABLES, self._require_run(connection, run_id))

        return self._write_retrying(write)

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        key = _run_key(run_id)
        if heartbeat_time is not None:
            validate_int64(heartbeat_time, "heartbeat_time")

        def write(connection: Connection) -> None:
            result = connection.execute(
                update(schema.runs)
                .where(schema.runs.c.run_uuid == key)
                .values(heartbeat_time=heartbeat_time if heartbeat_time is not None else now_ms())
            )
            if result.rowcount == 0:
                raise NotFoundError(f"no run with id {run_id!r}")

        self._write_retrying(write)

    # --- data --------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,
    ) -> None:
        if not (metrics or params or tags):
            self.get_run(run_id)
            return
        with gc_paused():
            columns = points.metric_columns(metrics)
        self._write_with_retry(batch_write.RunBatch(run_id, columns, params, tags, batch_id))

    def log_metric_columns(
        self,
        run_id: str,
        keys: Sequence[str],
        values: Sequence[float],
        timestamps: Sequence[int],
        steps: Sequence[int],
        batch_id: str | None = None,
    ) -> None:
        with gc_paused():
            columns = points.checked_columns(keys, values, timestamps, steps)
        if columns is None:
            self.get_run(run_id)
            return
        self._write_with_retry(batch_write.RunBatch(run_id, columns, (), (), batch_id))

    def _write_with_retry(self, batch: batch_write.RunBatch) -> None:
        integrity_errors = conflicts = 0
        while True:
            try:
                self._write_batch(batch)
                return
            except IntegrityError as error:
                if batch.batch_id is not None and self._batch_stored(batch.batch_id):
                    return  # an earlier attempt stored it and its COMMIT's reply was lost
                # A concurrent writer inserted the same param first: re-check against it.
                integrity_errors += 1
                if integrity_errors == 2:
                    raise InvalidValueError(
                        f"batch for run {batch.run_id} conflicts with a concurrent write: "
                        f"{error.orig}"
                    ) from None
            except StoreUnavailableError as error:
                # A deadlock with another writer rolled the whole batch back: run it again.
                conflicts += 1
                _wait_or_raise(error, conflicts)

    def _write_batch(self, batch: batch_write.RunBatch) -> None:
        run_id = batch.run_id
        with write_transaction(self.engine) as connection:
            row = connection.execute(
                select(schema.runs.c.lifecycle_stage).where(
                    schema.runs.c.run_uuid == _run_key(run_id)
                )
            ).first()
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise ReadOnlyError(f"run {run_id} is deleted; restore it before logging to it")
            batch_write.write_batch(connection, batch)

    def _batch_stored(self, batch_id: str) -> bool:
        with read_transaction(self.engine) as connection:
            return batch_write.batch_stored(connection, batch_id)

    def read_history(self, run_id: str, key: str, request: HistoryRequest) -> MetricHistory:
        with read_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            return history.read_history(connection, run_id, key, request)

    def iter_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> Iterator[Metric]:
        request = HistoryRequest.of(start_step, end_step, None)
        with read_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            windows = whole_history.history_windows(
                connection, run_id, key, request.start_step, request.end_step
            )
        return whole_history.stream_windows(
            lambda: read_transaction(self.engine), run_id, key, windows
        )

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
        for run_id in ids:
            _run_key(run_id)
        with read_transaction(self.engine) as connection:
            history.require_runs(connection, ids)
            return {
                (run_id, key): history.read_history(connection, run_id, key, request)
                for run_id in ids
                for key in names
            }

    def get_metric_summaries(self, run_id: str) -> list[MetricSummary]:
        with read_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            return metric_summaries(connection, run_id)

    def get_tag_summaries(
        self,
        experiment_ids: Sequence[str],
        max_values: int = 20,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> list[TagSummary]:
        with read_transaction(self.engine) as connection:
            return tag_summaries(
                connection, experiment_keys(experiment_ids), ViewType(run_view_type), max_values
            )

    def last_activity_times(self, run_ids: Sequence[str]) -> dict[str, int]:
        table = schema.latest_metrics
        times: dict[str, int] = {}
        known = [run_id for run_id in run_ids if stored_id(run_id, _RUN_ID_LENGTH) is not None]
        with read_transaction(self.engine) as connection:
            for chunk in chunks(known):
                query = (
                    select(table.c.run_uuid, func.max(table.c.timestamp))
                    .where(table.c.run_uuid.in_(chunk))
                    .group_by(table.c.run_uuid)
                )
                times.update((row[0], int(row[1])) for row in connection.execute(query))
        return times

    def close_orphan(
        self, run_id: str, end_time: int, reason: str, seen_heartbeat: int | None
    ) -> bool:
        runs = schema.runs
        unchanged_heartbeat = (
            runs.c.heartbeat_time.is_(None)
            if seen_heartbeat is None
            else runs.c.heartbeat_time == seen_heartbeat
        )
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(runs)
                .where(
                    runs.c.run_uuid == run_id,
                    runs.c.status == RunStatus.RUNNING.value,
                    unchanged_heartbeat,
                )
                .values(status=RunStatus.FAILED.value, end_time=end_time)
            )
            if result.rowcount != 1:
                return False
            upsert(
                connection,
                schema.tags,
                [{"run_uuid": run_id, "key": REASON_TAG, "value": reason[:8000]}],
                ("run_uuid", "key"),
            )
            return True

    def page_rows(
        self, connection: Connection, search: RunSearch, limit: int
    ) -> Sequence[Row[Any]]:
        return windowed_rows(connection, search, limit)
