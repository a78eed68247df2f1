"""MlflowSqlStore: tuitrack's TrackingStore over the database of an MLflow tracking server
(SQLite, PostgreSQL, MySQL), read and written with MLflow's own semantics (those of MLflow's
SqlAlchemyStore), so that MLflow reads back what tuitrack logs there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Row, func, inspect, select, update
from sqlalchemy.exc import IntegrityError

from tuitrack.core.capabilities import EVERY_CAPABILITY, Capability
from tuitrack.core.datasets import DatasetInput, checked_dataset_inputs
from tuitrack.core.downsampling import downsample_history
from tuitrack.core.history_request import HistoryRequest
from tuitrack.core.history_store import RequestedHistoryStore
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.run_creation import CheckedRunCreation, NewRun, refuse_a_deleted_experiment
from tuitrack.core.store import now_ms
from tuitrack.core.validation import (
    integer_id,
    run_update_values,
    validate_experiment_name,
    validate_experiment_tag,
    validate_int64,
    validate_metric,
    validate_param,
    validate_tag,
)
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from tuitrack.errors import AlreadyExistsError, NotFoundError, ReadOnlyError
from tuitrack_mlflow import sql_writes, tables
from tuitrack_mlflow.connect import open_engine
from tuitrack_mlflow.locations import absolute_location, child_location
from tuitrack_mlflow.readonly import PARENT_TAG, RUN_NAME_TAG, USER_TAG, MlflowReadOnlyStore
from tuitrack_mlflow.schema_versions import check_revision
from tuitrack_mlflow.search_map import TABLES
from tuitrack_sqlkit.run_inputs import write_run_inputs
from tuitrack_sqlkit.run_loading import load_experiments
from tuitrack_sqlkit.run_stages import SqlRunStages
from tuitrack_sqlkit.tag_deletion import SqlTagDeletion
from tuitrack_sqlkit.transactions import read_transaction, write_transaction
from tuitrack_sqlkit.upsert import upsert
from tuitrack_sqlkit.urls import describe


class MlflowSqlStore(
    SqlRunStages, SqlTagDeletion, RequestedHistoryStore, CheckedRunCreation, MlflowReadOnlyStore
):
    """Opens `mlflow+sqlite:///mlflow.db`, `mlflow+postgresql://...`, `mlflow+mysql://...`.

    Raises StoreUnavailableError when the database is missing, unreachable, or has a schema
    revision outside `schema_versions.SUPPORTED_REVISIONS`. Where MLflow and tuitrack's
    contract differ, MLflow's rules win: there is no heartbeat, host or pid (a run's
    liveness is judged by its last metric), and a deleted run takes no writes.
    """

    kind = "MLflow database"
    search_tables = TABLES
    # MLflow's tables have no heartbeat column; histories are thinned after reading.
    capabilities = EVERY_CAPABILITY - {
        Capability.KEEP_HEARTBEATS,
        Capability.DOWNSAMPLE_WHERE_STORED,
    }

    def __init__(self, store_uri: str, default_artifact_root: str) -> None:
        super().__init__(store_uri, default_artifact_root)
        self.engine = open_engine(store_uri)
        with read_transaction(self.engine) as connection:
            revision = None
            if inspect(connection).has_table("alembic_version"):
                revision = connection.execute(select(tables.alembic_version.c.version_num)).scalar()
            self._has_inputs = inspect(connection).has_table(tables.inputs.name)
        check_revision(revision, describe(self.engine))
        if not self._has_inputs:  # MLflow before 2.4: its runs have no inputs to read
            self.search_tables = replace(TABLES, run_inputs=False)  # type: ignore[misc]

    def close(self) -> None:
        self.engine.dispose()

    # --- experiments -------------------------------------------------------------------

    def _experiment_rows(self, connection: Connection, **where: Any) -> list[Row[Any]]:
        table = tables.experiments
        query = select(table).where(*(table.c[k] == v for k, v in where.items()))
        return list(connection.execute(query.order_by(table.c.experiment_id)).all())

    def _experiment_key(self, connection: Connection, experiment_id: str) -> int:
        key = integer_id(experiment_id)
        if key is None or not self._experiment_rows(connection, experiment_id=key):
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return key

    def get_experiment(self, experiment_id: str) -> Experiment:
        with read_transaction(self.engine) as connection:
            key = self._experiment_key(connection, experiment_id)
            rows = self._experiment_rows(connection, experiment_id=key)
            return load_experiments(connection, TABLES, rows)[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with read_transaction(self.engine) as connection:
            rows = self._experiment_rows(connection, name=name)
            return load_experiments(connection, TABLES, rows[:1])[0] if rows else None

    def write_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        with write_transaction(self.engine) as connection:
            experiment_key = self._experiment_key(connection, experiment_id)
            self._write_experiment_tags(connection, experiment_key, {key: value})

    @staticmethod
    def _write_experiment_tags(
        connection: Connection, experiment_key: int, tags: Mapping[str, str]
    ) -> None:
        rows = [{"experiment_id": experiment_key, "key": k, "value": v} for k, v in tags.items()]
        upsert(connection, tables.experiment_tags, rows, ("key", "experiment_id"))

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """An experiment as MLflow creates one: its artifact location absolute, by default
        `<default artifact root>/<experiment id>`."""
        validate_experiment_name(name)
        for tag_key, tag_value in (tags or {}).items():
            validate_experiment_tag(tag_key, tag_value)
        location = absolute_location(artifact_location) if artifact_location else None
        created = now_ms()
        table = tables.experiments
        try:
            with write_transaction(self.engine) as connection:
                if self._experiment_rows(connection, name=name):
                    raise AlreadyExistsError(f"experiment {name!r} already exists")
                inserted = connection.execute(
                    table.insert().values(
                        name=name,
                        artifact_location=location,
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=created,
                        last_update_time=created,
                    )
                )
                primary = inserted.inserted_primary_key
                assert primary is not None  # an INSERT of one row
                key = int(primary[0])
                if location is None:
                    root = absolute_location(self.default_artifact_root)
                    connection.execute(
                        update(table)
                        .where(table.c.experiment_id == key)
                        .values(artifact_location=child_location(root, str(key)))
                    )
                self._write_experiment_tags(connection, key, dict(tags or {}))
        except IntegrityError:  # created meanwhile by another writer
            raise AlreadyExistsError(f"experiment {name!r} already exists") from None
        return str(key)

    def _change_experiment(self, experiment_id: str, **values: Any) -> int:
        """Update the experiment's row (and its last_update_time); return its key."""
        table = tables.experiments
        with write_transaction(self.engine) as connection:
            key = self._experiment_key(connection, experiment_id)
            connection.execute(
                update(table)
                .where(table.c.experiment_id == key)
                .values(last_update_time=now_ms(), **values)
            )
            stage = values.get("lifecycle_stage")
            if stage is not None:  # MLflow deletes and restores the runs with it
                runs = tables.runs
                deleted = now_ms() if stage == LifecycleStage.DELETED.value else None
                connection.execute(
                    update(runs)
                    .where(runs.c.experiment_id == key)
                    .values(lifecycle_stage=stage, deleted_time=deleted)
                )
        return key

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validate_experiment_name(new_name)
        found = self.get_experiment_by_name(new_name)
        if found is not None and found.experiment_id != str(experiment_id):
            raise AlreadyExistsError(f"experiment {new_name!r} already exists")
        try:
            self._change_experiment(experiment_id, name=new_name)
        except IntegrityError:
            raise AlreadyExistsError(f"experiment {new_name!r} already exists") from None

    def delete_experiment(self, experiment_id: str) -> None:
        self._change_experiment(experiment_id, lifecycle_stage=LifecycleStage.DELETED.value)

    def restore_experiment(self, experiment_id: str) -> None:
        self._change_experiment(experiment_id, lifecycle_stage=LifecycleStage.ACTIVE.value)

    # --- runs --------------------------------------------------------------------------

    def read_history(self, run_id: str, key: str, request: HistoryRequest) -> MetricHistory:
        table = tables.metrics
        query = select(table.c.step, table.c.timestamp, table.c.value, table.c.is_nan).where(
            table.c.run_uuid == run_id, table.c.key == key
        )
        query = query.where(table.c.step.between(request.start_step, request.end_step))
        query = query.order_by(table.c.step, table.c.timestamp, table.c.value)
        with read_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            rows = connection.execute(query).all()
        history = MetricHistory(
            key,
            [row[0] for row in rows],
            [row[1] for row in rows],
            [tables.metric_value(value, is_nan) for _, _, value, is_nan in rows],
        )
        return downsample_history(history, request.max_points)

    def last_activity_times(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Latest metric timestamp per run: MLflow has no heartbeat, so orphaned runs are
        judged by their last activity."""
        table = tables.latest_metrics
        found: dict[str, int] = {}
        with read_transaction(self.engine) as connection:
            for start in range(0, len(run_ids), 500):
                chunk = list(run_ids[start : start + 500])
                query = (
                    select(table.c.run_uuid, func.max(table.c.timestamp))
                    .where(table.c.run_uuid.in_(chunk))
                    .group_by(table.c.run_uuid)
                )
                found.update({run_id: int(ts) for run_id, ts in connection.execute(query) if ts})
        return found

    # --- the writes MLflow data accepts ---------------------------------------------------

    def _active_run(self, connection: Connection, run_id: str) -> Row[Any]:
        row = self._require_run(connection, run_id)
        if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise ReadOnlyError(f"run {run_id} is deleted; restore it in MLflow to change it")
        return row

    def write_run_tags(self, run_id: str, tags: Sequence[RunTag]) -> None:
        self.log_batch(run_id, tags=tags)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """MLflow's log_inputs, into its datasets, inputs and input_tags tables."""
        checked = checked_dataset_inputs(datasets)
        if not self._has_inputs:
            raise self.refuse(
                "log dataset inputs: this database predates MLflow's dataset tables "
                "(MLflow 2.4); upgrade it with `mlflow db upgrade`"
            )
        with write_transaction(self.engine) as connection:
            row = self._active_run(connection, run_id)
            write_run_inputs(connection, tables.metadata, row.experiment_id, run_id, checked)

    def write_run_end(self, run_id: str, status: RunStatus, end_time: int) -> RunInfo:
        return self.update_run_info(run_id, status, end_time)

    def insert_run(self, new: NewRun) -> Run:
        """A RUNNING run as MLflow creates one: its name also the `mlflow.runName` tag, its
        user the `mlflow.user` tag's when none is given, its parent the `mlflow.parentRunId`
        tag. `host` and `pid` are checked but not stored: MLflow's schema has no place for
        them."""
        experiment_id, run_id, run_name = new.experiment_id, new.run_id, new.run_name
        parent_run_id, user_id = new.parent_run_id, new.user_id
        run_tags = {tag.key: tag.value for tag in new.tags}
        run_tags[RUN_NAME_TAG] = name = run_name
        if parent_run_id is not None:
            run_tags[PARENT_TAG] = parent_run_id
        with write_transaction(self.engine) as connection:
            key = self._experiment_key(connection, experiment_id)
            experiment = self._experiment_rows(connection, experiment_id=key)[0]
            refuse_a_deleted_experiment(experiment.lifecycle_stage, experiment.name, experiment_id)
            if parent_run_id is not None:
                self._require_run(connection, parent_run_id)
            connection.execute(
                tables.runs.insert().values(
                    run_uuid=run_id,
                    name=name,
                    source_type="UNKNOWN",
                    source_name="",
                    entry_point_name="",
                    source_version="",
                    user_id=user_id or run_tags.get(USER_TAG) or "unknown",
                    status=RunStatus.RUNNING.value,
                    start_time=new.start_time,
                    end_time=None,
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                    artifact_uri=child_location(experiment.artifact_location, run_id, "artifacts"),
                    experiment_id=key,
                    deleted_time=None,
                )
            )
            sql_writes.write_tags(connection, run_id, run_tags.items())
        return self.get_run(run_id)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,  # MLflow records no batch: a retried one is deduplicated
    ) -> None:
        for metric in metrics:
            validate_metric(metric)
        for param in params:
            validate_param(param)
        for tag in tags:
            validate_tag(tag)
        rows = sql_writes.metric_rows(
            run_id,
            [m.key for m in metrics],
            [m.value for m in metrics],
            [m.timestamp for m in metrics],
            [m.step for m in metrics],
        )
        self._write_batch(run_id, rows, params, tags)

    def _write_batch(
        self,
        run_id: str,
        metric_rows: Sequence[dict[str, Any]],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        with write_transaction(self.engine) as connection:
            self._active_run(connection, run_id)
            sql_writes.write_params(connection, run_id, ((p.key, p.value) for p in params))
            sql_writes.write_metrics(connection, run_id, metric_rows)
            if tags:
                sql_writes.write_tags(connection, run_id, ((t.key, t.value) for t in tags))

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """MLflow's update_run_info: a deleted run is refused (ReadOnlyError); a new name
        is the runs row's and the mlflow.runName tag's."""
        values = run_update_values(status, end_time, run_name)
        with write_transaction(self.engine) as connection:
            self._active_run(connection, run_id)
            if values:
                runs = tables.runs
                connection.execute(update(runs).where(runs.c.run_uuid == run_id).values(**values))
            if run_name:
                sql_writes.write_tags(connection, run_id, [(RUN_NAME_TAG, run_name)])
        return self.get_run(run_id).info

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        """Checks the run exists and stores nothing: MLflow's schema has no heartbeat."""
        if heartbeat_time is not None:
            validate_int64(heartbeat_time, "heartbeat_time")
        self.get_run(run_id)
