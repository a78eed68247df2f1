"""The `tuitrack` command: the UI by default, plus demo, listings and database upgrades.

Textual is imported only when a UI starts, so the listing commands stay quick.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tuitrack import __version__, cli_orphans, cli_plot, config
from tuitrack.client import TrackingClient
from tuitrack.entities import Experiment, Run, ViewType
from tuitrack.errors import InvalidValueError, NotFoundError, TuitrackError

if TYPE_CHECKING:
    from rich.console import Console

    from tuitrack.store import ExperimentActivity

DEMO_DIR_NAME = "demo"
RUN_ID_SHORT = 8


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuitrack",
        description="Terminal-first experiment tracker: browse runs in a TUI, list them, "
        "or write a demo store.",
    )
    parser.add_argument("--version", action="version", version=f"tuitrack {__version__}")
    parser.add_argument(
        "--uri",
        help=f"tracking store URI (default: ${config.TRACKING_URI_ENV} or the local SQLite store)",
    )
    parser.add_argument(
        "--artifact-uri",
        help=f"artifact root for new experiments (default: ${config.ARTIFACT_URI_ENV} "
        "or the local artifact folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ui = commands.add_parser("ui", help="open the TUI (the default command)")
    ui.add_argument("target_uri", nargs="?", metavar="URI", help="tracking store URI")
    _add_ui_options(ui)

    demo = commands.add_parser("demo", help="write a demo store and open the TUI on it")
    demo.add_argument(
        "--uri",
        dest="demo_uri",
        metavar="URI",
        help="write into this store instead of the demo's own store under the data folder",
    )
    demo.add_argument("--no-ui", action="store_true", help="only write the store and print its URI")
    demo.add_argument("--small", action="store_true", help="a few runs instead of hundreds")
    _add_ui_options(demo)

    experiments = commands.add_parser("experiments", help="list experiments")
    experiment_commands = experiments.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = experiment_commands.add_parser("list", help="list experiments")
    listing.add_argument("--all", action="store_true", help="include deleted experiments")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    runs = commands.add_parser("runs", help="list, show or close runs")
    run_commands = runs.add_subparsers(dest="action", metavar="ACTION", required=True)
    runs_list = run_commands.add_parser("list", help="list runs, newest first")
    runs_list.add_argument(
        "--experiment",
        "-e",
        action="append",
        metavar="NAME_OR_ID",
        help="experiment name or id (repeatable; default: every active experiment)",
    )
    runs_list.add_argument("--filter", "-f", default="", help='filter, e.g. "metrics.acc > 0.9"')
    runs_list.add_argument(
        "--order-by", action="append", metavar="CLAUSE", help='e.g. "metrics.acc DESC"'
    )
    runs_list.add_argument("--max", type=int, default=100, help="at most this many runs")
    runs_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = run_commands.add_parser("show", help="show one run")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of tables")
    cli_orphans.add_parser(run_commands)
    cli_plot.add_parsers(commands)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or migrate a store's schema")
    upgrade.add_argument("target_uri", metavar="URI", help="tracking store URI")

    importing = commands.add_parser(
        "import", help="copy runs from another store (an mlflow.db, an mlruns/ folder, ...)"
    )
    importing.add_argument("source", metavar="SOURCE", help="store to copy from")
    importing.add_argument(
        "--into", metavar="URI", default=None, help="store to copy into (default: --uri)"
    )
    importing.add_argument(
        "--dry-run", action="store_true", help="list what would be copied, write nothing"
    )
    return parser


def _import(args: argparse.Namespace) -> int:
    from tuitrack.importer import run_import

    report = run_import(
        args.source,
        args.into or args.uri,
        dry_run=args.dry_run,
        progress=sys.stderr.isatty(),
        artifact_uri=args.artifact_uri,
    )
    print(report.summary())
    return 0


def _add_ui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refresh",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="live refresh period while runs are running (0 turns it off; default 2)",
    )


# --- the UI ------------------------------------------------------------------------------


def _open_client(tracking_uri: str | None, artifact_uri: str | None) -> TrackingClient:
    """Open the store and make one cheap query, so a bad URI fails here in one line."""
    client = TrackingClient(tracking_uri=tracking_uri, artifact_uri=artifact_uri)
    try:
        client.search_experiments(max_results=1)
    except BaseException:
        client.close()
        raise
    return client


def _run_ui(client: TrackingClient, refresh: float) -> None:
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.keymap import load_keymap

    if refresh < 0:
        raise InvalidValueError(
            f"--refresh must be 0 (off) or a positive number of seconds, got {refresh}"
        )
    TuitrackApp(client, refresh_seconds=refresh, keymap=load_keymap()).run()


def _ui(args: argparse.Namespace) -> int:
    client = _open_client(getattr(args, "target_uri", None) or args.uri, args.artifact_uri)
    try:
        _run_ui(client, args.refresh)
    finally:
        client.close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from tuitrack.demo import DemoTicker, write_demo

    tracking_uri = args.demo_uri or args.uri
    artifact_uri = args.artifact_uri
    if tracking_uri is None:
        # The demo's own store: rewritten from scratch each time, never the user's runs.
        demo_dir = config.data_dir() / DEMO_DIR_NAME
        shutil.rmtree(demo_dir, ignore_errors=True)
        demo_dir.mkdir(parents=True, exist_ok=True)
        tracking_uri = f"sqlite:///{demo_dir / 'tuitrack.db'}"
        artifact_uri = artifact_uri or str(demo_dir / "artifacts")
    client = TrackingClient(tracking_uri=tracking_uri, artifact_uri=artifact_uri)
    try:
        print(f"Writing the demo store to {client.tracking_uri} …", file=sys.stderr)
        summary = write_demo(
            client,
            scale="small" if args.small else "full",
            progress=lambda name: print(f"  {name}", file=sys.stderr),
        )
        print(
            f"{summary.experiments} experiments, {summary.runs} runs "
            f"({len(summary.running_run_ids)} running, 1 orphaned).",
            file=sys.stderr,
        )
        print(client.tracking_uri)
        if args.no_ui:
            return 0
        ticker = DemoTicker(client, summary.running_run_ids)
        ticker.start()
        try:
            _run_ui(client, args.refresh)
        finally:
            ticker.stop()
    finally:
        client.close()
    return 0


# --- listings ----------------------------------------------------------------------------


def _console() -> Console:
    """The terminal's width on a terminal; wide when piped, so lines stay whole for grep."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=240)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _all_experiments(client: TrackingClient, view: ViewType) -> list[Experiment]:
    experiments: list[Experiment] = []
    token: str | None = None
    while True:
        page = client.search_experiments(view_type=view, page_token=token)
        experiments.extend(page)
        token = page.token
        if not token:
            return experiments


