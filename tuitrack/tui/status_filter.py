"""The runs screen's status toggles: which shown statuses are on, as one store filter.

Keys `1`..`5` each toggle a status as the table shows it; the runs shown are those whose
status is any of the ones on (none on: every status). `running` and `orphaned` split the
stored RUNNING status: an orphaned run is a RUNNING run judged dead, so `1` alone leaves
the orphans out and `5` alone shows only them.
"""

from __future__ import annotations

from collections.abc import Collection

from tuitrack.entities import RunStatus
from tuitrack.tui.status import DisplayStatus

STATUS_KEYS: dict[str, DisplayStatus] = {
    "1": DisplayStatus.RUNNING,
    "2": DisplayStatus.FINISHED,
    "3": DisplayStatus.FAILED,
    "4": DisplayStatus.KILLED,
    "5": DisplayStatus.ORPHANED,
}
ALL_STATUSES_KEY = "0"
NO_RUN = "attributes.run_id = ''"
"""A condition no run meets (no run id is empty): orphaned only, with no orphan to show."""


def depends_on_orphans(shown: frozenset[DisplayStatus]) -> bool:
    """Whether the condition names orphan ids: running or orphaned on, not both."""
    return (DisplayStatus.RUNNING in shown) != (DisplayStatus.ORPHANED in shown)


def _quoted(values: Collection[str]) -> str:
    return ", ".join(f"'{value}'" for value in sorted(values))


def status_condition(shown: frozenset[DisplayStatus], orphan_ids: Collection[str]) -> str:
    """The filter for runs whose shown status is in `shown` ("" when none is on)."""
    if not shown:
        return ""
    running, orphaned = DisplayStatus.RUNNING in shown, DisplayStatus.ORPHANED in shown
    stored = {RunStatus[status.name] for status in shown if status is not DisplayStatus.ORPHANED}
    clauses = []
    if stored:
        clause = f"attributes.status IN ({_quoted(stored)})"
        if running and not orphaned and orphan_ids:
            clause += f" AND attributes.run_id NOT IN ({_quoted(orphan_ids)})"
        clauses.append(clause)
    if orphaned and not running and orphan_ids:
        clauses.append(f"attributes.run_id IN ({_quoted(orphan_ids)})")
    if not clauses:
        return NO_RUN
    if len(clauses) == 1:
        return clauses[0]
    return " OR ".join(f"({clause})" for clause in clauses)


def compose_filter(
    user_filter: str, shown: frozenset[DisplayStatus], orphan_ids: Collection[str]
) -> str:
    """The user's filter AND the status toggles, as one filter string."""
    condition = status_condition(shown, orphan_ids)
    if not condition:
        return user_filter
    if not user_filter:
        return condition
    return f"({user_filter}) AND ({condition})"


def describe(shown: frozenset[DisplayStatus]) -> str:
    """The statuses on, in key order: `running+failed`."""
    return "+".join(status.value for status in STATUS_KEYS.values() if status in shown)
