"""delete_run and restore_run written once for both SQL schemas: each runs table keeps the
lifecycle stage and, for a deleted run, when it was deleted."""

from __future__ import annotations

from sqlalchemy import update

from tuitrack.core.store import now_ms
from tuitrack.entities import LifecycleStage
from tuitrack_sqlkit.search_store import SqlSearchStore
from tuitrack_sqlkit.transactions import write_transaction


class SqlRunStages(SqlSearchStore):
    """A SQL store whose runs are deleted and restored by their lifecycle stage."""

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    def _set_run_stage(self, run_id: str, stage: LifecycleStage) -> None:
        runs = self.search_tables.runs
        with write_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            connection.execute(
                update(runs)
                .where(runs.c.run_uuid == run_id)
                .values(
                    lifecycle_stage=stage.value,
                    deleted_time=now_ms() if stage is LifecycleStage.DELETED else None,
                )
            )
