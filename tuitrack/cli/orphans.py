"""`tuitrack runs orphans`: list the RUNNING runs whose process is gone, and close them.

Listing writes nothing. `--mark-failed` asks first (unless `--yes`), then lets the store
re-check each run and mark FAILED only those still dead, ending them at their last sign of
life and recording the reason as the tag `tuitrack.orphan_reason`. Should the run's own
process turn out alive and end (or resume) it later, its status replaces that verdict and
the tag goes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tuitrack.cli import json_output
from tuitrack.core.orphans import OrphanPolicy
from tuitrack.core.store import now_ms
from tuitrack.entities import Experiment
from tuitrack.errors import InvalidValueError, ReadOnlyError
from tuitrack.sdk.client import TrackingClient

ExperimentResolver = Callable[[TrackingClient, Sequence[str] | None], list[Experiment]]

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_duration(text: str) -> float:
    """Seconds in '90s', '10m', '2h', '1d' or a bare number of seconds."""
    match = _DURATION.fullmatch(text)
    if match is None or float(match.group(1)) <= 0:
        raise InvalidValueError(
            f"--older-than {text!r} is not a duration: give a positive number with an "
            "optional unit s, m, h or d (e.g. 90s, 10m, 2h)"
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def add_parser(run_commands: Any) -> None:
    """Register `orphans` under `tuitrack runs`."""
    orphans = run_commands.add_parser(
        "orphans",
        help="list RUNNING runs whose process is gone; --mark-failed closes them",
        description="A RUNNING run is orphaned when its heartbeat is stale, or it ran on "
        "this host and its pid is gone, or (never having sent a heartbeat) it has been "
        "silent for long. A run whose process is alive on this host is never listed, even "
        "stopped or unable to write. Nothing is written unless --mark-failed is given.",
    )
    orphans.add_argument(
        "--experiment",
        "-e",
        action="append",
        metavar="NAME_OR_ID",
        help="experiment name or id (repeatable; default: every active experiment)",
    )
    orphans.add_argument(
        "--older-than",
        metavar="DURATION",
        help="only runs silent at least this long (e.g. 10m, 2h): a heartbeat this old is "
        "stale, and a run that never sent one (MLflow's) is orphaned after this long without "
        "logging (defaults: 3x the heartbeat interval; 30 minutes without logging)",
    )
    orphans.add_argument("--json", action="store_true", help="print JSON instead of a table")
    orphans.add_argument(
        "--mark-failed", action="store_true", help="mark the runs listed FAILED (asks first)"
    )
    orphans.add_argument("--yes", "-y", action="store_true", help="do not ask before marking")


def _policy(older_than: float | None) -> OrphanPolicy:
    policy = OrphanPolicy.from_environment()
    return policy if older_than is None else policy.older_than(older_than)


def _confirm(count: int) -> bool:
    prompt = f"Mark {'this run' if count == 1 else f'these {count} runs'} FAILED? [y/N] "
    print(prompt, end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def run(client: TrackingClient, args: argparse.Namespace, resolve: ExperimentResolver) -> int:
    from tuitrack.tui.formatting import format_ago
    from tuitrack.tui.queries import load_orphans

    if args.mark_failed and client.store.read_only:
        raise ReadOnlyError(f"cannot mark runs FAILED: {client.store.read_only}")
    older_than = parse_duration(args.older_than) if args.older_than else None
    experiments = resolve(client, args.experiment)
    names = {e.experiment_id: e.name for e in experiments}
    policy = _policy(older_than)
    now = now_ms()
    found = load_orphans(client, list(names), now, policy)
    if older_than is not None:
        found = [
            o
            for o in found
            if o.orphan.last_sign_of_life is None
            or now - o.orphan.last_sign_of_life >= older_than * 1000
        ]
    rows: list[dict[str, Any]] = [
        {
            "run_id": o.run.info.run_id,
            "run_name": o.run.info.run_name,
            "experiment_id": o.run.info.experiment_id,
            "experiment": names.get(o.run.info.experiment_id),
            "host": o.run.data.tags.get("tuitrack.host") or o.run.info.host,
            "reason": o.orphan.reason,
            "last_sign_of_life": o.orphan.last_sign_of_life,
        }
        for o in found
    ]
    if not args.json:
        _print_table(rows, now, format_ago, len(experiments))
    if args.mark_failed and rows and not _mark_failed(client, args, rows, policy):
        return 1
    if args.json:
        print(json_output.dumps(rows))
    return 0


def _mark_failed(
    client: TrackingClient,
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    policy: OrphanPolicy,
) -> bool:
    """Mark the runs of `rows` FAILED once confirmed, noting the outcome in each row.

    False when the user did not confirm (nothing is marked).
    """
    if not args.yes and (args.json or not _confirm(len(rows))):
        if args.json:
            print("tuitrack: error: --json with --mark-failed needs --yes", file=sys.stderr)
        else:
            print("Nothing marked.", file=sys.stderr)
        return False
    result = client.store.mark_failed([r["run_id"] for r in rows], policy=policy)
    marked = {orphan.run_id for orphan in result.marked}
    for row in rows:
        row["marked"] = row["run_id"] in marked
        row["refused"] = result.refused.get(row["run_id"])
    if not args.json:
        for row in rows:
            short = row["run_id"][:8]
            if row["marked"]:
                print(f"marked {short} FAILED ({row['reason']})")
            else:
                print(f"left {short} alone: {row['refused']}", file=sys.stderr)
    return True


def _print_table(
    rows: list[dict[str, Any]], now: int, format_ago: Callable[[int | None, int], str], where: int
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=240)
    if not rows:
        console.print(f"No orphaned runs in {where} experiment{'s' if where != 1 else ''}.")
        return
    table = Table("Run id", "Name", "Experiment", "Host", "Last seen", "Reason", box=None)
    for column in table.columns[:2]:
        column.no_wrap = True
    for row in rows:
        table.add_row(
            row["run_id"][:8],
            row["run_name"] or "",
            row["experiment"] or row["experiment_id"],
            row["host"] or "",
            format_ago(row["last_sign_of_life"], now),
            row["reason"],
        )
    console.print(table)
