"""MlflowSqlStore: tuitrack's TrackingStore over the database of an MLflow tracking server
(SQLite, PostgreSQL, MySQL), read-only but for tags and closing dead runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, inspect, select, update

from tuitrack.core.downsampling import downsample_history
from tuitrack.core.history_request import HistoryRequest
from tuitrack.core.history_store import RequestedHistoryStore
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.validation import integer_id
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    RunInfo,
    RunStatus,
    RunTag,
)
from tuitrack.errors import NotFoundError, ReadOnlyError
from tuitrack_mlflow import tables
from tuitrack_mlflow.connect import open_engine
from tuitrack_mlflow.readonly import MlflowReadOnlyStore
from tuitrack_mlflow.schema_versions import check_revision
from tuitrack_mlflow.search_map import TABLES
from tuitrack_sqlkit.run_loading import load_experiments
from tuitrack_sqlkit.search_store import SqlSearchStore
from tuitrack_sqlkit.transactions import read_transaction, write_transaction
from tuitrack_sqlkit.upsert import upsert
from tuitrack_sqlkit.urls import describe


class MlflowSqlStore(SqlSearchStore, RequestedHistoryStore, MlflowReadOnlyStore):
    """Opens `mlflow+sqlite:///mlflow.db`, `mlflow+postgresql://...`, `mlflow+mysql://...`.

    Raises StoreUnavailableError when the database is missing, unreachable, or has a schema
    revision outside `schema_versions.SUPPORTED_REVISIONS`.
    """

    kind = "MLflow database"
    search_tables = TABLES

    def __init__(self, store_uri: str, default_artifact_root: str) -> None:
        super().__init__(store_uri, default_artifact_root)
        self.engine = open_engine(store_uri)
        with read_transaction(self.engine) as connection:
            revision = None
            if inspect(connection).has_table("alembic_version"):
                revision = connection.execute(select(tables.alembic_version.c.version_num)).scalar()
        check_revision(revision, describe(self.engine))

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
            upsert(
                connection,
                tables.experiment_tags,
                [{"experiment_id": experiment_key, "key": key, "value": value}],
                ("key", "experiment_id"),
            )

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
        with write_transaction(self.engine) as connection:
            self._active_run(connection, run_id)
            rows = {
                tag.key: {"run_uuid": run_id, "key": tag.key, "value": tag.value} for tag in tags
            }
            upsert(connection, tables.tags, list(rows.values()), ("key", "run_uuid"))

    def write_run_end(self, run_id: str, status: RunStatus, end_time: int) -> RunInfo:
        with write_transaction(self.engine) as connection:
            self._active_run(connection, run_id)
            connection.execute(
                update(tables.runs)
                .where(tables.runs.c.run_uuid == run_id)
                .values(status=status.value, end_time=end_time)
            )
        return self.get_run(run_id).info
