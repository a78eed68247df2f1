"""The columns of `tuitrack experiments list`, `runs list` and `runs show`, and how they are
printed: a table fitted to the terminal, tab-separated values in a pipe (see cli/tables.py)."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tuitrack.cli.tables import Column, FittedTable, choose, write_tsv
from tuitrack.core.default_experiment import DEFAULT_EXPERIMENT_ID
from tuitrack.core.orphans import Orphan
from tuitrack.entities import Run
from tuitrack.errors import InvalidValueError
from tuitrack.tui.formatting import (
    format_duration,
    format_metric,
    format_timestamp,
    format_timestamp_short,
    run_duration_ms,
)
from tuitrack.tui.status import shown_status, status_label

if TYPE_CHECKING:
    from rich.console import RenderableType

    from tuitrack.core.store import ExperimentActivity
    from tuitrack.tui.queries import RunDetail

DATA_PREFIXES = ("metrics.", "params.", "tags.")
# Dropped first when the terminal is narrow: the lowest rank goes first.
RUN_DROP_RANKS = {"user": 1, "duration": 2, "experiment": 3, "start": 4}
METRIC_DROP_RANK = 10
"""Metric columns go last, the rightmost first."""


def print_tables(tables: Sequence[FittedTable], before: RenderableType | None = None) -> None:
    """On a terminal, `before` and the tables fitted to its width; in a pipe, `before` in
    plain lines and each table as tab-separated values, a blank line between them."""
    from rich.console import Console

    if sys.stdout.isatty():
        console = Console()
        if before is not None:
            console.print(before)
        for table in tables:
            # Not cropped: a fitted table is as wide as the terminal at most, and the
            # columns a person asked for (--wide, --columns) run on rather than lose their end.
            console.print(table, crop=False)
        return
    blocks = []
    if before is not None:
        blocks.append(_plain_lines(before))
    for table in tables:
        out = io.StringIO()
        write_tsv(table.columns, out)
        blocks.append(out.getvalue())
    sys.stdout.write("\n".join(blocks))


def _plain_lines(renderable: RenderableType) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=10_000, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return "".join(line.rstrip() + "\n" for line in capture.get().splitlines())


def _chosen(available: Sequence[Column], names: str | None, default: Sequence[str]) -> list[Column]:
    if names is None:
        by_name = {column.name: column for column in available}
        return [by_name[name] for name in default if name in by_name]
    return choose(available, names)


# --- runs list ---------------------------------------------------------------------------


def runs_table(
    runs: Sequence[Run],
    experiment_names: Mapping[str, str],
    orphans: Mapping[str, Orphan],
    now: int,
    *,
    metrics: Sequence[str],
    id_length: int,
    columns: str | None = None,
    wide: bool = False,
) -> FittedTable:
    """`metrics`: the metric columns shown by default; `id_length`: how much of a run id the
    table shows. `columns`: a `--columns` value, which may name any `metrics.KEY`,
    `params.KEY` or `tags.KEY`."""
    infos = [run.info for run in runs]
    statuses = [shown_status(info, orphans.get(info.run_id)) for info in infos]
    available = [
        Column(
            "status",
            "Status",
            [status_label(status) for status in statuses],
            tsv=[status.value for status in statuses],
        ),
        Column(
            "id",
            "Run id",
            [info.run_id[:id_length] for info in infos],
            full=[info.run_id for info in infos],
        ),
        Column(
            "name", "Name", [info.run_name or "" for info in infos], give="middle", min_width=12
        ),
        Column(
            "experiment",
            "Experiment",
            [experiment_names.get(info.experiment_id, info.experiment_id) for info in infos],
            give="middle",
            min_width=10,
        ),
        _time_column("start", "Start", [info.start_time for info in infos]),
        _time_column("end", "End", [info.end_time for info in infos]),
        Column(
            "duration",
            "Duration",
            [
                format_duration(run_duration_ms(info, now, orphans.get(info.run_id)))
                for info in infos
            ],
        ),
        Column("user", "User", [info.user_id or "" for info in infos], give="middle"),
    ]
    for column in available:
        column.drop_rank = RUN_DROP_RANKS.get(column.name)
    metric_keys = sorted({key for run in runs for key in run.data.metrics}) if wide else metrics
    data = [_data_column(runs, f"metrics.{key}") for key in metric_keys]
    for index, column in enumerate(data):
        column.drop_rank = METRIC_DROP_RANK + len(data) - index
    if columns is not None:
        requested = [name.strip() for name in columns.split(",")]
        extra = [_data_column(runs, name) for name in requested if name.startswith(DATA_PREFIXES)]
        chosen = choose([*available, *extra], columns, " or metrics.KEY, params.KEY, tags.KEY")
        return FittedTable(chosen, wide=wide)
    default = ["status", "id", "name", "start", "duration", "user"]
    # The Default experiment, in every store, counts only when a listed run is in it.
    listed = {info.experiment_id for info in infos}
    if wide or len({e for e in experiment_names if e != DEFAULT_EXPERIMENT_ID} | listed) > 1:
        default.insert(3, "experiment")
    if wide:
        default.insert(default.index("duration"), "end")
        params = sorted({key for run in runs for key in run.data.params})
        data += [_data_column(runs, f"params.{key}") for key in params]
    return FittedTable([*_chosen(available, None, default), *data], wide=wide)


def _time_column(name: str, header: str, times: Sequence[int | None]) -> Column:
    return Column(
        name,
        header,
        [format_timestamp(ms) for ms in times],
        compact=[format_timestamp_short(ms) for ms in times],
    )


def _data_column(runs: Sequence[Run], name: str) -> Column:
    """`metrics.KEY` (latest values, right-aligned), `params.KEY` or `tags.KEY`."""
    kind, _, key = name.partition(".")
    if not key:
        raise InvalidValueError(f"--columns: {name!r} needs a key after the dot, e.g. {kind}.loss")
    if kind == "metrics":
        values = [format_metric(run.data.metrics.get(key)) for run in runs]
        return Column(name, key, values, right=True, give="header")
    source = "params" if kind == "params" else "tags"
    values = [getattr(run.data, source).get(key, "") for run in runs]
    return Column(name, key, values, give="middle", min_width=8)


RUNS_COLUMNS_HELP = (
    "columns to show, comma-separated: status, id, name, experiment, start, end, duration, "
    "user, metrics.KEY, params.KEY, tags.KEY (default: those that fit the terminal)"
)


# --- experiments list --------------------------------------------------------------------


def experiments_table(
    found: Sequence[ExperimentActivity],
    *,
    show_stage: bool,
    columns: str | None = None,
    wide: bool = False,
) -> FittedTable:
    experiments = [activity.experiment for activity in found]
    available = [
        Column("id", "ID", [e.experiment_id for e in experiments]),
        Column("name", "Name", [e.name for e in experiments], give="middle", min_width=12),
        Column("stage", "Stage", [e.lifecycle_stage.value for e in experiments], drop_rank=3),
        Column("runs", "Runs", [a.run_count_text for a in found], right=True),
        _time_column("last_activity", "Last activity", [a.last_activity for a in found]),
        _time_column("created", "Created", [e.creation_time for e in experiments]),
        Column(
            "artifact_location",
            "Artifact location",
            [e.artifact_location for e in experiments],
            give="start",
            min_width=16,
        ),
    ]
    ranks = {"artifact_location": 1, "created": 2, "stage": 3, "last_activity": 4}
    for column in available:
        column.drop_rank = ranks.get(column.name)
    default = [c.name for c in available if show_stage or wide or c.name != "stage"]
    return FittedTable(_chosen(available, columns, default), wide=wide)


EXPERIMENTS_COLUMNS_HELP = (
    "columns to show, comma-separated: id, name, stage, runs, last_activity, created, "
    "artifact_location (default: those that fit the terminal)"
)


# --- runs show ---------------------------------------------------------------------------


def run_detail_tables(detail: RunDetail, *, wide: bool = False) -> list[FittedTable]:
    """Params, metrics (latest, min, max, step) and tags; keys stay whole as long as they
    can, long values wrap."""
    tables = []
    params = sorted(detail.run.data.params.items())
    if params:
        tables.append(_key_values("param", "Params", params, wide))
    if detail.metrics:
        metrics = detail.metrics
        columns = [
            Column("metric", "Metric", [m.key for m in metrics], give="middle", min_width=12),
            *(
                Column(name, name.capitalize(), values, right=True)
                for name, values in (
                    ("latest", [format_metric(m.latest) for m in metrics]),
                    ("min", [format_metric(m.min_value) for m in metrics]),
                    ("max", [format_metric(m.max_value) for m in metrics]),
                    ("step", [str(m.step) for m in metrics]),
                )
            ),
        ]
        tables.append(FittedTable(columns, wide=wide, title="Metrics"))
    tags = sorted(detail.run.data.tags.items())
    if tags:
        tables.append(_key_values("tag", "Tags", tags, wide))
    return tables


def _key_values(name: str, title: str, items: Sequence[tuple[str, str]], wide: bool) -> FittedTable:
    keys = Column(name, name.capitalize(), [k for k, _ in items], give="middle", min_width=12)
    values = Column("value", "Value", [v for _, v in items], give="wrap", min_width=20)
    return FittedTable([keys, values], wide=wide, title=title)
