"""Exactly-once under faults: writer processes log through the SDK while the database's
connections are killed, its server restarts, the disk under SQLite fills and writers die
with SIGKILL; then every stored point is compared with what its writer logged.

    python benchmarks/fault_soak.py                   # 3 writers, 60 s per database
    python benchmarks/fault_soak.py --seconds 20      # a smoke run
    python benchmarks/fault_soak.py --databases postgresql --faults kill-connections

PostgreSQL and MariaDB run as private servers started for the soak (a temporary folder, a
free 127.0.0.1 port), never the shared ones; the disk-full fault mounts a small tmpfs and
needs root. Prints one row per database and exits 1 when a point was lost, stored twice or
stored wrong, or a writer failed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from benchmarks.soak.faults import FAULTS
from benchmarks.soak.run import SoakConfig, SoakResult, run_soak
from tests.databases import DATABASE_KINDS

COLUMNS = (
    "database",
    "faults injected",
    "writers",
    "runs",
    "accepted",
    "stored",
    "duplicates",
    "lost",
    "unconfirmed",
)
LEGEND = """\
writers:     processes started (those that replaced killed ones included)
accepted:    points for which log_metric returned, in writers that ended by themselves;
             for a writer killed with SIGKILL, the points its last confirmed flush covered
stored:      rows the store returns for those runs = accepted - lost + duplicates + unconfirmed
duplicates:  extra copies of a point logged once; lost: accepted points not stored
unconfirmed: stored points a killed writer logged after its last confirmed flush (not judged)
faults:      kill-conn rounds (connections killed), restarts (crashes among them),
             disk-full episodes, kill -9 of writers (each replaced by a new writer)"""


def comma_list(allowed: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in text.split(",") if name.strip())
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"{text!r}: unknown {', '.join(unknown) or 'empty list'}; "
                f"choose from {','.join(allowed)}"
            )
        return names

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=3, help="writer processes (default 3)")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="faults last this long per database (60)"
    )
    parser.add_argument(
        "--databases",
        type=comma_list(DATABASE_KINDS),
        default=DATABASE_KINDS,
        help=f"comma-separated, from {','.join(DATABASE_KINDS)} (default all)",
    )
    parser.add_argument(
        "--faults",
        type=comma_list(FAULTS),
        default=FAULTS,
        help=f"comma-separated, from {','.join(FAULTS)} (default all; each database gets "
        "those that apply to it)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="keep stores, server logs and writer logs here (default: a temporary "
        "folder, removed afterwards)",
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="points/s per writer (1000)")
    parser.add_argument(
        "--run-seconds", type=float, default=20.0, help="each writer starts a new run this often"
    )
    parser.add_argument("--tmpfs-mb", type=int, default=128, help="size of the tmpfs (128)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault schedule")
    args = parser.parse_args(argv)
    if args.writers < 1 or args.seconds <= 0:
        parser.error(f"--writers {args.writers} and --seconds {args.seconds} must be positive")
    return args


def table(results: list[SoakResult]) -> str:
    rows = [list(COLUMNS)]
    for result in results:
        if result.skipped or result.failure:
            why = f"skipped: {result.skipped}" if result.skipped else "FAILED (see below)"
            rows.append([result.database, why, *[""] * 7])
            continue
        numbers = (result.writers, result.runs, result.accepted, result.stored)
        rows.append(
            [
                result.database,
                result.faults,
                *(f"{n:,}" for n in numbers),
                *(f"{n:,}" for n in (result.duplicates, result.lost, result.unconfirmed)),
            ]
        )
    widths = [
        max(len(row[i]) for row in rows if row[2] or row is rows[0]) for i in range(len(COLUMNS))
    ]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Stop private servers and unmount the tmpfs on SIGTERM as on Ctrl-C, also when started
    # in the background (where SIGINT starts out ignored).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    data = args.data or Path(tempfile.mkdtemp(prefix="tuitrack-soak-"))
    results: list[SoakResult] = []
    try:
        for database in args.databases:
            print(f"{database}: {args.writers} writers, {args.seconds:g} s ...", flush=True)
            config = SoakConfig(
                database=database,
                faults=args.faults,
                data=data / database,
                writers=args.writers,
                seconds=args.seconds,
                rate=args.rate,
                run_seconds=args.run_seconds,
                seed=args.seed,
                tmpfs_mb=args.tmpfs_mb,
            )
            results.append(run_soak(config))
    except KeyboardInterrupt:
        print("interrupted; private servers stopped, tmpfs unmounted", file=sys.stderr)
        return 130
    finally:
        if args.data is None:
            shutil.rmtree(data, ignore_errors=True)
    print()
    print(table(results))
    print()
    print(LEGEND)
    for result in results:
        for note in result.notes + ([f"FAILED: {result.failure}"] if result.failure else []):
            print(f"{result.database}: {note}")
    failed = [r.database for r in results if not r.ok()]
    if failed:
        print(f"\nNOT exactly-once: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
