"""Writing MLflow's tags of a run's name and parent: they set the runs row's `name` and
`parent_run_id` columns and are not stored as tags (reading makes them from the columns,
see search_map.py), as MLflow's client sets a nested run's parent by hand."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence

from sqlalchemy import Connection, select, update

from tuitrack.core.validation import stored_id, validate_run_name
from tuitrack.entities import RunTag
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.search.field_tags import FIELD_TAGS, PARENT_RUN_TAG, RUN_NAME_TAG
from tuitrack_sql import schema

_RUN_ID_LENGTH = 32
# Ancestors followed up from a new parent to refuse a cycle; deeper trees are not checked.
_MAX_ANCESTORS = 1000


def stored_tags(tags: Sequence[RunTag]) -> list[RunTag]:
    """The tags that are stored as tags: all but those of the run's name and parent."""
    return [tag for tag in tags if tag.key not in FIELD_TAGS]


def apply_field_tags(connection: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
    """Set the run's name and parent from the last `mlflow.runName` and
    `mlflow.parentRunId` of `tags`. NotFoundError names a parent id of no run; a run cannot
    be its own ancestor (InvalidValueError)."""
    last = {tag.key: tag.value for tag in tags if tag.key in FIELD_TAGS}
    values: dict[str, str] = {}
    if RUN_NAME_TAG in last:
        values["name"] = validate_run_name(last[RUN_NAME_TAG])
    if PARENT_RUN_TAG in last:
        values["parent_run_id"] = checked_parent(connection, run_id, last[PARENT_RUN_TAG])
    if values:
        runs = schema.runs
        connection.execute(update(runs).where(runs.c.run_uuid == run_id).values(**values))


def checked_parent(connection: Connection, run_id: str, parent_run_id: str) -> str:
    """`parent_run_id` if it names a run of this store that is not `run_id` or one of its
    descendants; NotFoundError or InvalidValueError (naming the tag) otherwise."""
    runs = schema.runs
    ancestor: str | None = parent_run_id
    for _ in range(_MAX_ANCESTORS):
        if ancestor is None:
            break
        if ancestor == run_id:
            raise InvalidValueError(
                f"run {run_id} cannot have run {parent_run_id} as its parent "
                f"({PARENT_RUN_TAG}): that is the run itself or one of its nested runs"
            )
        key = stored_id(ancestor, _RUN_ID_LENGTH)
        row = None
        if key is not None:
            query = select(runs.c.parent_run_id).where(runs.c.run_uuid == key)
            row = connection.execute(query).first()
        if row is None:
            if ancestor == parent_run_id:
                shown = (
                    repr(parent_run_id) if len(parent_run_id) <= 64 else reprlib.repr(parent_run_id)
                )
                raise NotFoundError(
                    f"no run with id {shown} to be the parent ({PARENT_RUN_TAG}) of run {run_id}"
                )
            break  # an older parent that names no run: the chain ends there
        ancestor = row.parent_run_id
    return parent_run_id


def refuse_two_parents(parent_run_id: str | None, tags: Sequence[RunTag]) -> None:
    """InvalidValueError when a new run is given a parent and a different parent tag."""
    tagged = next((tag.value for tag in reversed(tags) if tag.key == PARENT_RUN_TAG), None)
    if parent_run_id is not None and tagged is not None and tagged != parent_run_id:
        raise InvalidValueError(
            f"parent_run_id {parent_run_id!r} and the {PARENT_RUN_TAG} tag {tagged!r} differ"
        )
