"""What keys a run or experiment holds, summed up in SQL: metric summaries from the
latest_metrics table, and tag keys with their most common values."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    and_,
    distinct,
    func,
    literal,
    select,
    union_all,
)

from tuitrack.entities import MetricSummary, TagSummary, ViewType
from tuitrack.errors import InvalidValueError
from tuitrack.search.field_tags import FIELD_TAGS, PARENT_RUN_TAG, RUN_NAME_TAG
from tuitrack_sql import schema
from tuitrack_sql.floats import decode, decode_bound


def metric_summaries(connection: Connection, run_id: str) -> list[MetricSummary]:
    """One row per key of the run's latest_metrics, kept up to date by log_batch."""
    table = schema.latest_metrics
    rows = connection.execute(
        select(
            table.c.key,
            table.c.value,
            table.c.kind,
            table.c.step,
            table.c.timestamp,
            table.c.min_value,
            table.c.max_value,
            table.c["count"],
        ).where(table.c.run_uuid == run_id)
    ).all()
    summaries = [
        MetricSummary(
            key=row.key,
            latest=decode(row.value, row.kind),
            step=row.step,
            timestamp=row.timestamp,
            min_value=decode_bound(row.min_value),
            max_value=decode_bound(row.max_value),
            count=row.count,
        )
        for row in rows
    ]
    return sorted(summaries, key=lambda summary: summary.key)


def tag_summaries(
    connection: Connection,
    experiment_ids: Sequence[int],
    view_type: ViewType,
    max_values: int,
) -> list[TagSummary]:
    """Two grouped queries: per key (runs, distinct values), then each key's top values.
    The tags are those runs are read with: the stored ones and those made from the run's
    name and parent columns (search_map.py)."""
    if isinstance(max_values, bool) or not isinstance(max_values, int) or max_values < 1:
        raise InvalidValueError(f"max_values must be an integer >= 1, got {max_values!r}")
    tags = _tags_as_read(
        and_(
            schema.runs.c.experiment_id.in_(list(experiment_ids)),
            schema.runs.c.lifecycle_stage.in_([stage.value for stage in view_type.stages()]),
        )
    )
    per_key = connection.execute(
        select(tags.c.key, func.count(), func.count(distinct(tags.c.value))).group_by(tags.c.key)
    ).all()
    counted = (
        select(
            tags.c.key,
            tags.c.value,
            func.count().label("runs"),
            func.row_number()
            .over(partition_by=tags.c.key, order_by=(func.count().desc(), tags.c.value))
            .label("place"),
        )
        .group_by(tags.c.key, tags.c.value)
        .subquery()
    )
    top: dict[str, list[tuple[str, int]]] = {}
    for key, value, count in connection.execute(
        select(counted.c.key, counted.c.value, counted.c.runs)
        .where(counted.c.place <= max_values)
        .order_by(counted.c.key, counted.c.place)
    ):
        top.setdefault(key, []).append((value, int(count)))
    summaries = [
        TagSummary(
            key=key,
            runs=int(count),
            distinct_values=int(distinct_count),
            # The database's collation may order ties differently: settle them as Python does.
            values=sorted(top.get(key, []), key=lambda item: (-item[1], item[0])),
        )
        for key, count, distinct_count in per_key
    ]
    return sorted(summaries, key=lambda summary: summary.key)


def _tags_as_read(scope: ColumnElement[bool]) -> Subquery:
    """(key, value) of every tag of the runs in `scope`, one row per run and key."""
    tags, runs = schema.tags, schema.runs
    stored = (
        select(tags.c.key, tags.c.value)
        .select_from(tags.join(runs, runs.c.run_uuid == tags.c.run_uuid))
        .where(scope, tags.c.key.not_in(list(FIELD_TAGS)))
    )
    columns = {RUN_NAME_TAG: runs.c.name, PARENT_RUN_TAG: runs.c.parent_run_id}
    made = [
        select(literal(key, tags.c.key.type).label("key"), column.label("value")).where(
            scope, column.is_not(None)
        )
        for key, column in columns.items()
    ]
    return union_all(stored, *made).subquery("tags_as_read")
