"""How a run's status is shown: the displayed state (with `orphaned`) and its glyph.

Whether a RUNNING run is orphaned is decided by `tuitrack.core.orphans.find_orphan`, the rule the
store uses too: stale heartbeat, a dead (or reused) pid for runs started on this host, or
long silence for runs that never sent a heartbeat. The clock is always passed in, so
screens and snapshots can fix it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from rich.text import Text

from tuitrack.core.orphans import Orphan, OrphanPolicy, find_orphan
from tuitrack.entities import Run, RunInfo, RunStatus


class DisplayStatus(StrEnum):
    RUNNING = "running"
    SCHEDULED = "scheduled"
    FINISHED = "finished"
    FAILED = "failed"
    KILLED = "killed"
    ORPHANED = "orphaned"


def judge_runs(
    runs: Sequence[Run],
    now_ms: int,
    policy: OrphanPolicy,
    last_activity: Mapping[str, int],
) -> dict[str, Orphan]:
    """The orphans among `runs`, by run id; `last_activity` as TrackingStore gives it."""
    verdicts: dict[str, Orphan] = {}
    for run in runs:
        if run.info.status is not RunStatus.RUNNING:
            continue
        activity = last_activity.get(run.info.run_id)
        verdict = find_orphan(run.info, run.data.tags, now_ms, policy, activity)
        if verdict is not None:
            verdicts[run.info.run_id] = verdict
    return verdicts


def shown_status(info: RunInfo, orphan: Orphan | None) -> DisplayStatus:
    """The stored status, or ORPHANED for a RUNNING run with a verdict against it."""
    if orphan is not None and info.status is RunStatus.RUNNING:
        return DisplayStatus.ORPHANED
    return DisplayStatus(info.status.value.lower())


_GLYPHS: dict[DisplayStatus, tuple[str, str]] = {
    DisplayStatus.RUNNING: ("●", "bold green"),
    DisplayStatus.SCHEDULED: ("○", "cyan"),
    DisplayStatus.FINISHED: ("✓", "green"),
    DisplayStatus.FAILED: ("✗", "bold red"),
    DisplayStatus.KILLED: ("■", "yellow"),
    DisplayStatus.ORPHANED: ("?", "bold magenta"),
}


def status_glyph(status: DisplayStatus) -> Text:
    glyph, style = _GLYPHS[status]
    return Text(glyph, style=style)


def status_label(status: DisplayStatus) -> Text:
    glyph, style = _GLYPHS[status]
    return Text(f"{glyph} {status.value}", style=style)
