"""Each series' latest point, range and point count (schema.latest_metrics), brought up to
date from a batch's block summaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from tuitrack_sql import schema
from tuitrack_sql.blocks import BlockPoint, SeriesBlocks
from tuitrack_sqlkit.dialects import SqlDialect
from tuitrack_sqlkit.run_loading import chunks
from tuitrack_sqlkit.upsert import upsert


class SeriesLatest(NamedTuple):
    """A latest_metrics row's figures: values stored as in floats.py (NaN left out of the
    range, +-inf as +-DBL_MAX)."""

    step: int
    timestamp: int
    value: float | None
    kind: int
    min_value: float | None
    max_value: float | None
    points: int  # the count column

    def merged(self, old: Any) -> SeriesLatest:
        """These figures merged with a stored row's (`old`, of the same series) logged
        before them: the latest point is the one of highest step, then latest timestamp,
        then latest logged."""
        newer = (old.step, old.timestamp) <= (self.step, self.timestamp)
        latest = self if newer else old
        return SeriesLatest(
            latest.step,
            latest.timestamp,
            latest.value,
            latest.kind,
            _bound(min, self.min_value, old.min_value),
            _bound(max, self.max_value, old.max_value),
            self.points + old.count,
        )


def _bound(
    pick: Callable[[float, float], float], new: float | None, old: float | None
) -> float | None:
    if new is None:
        return old
    if old is None:
        return new
    return float(pick(new, old))


def batch_latest(item: SeriesBlocks) -> SeriesLatest:
    """A series' figures over the batch's points, from their block summaries."""
    latest: BlockPoint | None = None
    low = high = None
    count = 0
    for summary in item.blocks.values():
        last = summary.last
        # Blocks never share a step: no ties between them.
        if latest is None or (last.step, last.timestamp) > (latest.step, latest.timestamp):
            latest = last
        low = _bound(min, None if summary.min is None else summary.min.value, low)
        high = _bound(max, None if summary.max is None else summary.max.value, high)
        count += summary.points
    assert latest is not None  # a series of the batch has points
    return SeriesLatest(latest.step, latest.timestamp, latest.value, latest.kind, low, high, count)


def merge_latest(connection: Connection, batch: Sequence[SeriesBlocks]) -> None:
    """Merge each series' figures over the batch into its latest_metrics row, locked for
    update on database servers."""
    table = schema.latest_metrics
    figures = {item.series: batch_latest(item) for item in batch}
    stored: dict[tuple[str, str], Any] = {}
    dialect = SqlDialect.of(connection)
    for run_id in sorted({series.run_uuid for series in figures}):
        keys = [series.key for series in figures if series.run_uuid == run_id]
        for chunk in chunks(keys):
            query = select(table).where(table.c.run_uuid == run_id, table.c.key.in_(chunk))
            query = dialect.for_update(query)
            stored.update({(run_id, row.key): row for row in connection.execute(query)})
    rows = []
    for series, latest in figures.items():
        old = stored.get((series.run_uuid, series.key))
        merged = latest if old is None else latest.merged(old)
        rows.append(
            {
                "run_uuid": series.run_uuid,
                "key": series.key,
                "step": merged.step,
                "timestamp": merged.timestamp,
                "value": merged.value,
                "kind": merged.kind,
                "min_value": merged.min_value,
                "max_value": merged.max_value,
                "count": merged.points,
            }
        )
    upsert(connection, table, rows, ("run_uuid", "key"))
