"""Runs side by side: which params, metrics and tags differ, and which run is best.

Plain data (no Textual, no store): the compare screen and `tuitrack compare` render it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tuitrack.core.orphans import OrphanPolicy
from tuitrack.entities import Metric, Run
from tuitrack.search.field_tags import RUN_NAME_TAG
from tuitrack.tui.formatting import (
    format_duration,
    format_metric,
    format_timestamp,
    run_duration_ms,
)
from tuitrack.tui.status import judge_runs, shown_status

Direction = Literal["min", "max"]
Section = Literal["run", "params", "metrics", "tags"]
SECTIONS: tuple[Section, ...] = ("run", "params", "metrics", "tags")
# A metric whose key holds one of these is better when lower; any other, when higher.
LOWER_IS_BETTER = ("loss", "err", "perplexity")
DIRECTION_ARROWS: dict[Direction, str] = {"min": "↓", "max": "↑"}
PENDING = "…"
"""A best step still being read."""


def metric_direction(key: str) -> Direction:
    lowered = key.lower()
    return "min" if any(word in lowered for word in LOWER_IS_BETTER) else "max"


@dataclass(frozen=True)
class MetricStats:
    """A series at a glance: latest value, extremes (NaN ignored, infinities count; None
    when every point is NaN) and the first step reaching each extreme (None until read)."""

    latest: float | None
    minimum: float | None
    maximum: float | None
    min_step: int | None = None
    max_step: int | None = None

    def best(self, direction: Direction) -> tuple[float | None, int | None]:
        if direction == "min":
            return self.minimum, self.min_step
        return self.maximum, self.max_step


def extreme_steps(points: Sequence[Metric]) -> tuple[int | None, int | None]:
    """The first steps (in history order: step, then time) of the lowest and the highest
    value; NaN is skipped, so a series of only NaN has neither."""
    low = high = math.nan
    low_step = high_step = None
    for point in points:
        value = point.value
        if math.isnan(value):
            continue
        if low_step is None or value < low:
            low, low_step = value, point.step
        if high_step is None or value > high:
            high, high_step = value, point.step
    return low_step, high_step


def _distinct(values: Sequence[object]) -> bool:
    """True when not every run has the same value (a missing value counts as one)."""
    seen: list[object] = []
    for value in values:
        # NaN != NaN: two runs that both hold NaN hold the same value.
        comparable = "nan" if isinstance(value, float) and math.isnan(value) else value
        if comparable not in seen:
            seen.append(comparable)
    return len(seen) > 1


def _best_index(values: Sequence[float | None], direction: Direction) -> int | None:
    """The run with the best value, when at least two runs have one to compare."""
    ranked = [(v, i) for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    if len(ranked) < 2 or len({v for v, _ in ranked}) < 2:
        return None
    pick = min if direction == "min" else max
    return pick(ranked, key=lambda item: (item[0], -item[1] if direction == "max" else item[1]))[1]


@dataclass(frozen=True)
class DiffRow:
    section: Section
    key: str
    """Unique among the rows: `param:lr`, `metric:loss:min`, ..."""
    label: str
    values: tuple[Any, ...]
    """One per run: str, float, int, or None when the run has none."""
    differs: bool
    metric: str | None = None
    best: int | None = None
    """The run to highlight as best on this row."""
    first_of_group: bool = True


@dataclass(frozen=True)
class Comparison:
    runs: tuple[Run, ...]
    labels: tuple[str, ...]
    rows: tuple[DiffRow, ...]
    steps_loaded: bool = True
    experiment_names: dict[str, str] = field(default_factory=dict)

    def visible_rows(self, only_differences: bool) -> list[DiffRow]:
        return [row for row in self.rows if row.differs or not only_differences]

    def counts(self, section: Section) -> tuple[int, int]:
        """(differing, all) keys of a section (metrics count by key, not by row)."""
        rows = [row for row in self.rows if row.section == section and row.first_of_group]
        return sum(row.differs for row in rows), len(rows)

    @property
    def metric_keys(self) -> list[str]:
        return [row.metric for row in self.rows if row.metric and row.first_of_group]


def run_labels(runs: Sequence[Run]) -> tuple[str, ...]:
    """Column titles: run names, with the id's start where two runs share a name."""
    names = [run.info.run_name or run.info.run_id[:8] for run in runs]
    return tuple(
        f"{name} {run.info.run_id[:4]}" if names.count(name) > 1 else name
        for name, run in zip(names, runs, strict=True)
    )


def _run_rows(
    runs: Sequence[Run],
    experiments: Mapping[str, str],
    now: int,
    last_activity: Mapping[str, int],
    policy: OrphanPolicy,
) -> list[DiffRow]:
    orphans = judge_runs(runs, now, policy, last_activity)
    verdicts = [orphans.get(run.info.run_id) for run in runs]
    fields: list[tuple[str, list[Any]]] = [
        ("run id", [run.info.run_id[:8] for run in runs]),
        ("experiment", [experiments.get(r.info.experiment_id, r.info.experiment_id) for r in runs]),
        (
            "status",
            [shown_status(r.info, v).value for r, v in zip(runs, verdicts, strict=True)],
        ),
        ("start", [format_timestamp(run.info.start_time) for run in runs]),
        (
            "duration",
            [
                format_duration(run_duration_ms(r.info, now, v))
                for r, v in zip(runs, verdicts, strict=True)
            ],
        ),
        ("user", [run.info.user_id for run in runs]),
    ]
    return [
        DiffRow("run", f"run:{label}", label, tuple(values), _distinct(values))
        for label, values in fields
    ]


