"""The run screen's overview: status, times, where and how it ran, parent and children."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from tuitrack.entities import Run
from tuitrack.tui.formatting import (
    format_ago,
    format_duration,
    format_timestamp_long,
    run_duration_ms,
    truncate,
)
from tuitrack.tui.queries import RunDetail
from tuitrack.tui.status import shown_status, status_label

GIT_COMMIT_TAGS = ("tuitrack.git.commit", "git.commit", "mlflow.source.git.commit")
COMMAND_TAGS = ("tuitrack.command", "command", "mlflow.source.name")
CHILDREN_SHOWN = 8


def _first_tag(run: Run, keys: tuple[str, ...]) -> str | None:
    return next((run.data.tags[k] for k in keys if k in run.data.tags), None)


def _run_label(run: Run) -> str:
    return f"{run.info.run_name or '(unnamed)'}  [{run.info.run_id[:8]}]"


def overview(detail: RunDetail, now: int) -> RenderableType:
    run = detail.run
    info = run.info
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: str | Text) -> None:
        # Values are the user's text, never markup: a tag like "[rank 0]" must show as is.
        grid.add_row(label, value if isinstance(value, Text) else Text(value))

    row("Run id", info.run_id)
    row("Name", info.run_name or "-")
    row("Experiment", f"{detail.experiment_name}  [{info.experiment_id}]")
    status = status_label(shown_status(info, detail.orphan))
    if detail.orphan is not None:
        status.append(f"   {detail.orphan.reason}", style="dim")
    elif info.status == "RUNNING" and info.heartbeat_time is not None:
        status.append(f"   heartbeat {format_ago(info.heartbeat_time, now)}", style="dim")
    row("Status", status)
    row("Started", format_timestamp_long(info.start_time))
    row("Ended", format_timestamp_long(info.end_time))
    row("Duration", format_duration(run_duration_ms(info, now)))
    row("User", info.user_id or "-")
    host = info.host or "-"
    if info.pid is not None:
        host += f"  (pid {info.pid})"
    row("Host", host)
    row("Git commit", _first_tag(run, GIT_COMMIT_TAGS) or "-")
    row("Command", _first_tag(run, COMMAND_TAGS) or "-")
    row("Parent", _run_label(detail.parent) if detail.parent else "-")
    if detail.children:
        children = Text()
        for child in detail.children[:CHILDREN_SHOWN]:
            children.append(truncate(_run_label(child), 60) + "\n")
        extra = len(detail.children) - CHILDREN_SHOWN
        if extra > 0:
            children.append(f"… and {extra} more", style="dim")
        children.rstrip()
        row(f"Children ({len(detail.children)})", children)
    else:
        row("Children", "-")
    row("Artifacts", info.artifact_uri or "-")
    return grid
