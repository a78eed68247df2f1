"""delete_tag and delete_experiment_tag written once for both SQL schemas, with MLflow's
rules: a deleted run or experiment is refused, and a key without a tag is not found."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from tuitrack.core.validation import integer_id
from tuitrack.entities import LifecycleStage
from tuitrack.errors import InvalidValueError, NotFoundError, ReadOnlyError
from tuitrack.search.field_tags import FIELD_TAGS
from tuitrack_sqlkit.search_store import SqlSearchStore
from tuitrack_sqlkit.transactions import write_transaction

_ACTIVE = LifecycleStage.ACTIVE.value


def _check_key(key: object) -> None:
    if not isinstance(key, str):
        raise InvalidValueError(f"a tag key is a string, got {key!r}")


class SqlTagDeletion(SqlSearchStore):
    """A SQL store whose tags are rows of its tags and experiment_tags tables."""

    def delete_tag(self, run_id: str, key: str) -> None:
        _check_key(key)
        tags = self.search_tables.tags
        with write_transaction(self.engine) as connection:
            if self._require_run(connection, run_id).lifecycle_stage != _ACTIVE:
                raise ReadOnlyError(f"run {run_id} is deleted; restore it before deleting its tags")
            if self.search_tables.tags_from_columns and key in FIELD_TAGS:
                # The tag is the run's name or parent column: deleting it empties that.
                runs, column = self.search_tables.runs, self.search_tables.run_attributes
                field = column[FIELD_TAGS[key]]
                deleted = connection.execute(
                    update(runs)
                    .where(runs.c.run_uuid == run_id, field.is_not(None))
                    .values({field: None})
                )
            else:
                deleted = connection.execute(
                    delete(tags).where(tags.c.run_uuid == run_id, tags.c.key == key)
                )
            if deleted.rowcount == 0:
                raise NotFoundError(f"run {run_id} has no tag {key!r}")

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        _check_key(key)
        tables = self.search_tables
        experiments, tags = tables.experiments, tables.experiment_tags
        experiment_key = integer_id(experiment_id)
        with write_transaction(self.engine) as connection:
            stage = None
            if experiment_key is not None:
                stage = connection.execute(
                    select(experiments.c.lifecycle_stage).where(
                        experiments.c.experiment_id == experiment_key
                    )
                ).first()
            if stage is None:
                raise NotFoundError(f"no experiment with id {experiment_id!r}")
            if stage[0] != _ACTIVE:
                raise ReadOnlyError(
                    f"experiment {experiment_id} is deleted; restore it before deleting its tags"
                )
            deleted = connection.execute(
                delete(tags).where(tags.c.experiment_id == experiment_key, tags.c.key == key)
            )
            if deleted.rowcount == 0:
                raise NotFoundError(f"experiment {experiment_id} has no tag {key!r}")
