"""The `tuitrack` command: the UI by default, plus demo, listings and database upgrades.

Textual is imported only when a UI starts, so the listing commands stay quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tuitrack import __version__
from tuitrack.cli import json_output
from tuitrack.cli import orphans as cli_orphans
from tuitrack.cli import plot as cli_plot
from tuitrack.core import config, gc_pause
from tuitrack.entities import Experiment, Run, ViewType
from tuitrack.errors import InvalidValueError, NotFoundError, TuitrackError
from tuitrack.sdk import store_opening
from tuitrack.sdk.client import TrackingClient
from tuitrack.server import command as server_command

if TYPE_CHECKING:
    from tuitrack.cli.demo import Scale
    from tuitrack.core.store import ExperimentActivity

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
        help=f"tracking store URI (default: ${config.TRACKING_URI_ENV}, "
        f"${config.MLFLOW_TRACKING_URI_ENV} or the local SQLite store)",
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

    demo = commands.add_parser(
        "demo", help="open the demo store in the TUI (written on first use, then reopened)"
    )
    demo.add_argument(
        "target_uri",
        nargs="?",
        metavar="URI",
        help="write into this store instead of the demo's own store under the data folder",
    )
    demo.add_argument("--no-ui", action="store_true", help="only write the store and print its URI")
    demo.add_argument("--small", action="store_true", help="a few runs instead of hundreds")
    demo.add_argument(
        "--reset", action="store_true", help="rebuild the demo's own store from scratch"
    )
    _add_ui_options(demo)

    experiments = commands.add_parser("experiments", help="list experiments")
    experiment_commands = experiments.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = experiment_commands.add_parser("list", help="list experiments")
    listing.add_argument(
        "--all",
        action="store_true",
        help="include deleted experiments and the Default one while it has no runs",
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_table_options(listing, "id, name, stage, runs, last_activity, created, artifact_location")

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
    _add_table_options(
        runs_list,
        "status, id, name, experiment, start, end, duration, user, "
        "metrics.KEY, params.KEY, tags.KEY",
    )
    show = run_commands.add_parser("show", help="show one run")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of tables")
    show.add_argument(
        "--wide", action="store_true", help="keys and values in full, however wide the terminal"
    )
    cli_orphans.add_parser(run_commands)
    cli_plot.add_parsers(commands)
    server_command.add_parser(commands)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or migrate a store's schema")
    upgrade.add_argument("target_uri", nargs="?", metavar="URI", help="tracking store URI")

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
    nested = (experiment_commands, run_commands, db_commands)
    for command in [*commands.choices.values(), *(p for n in nested for p in n.choices.values())]:
        _add_store_options(command)
    return parser


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    """`--uri` and `--artifact-uri` after the command too (`tuitrack runs list --uri X`).
    Their defaults are suppressed, so a value given before the command stays."""
    parser.add_argument(
        "--uri", default=argparse.SUPPRESS, help="tracking store URI (also before the command)"
    )
    parser.add_argument(
        "--artifact-uri",
        default=argparse.SUPPRESS,
        help="artifact root for new experiments (also before the command)",
    )


def _add_table_options(parser: argparse.ArgumentParser, column_names: str) -> None:
    parser.add_argument(
        "--wide", action="store_true", help="every column in full, however wide the terminal"
    )
    parser.add_argument(
        "--columns",
        metavar="NAME,...",
        help=f"the columns to show, in order: {column_names} "
        "(default: the usual ones that fit the terminal)",
    )


def _import(args: argparse.Namespace) -> int:
    from tuitrack.cli.importer import run_import

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
    """Open an existing store to browse it (store_opening: nothing is created) and make one
    cheap query, so a bad URI fails here in one line."""
    client = store_opening.open_for_browsing(tracking_uri, artifact_uri)
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
    from tuitrack.cli.demo import DemoTicker, write_demo
    from tuitrack.cli.demo_folder import DemoFolder
    from tuitrack.tui.formatting import format_timestamp

    scale: Scale = "small" if args.small else "full"
    tracking_uri = args.target_uri or args.uri
    artifact_uri = args.artifact_uri
    folder: DemoFolder | None = None
    if tracking_uri is None:
        # The demo's own store, never the user's runs: built on first use, then reopened.
        folder = DemoFolder(config.data_dir() / DEMO_DIR_NAME)
        tracking_uri = folder.tracking_uri
        artifact_uri = artifact_uri or folder.artifact_uri
    elif args.reset:
        raise InvalidValueError(
            f"--reset rebuilds only the demo's own store; it never deletes runs in {tracking_uri}"
        )
    built = folder.built() if folder is not None else None
    reason = folder.rebuild_reason(scale, args.reset) if folder is not None else None
    if folder is not None and built is not None and reason is None:
        print(
            f"Reopening the demo store {tracking_uri} (built {format_timestamp(built.built_at)} "
            "UTC; `tuitrack demo --reset` rebuilds it).",
            file=sys.stderr,
        )
        client = TrackingClient(tracking_uri=tracking_uri, artifact_uri=artifact_uri)
        summary = built.summary
    else:
        if folder is not None:
            print(f"Building the demo store {tracking_uri} ({reason}) …", file=sys.stderr)
            folder.clear()
        client = TrackingClient(tracking_uri=tracking_uri, artifact_uri=artifact_uri)
        if folder is None:
            print(f"Writing the demo into {tracking_uri} …", file=sys.stderr)
        try:
            summary = write_demo(
                client, scale=scale, progress=lambda name: print(f"  {name}", file=sys.stderr)
            )
        except BaseException:
            client.close()
            raise
        if folder is not None:
            folder.mark_built(scale, summary)
    try:
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


def _print_json(data: Any) -> None:
    print(json_output.dumps(data))


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
    """Most recently active first, with run counts: one store query per 1,000 experiments."""
    from tuitrack.cli.listings import experiments_table, print_tables
    from tuitrack.core.default_experiment import without_empty_default

    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    found: list[ExperimentActivity] = []
    token: str | None = None
    while True:
        page = client.store.search_experiment_activity(view, 1000, page_token=token)
        found.extend(page if args.all else without_empty_default(page))
        token = page.token
        if not token:
            break
    if args.json:
        _print_json(
            [
                {
                    **a.experiment.model_dump(mode="json"),
                    "run_count": a.run_count,
                    "run_count_exact": a.run_count_exact,
                    "last_activity": a.last_activity,
                }
                for a in found
            ]
        )
        return 0
    table = experiments_table(found, show_stage=args.all, columns=args.columns, wide=args.wide)
    print_tables([table])
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
    from tuitrack.cli.listings import print_tables, runs_table
    from tuitrack.core.orphans import OrphanPolicy
    from tuitrack.core.store import now_ms
    from tuitrack.tui.queries import default_columns, judge_page

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
    now = now_ms()
    orphans = judge_page(client, runs, now, OrphanPolicy.from_environment())
    table = runs_table(
        runs,
        names,
        orphans,
        now,
        metrics=default_columns(runs).metrics,
        id_length=RUN_ID_SHORT,
        columns=args.columns,
        wide=args.wide,
    )
    print_tables([table])
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
    from tuitrack.cli.listings import print_tables, run_detail_tables
    from tuitrack.core.orphans import OrphanPolicy
    from tuitrack.core.store import now_ms
    from tuitrack.tui.queries import load_run_detail
    from tuitrack.tui.run_overview import overview

    detail = load_run_detail(
        client, _find_run(client, args.run_id), now_ms(), OrphanPolicy.from_environment()
    )
    if args.json:
        _print_json(detail.run.model_dump(mode="json"))
        return 0
    print_tables(run_detail_tables(detail, wide=args.wide), before=overview(detail, now_ms()))
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from tuitrack.core import registry

    uri = args.target_uri or args.uri
    if not uri:
        raise InvalidValueError(
            "db upgrade needs the store's URI: tuitrack db upgrade URI "
            "(e.g. postgresql://user@host/db or sqlite:///path/to/runs.db)"
        )
    # A backend with a schema offers `<its package>.migrate.upgrade(uri)`.
    store_class = registry.tracking_store_class(uri)
    package = store_class.__module__.split(".")[0]
    try:
        upgrade = importlib.import_module(f"{package}.migrate").upgrade
    except (ImportError, AttributeError):
        raise InvalidValueError(
            f"the {package} backend of {uri!r} has no schema to upgrade"
        ) from None
    before, after = upgrade(registry.normalize_tracking_uri(uri))
    if before == after:
        print(f"{uri}: already at revision {after}")
    else:
        print(f"{uri}: upgraded from {before or 'empty'} to {after}")
    return 0


def _with_client(args: argparse.Namespace) -> int:
    with _open_client(args.uri, args.artifact_uri) as client:
        code = _run_command(client, args)
        if code == 0 and store_opening.is_unsaved(client):  # an empty listing: say why
            print(
                f"tuitrack: no runs yet: nothing has been logged to the default store "
                f"{client.tracking_uri}. Log a run from Python "
                "(`with tuitrack.start_run(): tuitrack.log_metric(...)`), or try `tuitrack demo`.",
                file=sys.stderr,
            )
        return code


def _run_command(client: TrackingClient, args: argparse.Namespace) -> int:
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
    with gc_pause.own_process():  # bulk reads may pause the collector here, not in the SDK
        return _command(argv)


def _command(argv: Sequence[str] | None) -> int:
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
        if args.command == "server":
            return server_command.run(args)
        return _with_client(args)
    except TuitrackError as error:
        print(f"tuitrack: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a file or terminal the user named or set up: say which
        print(f"tuitrack: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
