"""The block summaries (metric_blocks) that the metrics rows of a database call for,
computed in plain Python from every row, and a check of the stored ones against them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from tuitrack_sql import schema

BLOCK_STEPS = 256
ROLES = ("first", "last", "min", "max", "nan")
_SPECIAL = {1: math.nan, 2: math.inf, 3: -math.inf}  # kinds NAN, POS_INF, NEG_INF

# (id, run_uuid, key, step, timestamp, stored value, kind)
MetricRow = tuple[int, str, str, int, int, float | None, int]


@dataclass(frozen=True)
class ExpectedBlock:
    points: int
    nans: int
    ids: list[int]  # every point's id, ascending
    chosen: dict[str, MetricRow | None]  # the row each role should hold


def _value(row: MetricRow) -> float:
    return _SPECIAL.get(row[6], row[5] if row[5] is not None else math.nan)


def _position(row: MetricRow) -> tuple[int, int, int]:
    return row[3], row[4], row[0]


def expected_blocks(rows: list[MetricRow]) -> dict[tuple[str, str, int], ExpectedBlock]:
    groups: dict[tuple[str, str, int], list[MetricRow]] = {}
    for row in rows:
        groups.setdefault((row[1], row[2], row[3] // BLOCK_STEPS), []).append(row)
    blocks = {}
    for where, group in groups.items():
        numbers = [row for row in group if row[6] != 1]
        nans = [row for row in group if row[6] == 1]
        chosen = {
            "first": min(group, key=_position),
            "last": max(group, key=_position),
            "min": min(numbers, key=lambda r: (_value(r), *_position(r))) if numbers else None,
            "max": min(numbers, key=lambda r: (-_value(r), *_position(r))) if numbers else None,
            "nan": min(nans, key=_position) if nans else None,
        }
        blocks[where] = ExpectedBlock(
            len(group), len(nans), sorted(row[0] for row in group), chosen
        )
    return blocks


def _same_value(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and repr(float(a)) == repr(float(b))
    )


def check_blocks(engine: Engine, seq_of: Callable[[int, ExpectedBlock], int] | None) -> int:
    """Assert that metric_blocks holds exactly the expected summaries; return their number.

    Seqs must order the chosen points as their ids do (and be below next_seq); with
    `seq_of(id, block)`, each must also equal that.
    """
    with engine.connect() as connection:
        metrics, series = schema.metrics.c, schema.metric_series.c
        rows: list[Any] = list(
            connection.execute(
                select(
                    metrics.id,
                    series.run_uuid,
                    series.key,
                    metrics.step,
                    metrics.timestamp,
                    metrics.value,
                    metrics.kind,
                ).join_from(
                    schema.metrics, schema.metric_series, metrics.series_id == series.series_id
                )
            )
        )
        stored = {
            (row["run_uuid"], row["key"], row["block"]): row
            for row in connection.execute(select(schema.metric_blocks)).mappings()
        }
    expected = expected_blocks([tuple(row) for row in rows])  # type: ignore[misc]
    assert set(stored) == set(expected)
    for where, block in expected.items():
        row = stored[where]
        assert (row["points"], row["nans"]) == (block.points, block.nans), where
        seqs: dict[int, int] = {}
        for role in ROLES:
            want = block.chosen[role]
            if want is None:
                assert row[f"{role}_step"] is None, (where, role)
                continue
            got_value = None if role == "nan" else row[f"{role}_value"]
            got_kind = 1 if role == "nan" else row[f"{role}_kind"]
            assert (row[f"{role}_step"], row[f"{role}_timestamp"], got_kind) == (
                want[3],
                want[4],
                want[6],
            ), (where, role)
            assert _same_value(got_value, want[5]), (where, role, got_value, want[5])
            seq = row[f"{role}_seq"]
            assert seq < row["next_seq"]
            if seq_of is not None:
                assert seq == seq_of(want[0], block), (where, role)
            for other_id, other_seq in seqs.items():
                assert (other_id < want[0]) == (other_seq < seq), (where, role)
                assert (other_id == want[0]) == (other_seq == seq), (where, role)
            seqs[want[0]] = seq
    return len(expected)


def rank_in_block(row_id: int, block: ExpectedBlock) -> int:
    """The seq log_batch gives a point: how many of its block's points were logged before."""
    return block.ids.index(row_id)


def id_itself(row_id: int, block: ExpectedBlock) -> int:
    """The seq the 0003 migration gives a point it backfills."""
    return row_id
