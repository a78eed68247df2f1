"""The run screen's overview: status, times, where and how it ran, parent and children."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from tuitrack.entities import Run
from tuitrack.sdk.context import COMMAND_TAG, GIT_COMMIT_TAG, SOURCE_NAME_TAG
from tuitrack.tui.formatting import (
    format_ago,
    format_duration,
    format_timestamp_long,
    run_duration_ms,
    truncate,
)
from tuitrack.tui.queries import RunDetail
from tuitrack.tui.status import shown_status, status_label

GIT_COMMIT_TAGS = (GIT_COMMIT_TAG, "git.commit")
# The whole command line: the SDK's, or a plain `command` tag (the demo writes one).
COMMAND_TAGS = (COMMAND_TAG, "command")
# Else what ran: the SDK's script path, or MLflow's source (a script, notebook or project).
SOURCE_TAGS = (SOURCE_NAME_TAG,)
MLFLOW_SOURCE_TYPE_TAG = "mlflow.source.type"
CHILDREN_SHOWN = 8


def _first_tag(run: Run, keys: tuple[str, ...]) -> str | None:
    return next((run.data.tags[k] for k in keys if k in run.data.tags), None)


def _how_it_ran(run: Run) -> tuple[str, str]:
    """("Command", the command line) when known, else ("Source", the script that ran)."""
    command = _first_tag(run, COMMAND_TAGS)
    if command:
        return "Command", command
    source = _first_tag(run, SOURCE_TAGS)
    if not source:
        return "Command", "-"
    kind = run.data.tags.get(MLFLOW_SOURCE_TYPE_TAG)
    return "Source", f"{source}  ({kind.lower()})" if kind else source


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
    duration = Text(format_duration(run_duration_ms(info, now, detail.orphan)))
    if detail.orphan is not None and detail.orphan.last_sign_of_life is not None:
        seen = format_ago(detail.orphan.last_sign_of_life, now)
        duration.append(f"   last seen {seen}", style="dim")
    row("Duration", duration)
    row("User", info.user_id or "-")
    host = info.host or "-"
    if info.pid is not None:
        host += f"  (pid {info.pid})"
    row("Host", host)
    row("Git commit", _first_tag(run, GIT_COMMIT_TAGS) or "-")
    row(*_how_it_ran(run))
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