def _experiments_list(client: TrackingClient, args: argparse.Namespace) -> int:
    """Most recently active first, with run counts: one store query per 1,000 experiments.
    Printed as plain aligned lines: a rich Table takes seconds to lay out 10,000 rows."""
    from tuitrack.tui.formatting import format_timestamp

    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    found: list[ExperimentActivity] = []
    token: str | None = None
    while True:
        page = client.store.search_experiment_activity(view, 1000, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            break
    if args.json:
        _print_json(
            [
                {
                    **a.experiment.model_dump(mode="json"),
                    "run_count": a.run_count,
                    "last_activity": a.last_activity,
                }
                for a in found
            ]
        )
        return 0
    header = ("ID", "Name", "Stage", "Runs", "Last activity", "Created", "Artifact location")
    rows = [header] + [
        (
            a.experiment.experiment_id,
            a.experiment.name,
            a.experiment.lifecycle_stage.value,
            str(a.run_count),
            format_timestamp(a.last_activity) if a.last_activity else "-",
            format_timestamp(a.experiment.creation_time),
            a.experiment.artifact_location,
        )
        for a in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i == 3 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        line = "  ".join([*cells, row[-1]])
        lines.append(line[:width] if width else line)
    print("\n".join(lines))
    return 0


def _resolve_experiments(
    client: TrackingClient, names_or_ids: Sequence[str] | None
) -> list[Experiment]:
    if not names_or_ids:
        return _all_experiments(client, ViewType.ACTIVE_ONLY)
    found = []
    for value in names_or_ids:
        experiment = client.get_experiment_by_name(value)
        if experiment is None:
            try:
                experiment = client.get_experiment(value)
            except NotFoundError:
                raise NotFoundError(
                    f"no experiment is named or has the id {value!r}; "
                    "`tuitrack experiments list` shows them"
                ) from None
        found.append(experiment)
    return found


def _runs_list(client: TrackingClient, args: argparse.Namespace) -> int:
    from rich.table import Table

    from tuitrack.orphans import OrphanPolicy
    from tuitrack.tui.formatting import (
        format_duration,
        format_metric,
        format_timestamp,
        run_duration_ms,
    )
    from tuitrack.tui.queries import default_columns, judge_page
    from tuitrack.tui.status import shown_status, status_label

    if args.max < 1:
        raise InvalidValueError(f"--max must be at least 1, got {args.max}")
    experiments = _resolve_experiments(client, args.experiment)
    runs: list[Run] = []
    token: str | None = None
    while len(runs) < args.max:  # runs at least once, so a bad filter is always reported
        page = client.search_runs(
            [e.experiment_id for e in experiments],
            filter_string=args.filter or None,
            max_results=min(args.max - len(runs), 1000),
            order_by=args.order_by,
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    if args.json:
        _print_json([r.model_dump(mode="json") for r in runs])
        return 0
    names = {e.experiment_id: e.name for e in experiments}
    metrics = default_columns(runs).metrics
    table = Table("Status", "Run id", "Name", "Experiment", "Start", "Duration", "User", box=None)
    for metric in metrics:
        table.add_column(metric, justify="right")
    for column in table.columns[:3]:
        column.no_wrap = True
    from tuitrack.store import now_ms

    now = now_ms()
    orphans = judge_page(client, runs, now, OrphanPolicy.from_environment())
    for run in runs:
        info = run.info
        table.add_row(
            status_label(shown_status(info, orphans.get(info.run_id))),
            info.run_id[:RUN_ID_SHORT],
            info.run_name or "",
            names.get(info.experiment_id, info.experiment_id),
            format_timestamp(info.start_time),
            format_duration(run_duration_ms(info, now)),
            info.user_id or "",
            *(format_metric(run.data.metrics.get(k)) for k in metrics),
        )
    _console().print(table)
    return 0


def _find_run(client: TrackingClient, run_id: str) -> str:
    """A full run id, or a unique prefix of one (as `runs list` prints them)."""
    if len(run_id) == 32 or not run_id.isalnum():
        return run_id
    if len(run_id) < RUN_ID_SHORT:
        raise InvalidValueError(
            f"run id {run_id!r} is too short: give the full id "
            f"or at least its first {RUN_ID_SHORT} characters"
        )
    ids = [e.experiment_id for e in _all_experiments(client, ViewType.ALL)]
    found = client.search_runs(
        ids, f"attributes.run_id LIKE '{run_id}%'", ViewType.ALL, max_results=2
    )
    if not found:
        raise NotFoundError(f"no run id starts with {run_id!r}")
    if len(found) > 1:
        raise InvalidValueError(f"run id prefix {run_id!r} matches several runs; give more of it")
    return found[0].info.run_id


def _runs_show(client: TrackingClient, args: argparse.Namespace) -> int:
    from rich.table import Table

    from tuitrack.orphans import OrphanPolicy
    from tuitrack.store import now_ms
    from tuitrack.tui.formatting import format_metric
    from tuitrack.tui.queries import load_run_detail
    from tuitrack.tui.widgets.run_overview import overview

    detail = load_run_detail(
        client, _find_run(client, args.run_id), now_ms(), OrphanPolicy.from_environment()
    )
    if args.json:
        _print_json(detail.run.model_dump(mode="json"))
        return 0
    console = _console()
    console.print(overview(detail, now_ms()))
    if detail.run.data.params:
        params = Table("Param", "Value", box=None, title="Params", title_justify="left")
        for key, value in sorted(detail.run.data.params.items()):
            params.add_row(key, value)
        console.print(params)
    if detail.metrics:
        metrics = Table(
            "Metric",
            "Latest",
            "Min",
            "Max",
            "Step",
            box=None,
            title="Metrics",
            title_justify="left",
        )
        for m in detail.metrics:
            metrics.add_row(
                m.key,
                format_metric(m.latest),
                format_metric(m.min_value),
                format_metric(m.max_value),
                str(m.step),
            )
        console.print(metrics)
    if detail.run.data.tags:
        tags = Table("Tag", "Value", box=None, title="Tags", title_justify="left")
        for key, value in sorted(detail.run.data.tags.items()):
            tags.add_row(key, value)
        console.print(tags)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from tuitrack import registry

    # A backend with a schema offers `<its package>.migrate.upgrade(uri)`.
    store_class = registry.tracking_store_class(args.target_uri)
    package = store_class.__module__.split(".")[0]
    try:
        upgrade = importlib.import_module(f"{package}.migrate").upgrade
    except (ImportError, AttributeError):
        raise InvalidValueError(
            f"the {package} backend of {args.target_uri!r} has no schema to upgrade"
        ) from None
    before, after = upgrade(registry.normalize_tracking_uri(args.target_uri))
    if before == after:
        print(f"{args.target_uri}: already at revision {after}")
    else:
        print(f"{args.target_uri}: upgraded from {before or 'empty'} to {after}")
    return 0


def _with_client(args: argparse.Namespace) -> int:
    with TrackingClient(tracking_uri=args.uri, artifact_uri=args.artifact_uri) as client:
        if args.command == "experiments":
            return _experiments_list(client, args)
        if args.command in ("plot", "compare"):
            return cli_plot.run(client, args, _find_run)
        if args.action == "list":
            return _runs_list(client, args)
        if args.action == "orphans":
            return cli_orphans.run(client, args, _resolve_experiments)
        return _runs_show(client, args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command in (None, "ui"):
            if args.command is None:
                args.refresh = 2.0
            return _ui(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "db":
            return _db_upgrade(args)
        if args.command == "import":
            return _import(args)
        return _with_client(args)
    except TuitrackError as error:
        print(f"tuitrack: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