def _pair_rows(section: Section, prefix: str, pairs: Sequence[Mapping[str, str]]) -> list[DiffRow]:
    keys = sorted({key for mapping in pairs for key in mapping})
    rows = []
    for key in keys:
        values = tuple(mapping.get(key) for mapping in pairs)
        rows.append(DiffRow(section, f"{prefix}:{key}", key, values, _distinct(values)))
    return rows


def _metric_rows(
    runs: Sequence[Run], stats: Mapping[tuple[str, str], MetricStats], steps_loaded: bool
) -> list[DiffRow]:
    keys = sorted({key for run in runs for key in run.data.metrics})
    rows: list[DiffRow] = []
    for key in keys:
        direction = metric_direction(key)
        latest = [run.data.metrics.get(key) for run in runs]
        found = [stats.get((run.info.run_id, key)) for run in runs]
        lows = [s.minimum if s else None for s in found]
        highs = [s.maximum if s else None for s in found]
        bests = [s.best(direction) if s else (None, None) for s in found]
        steps = tuple(
            (step if steps_loaded else PENDING) if s else None
            for s, (_, step) in zip(found, bests, strict=True)
        )
        group: list[tuple[str, tuple[Any, ...], int | None]] = [
            ("latest", tuple(latest), _best_index(latest, direction)),
            ("min", tuple(lows), _best_index(lows, "min") if direction == "min" else None),
            ("max", tuple(highs), _best_index(highs, "max") if direction == "max" else None),
            ("best step", steps, _best_index([value for value, _ in bests], direction)),
        ]
        differs = any(_distinct(values) for _, values, _ in group)
        arrow = DIRECTION_ARROWS[direction]
        for index, (stat, values, best) in enumerate(group):
            label = f"{key} {arrow} {stat}" if index == 0 else f"  {stat}"
            rows.append(
                DiffRow(
                    "metrics",
                    f"metric:{key}:{stat}",
                    label,
                    values,
                    differs,
                    metric=key,
                    best=best,
                    first_of_group=index == 0,
                )
            )
    return rows


def _shown_tags(run: Run) -> dict[str, str]:
    """A run's tags less its name tag: the name heads the run's column already."""
    return {key: value for key, value in run.data.tags.items() if key != RUN_NAME_TAG}


def build_comparison(
    runs: Sequence[Run],
    experiment_names: Mapping[str, str],
    stats: Mapping[tuple[str, str], MetricStats],
    now: int,
    *,
    steps_loaded: bool = True,
    last_activity: Mapping[str, int] | None = None,
    policy: OrphanPolicy | None = None,
) -> Comparison:
    """Rows for run attributes, params, metrics (latest, min, max, best step) and tags.

    Until `steps_loaded`, the best step cells hold PENDING. RUNNING runs are judged
    orphaned or not by `policy` and their `last_activity` (as CompareData holds it)."""
    rows = [
        *_run_rows(
            runs,
            experiment_names,
            now,
            last_activity or {},
            policy or OrphanPolicy.from_environment(),
        ),
        *_pair_rows("params", "param", [run.data.params for run in runs]),
        *_metric_rows(runs, stats, steps_loaded),
        *_pair_rows("tags", "tag", [_shown_tags(run) for run in runs]),
    ]
    return Comparison(
        runs=tuple(runs),
        labels=run_labels(runs),
        rows=tuple(rows),
        steps_loaded=steps_loaded,
        experiment_names=dict(experiment_names),
    )


def format_cell(value: Any, width: int = 24) -> str:
    """A cell's text; `-` for a run that has no value. Long text keeps its start and end,
    where values that differ usually do (`python train.py … cnn-002`)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return format_metric(value)
    text = str(value)
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"


def comparison_json(comparison: Comparison, only_differences: bool = False) -> dict[str, Any]:
    """Plain data for `tuitrack compare --json`: every value keyed by run id (written as
    strict JSON by tuitrack.cli.json_output, which spells out NaN and infinities)."""
    ids = [run.info.run_id for run in comparison.runs]
    rows = comparison.visible_rows(only_differences)
    out: dict[str, Any] = {
        "runs": [
            {
                "run_id": run.info.run_id,
                "name": run.info.run_name,
                "experiment_id": run.info.experiment_id,
                "experiment": comparison.experiment_names.get(run.info.experiment_id),
                "status": run.info.status.value,
            }
            for run in comparison.runs
        ],
        "params": {},
        "metrics": {},
        "tags": {},
    }
    for row in rows:
        if row.section in ("params", "tags"):
            out[row.section][row.label] = {
                "differs": row.differs,
                "values": dict(zip(ids, row.values, strict=True)),
            }
    for key in dict.fromkeys(row.metric for row in rows if row.metric):
        group = {r.key.rsplit(":", 1)[1]: r for r in rows if r.metric == key}
        values: dict[str, dict[str, Any]] = {run_id: {} for run_id in ids}
        for stat, row in group.items():
            name = stat.replace(" ", "_")
            for run_id, value in zip(ids, row.values, strict=True):
                values[run_id][name] = value
        out["metrics"][key] = {
            "direction": metric_direction(key),
            "differs": group["latest"].differs,
            "values": values,
        }
    return out
