"""One soak: writer processes log into one database while faults strike, then the check.

`run_soak` sets up the store (a private server, or a SQLite file, on a small tmpfs when the
disk is to fill), starts the writers and the injectors, stops the faults at the deadline,
lets the writers finish against a healthy store, and compares every run's stored points
with what its writer logged. Everything it started is stopped, even on Ctrl-C.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.soak.faults import (
    DISK_FULL,
    KILL_CONNECTIONS,
    KILL_WRITERS,
    RESTART,
    SERVER_FAULTS,
    ConnectionKiller,
    DiskFiller,
    FaultUnavailableError,
    Injector,
    ServerRestarter,
    WriterKiller,
    small_tmpfs,
)
from benchmarks.soak.pool import WriterPool, WriterRecord
from benchmarks.soak.verify import RunCheck, check_run
from benchmarks.soak.writer import FINAL_FLUSH_SECONDS
from tests.private_servers import PrivateServer, ServerUnavailableError, private_server
from tuitrack.entities import RunStatus
from tuitrack.sdk.client import TrackingClient

EXPERIMENT = "fault-soak"
DATABASE = "soak"
_STARTUP_SECONDS = 2.0  # writers import the SDK and start their first run meanwhile
_MAX_NOTES_PER_KIND = 4
_TMPFS_FULL_SHARE = 0.75
_RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")
_NUMBERS = re.compile(r"\d+")
_BENIGN = "(from TUITRACK_EXPERIMENT_NAME)"  # the SDK saying which experiment it logs to


@dataclass(frozen=True)
class SoakConfig:
    database: str  # sqlite, postgresql or mysql
    faults: tuple[str, ...]
    data: Path
    writers: int = 3
    seconds: float = 60.0
    rate: float = 1000.0  # points per second per writer
    run_seconds: float = 20.0
    seed: int = 0
    tmpfs_mb: int = 128

    def applicable_faults(self) -> tuple[str, ...]:
        """The server faults need a server; the disk fills only under SQLite."""
        server = self.database != "sqlite"
        return tuple(f for f in self.faults if (f in SERVER_FAULTS) == server or f == KILL_WRITERS)


@dataclass
class SoakResult:
    database: str
    faults: str = ""
    writers: int = 0
    runs: int = 0
    accepted: int = 0
    stored: int = 0
    duplicates: int = 0
    lost: int = 0
    unconfirmed: int = 0
    wrong: int = 0
    crashed_writers: int = 0
    skipped: str | None = None
    failure: str | None = None
    strikes: dict[str, int] = field(default_factory=dict)  # per injector label
    # Runs that end_run ended (their writer finished) but whose status is not FINISHED.
    unfinished_runs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        if self.failure is not None:
            return False
        return self.skipped is not None or not (
            self.lost or self.duplicates or self.wrong or self.crashed_writers
        )

    def add(self, check: RunCheck) -> None:
        self.runs += 1
        self.accepted += check.accepted
        self.stored += check.stored
        self.duplicates += check.duplicates
        self.lost += check.lost
        self.unconfirmed += check.unconfirmed
        self.wrong += check.wrong


def run_soak(config: SoakConfig) -> SoakResult:
    result = SoakResult(config.database)
    faults = config.applicable_faults()
    skipped = sorted(set(config.faults) - set(faults))
    if skipped:
        result.notes.append(f"not applicable to {config.database}: {', '.join(skipped)}")
    config.data.mkdir(parents=True, exist_ok=True)
    started = False
    try:
        with _store(config, faults) as (uri, server, tmpfs):
            started = True
            _soak(config, faults, uri, server, tmpfs, result)
    except (ServerUnavailableError, FaultUnavailableError) as error:
        if not started:  # this machine cannot run it: no server binaries, no tmpfs
            result.skipped = str(error).splitlines()[0]
        else:  # e.g. the server did not come back after a restart
            result.failure = str(error)
    return result


@contextmanager
def _store(
    config: SoakConfig, faults: tuple[str, ...]
) -> Iterator[tuple[str, PrivateServer | None, Path | None]]:
    """The tracking URI of an empty store with the soak's experiment in it."""
    with ExitStack() as stack:
        server: PrivateServer | None = None
        tmpfs: Path | None = None
        if config.database == "sqlite":
            folder = config.data / "sqlite"
            if DISK_FULL in faults:
                tmpfs = folder = stack.enter_context(
                    small_tmpfs(config.data / "tmpfs", config.tmpfs_mb)
                )
            folder.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{folder / 'tracking.db'}"
        else:
            server = stack.enter_context(private_server(config.database, config.data))
            uri = server.create_database(DATABASE)
        client = TrackingClient(uri, artifact_uri=str(config.data / "artifacts"))
        try:
            client.create_experiment(EXPERIMENT)
        finally:
            client.close()
        yield uri, server, tmpfs


def _soak(
    config: SoakConfig,
    faults: tuple[str, ...],
    uri: str,
    server: PrivateServer | None,
    tmpfs: Path | None,
    result: SoakResult,
) -> None:
    log_dir = config.data / "logs"
    log_dir.mkdir(exist_ok=True)
    until = time.time() + _STARTUP_SECONDS + config.seconds
    pool = WriterPool(_writer_env(config, uri), until, config.rate, config.run_seconds, log_dir)
    injectors = _injectors(config, faults, server, tmpfs, pool)
    try:
        for _ in range(config.writers):
            pool.spawn()
        for injector in injectors:
            injector.start()
        time.sleep(max(until - time.time(), 0.0))
        for injector in injectors:
            injector.stop()
        if server is not None and not server.is_running():
            server.start()
        pool.wait(FINAL_FLUSH_SECONDS + 60.0)
    finally:
        for injector in injectors:  # a restart under way completes before the server stops
            injector.stop_event.set()
            if injector.is_alive():
                injector.join()
        pool.kill_all()
    if tmpfs is not None:
        _note_tmpfs_use(tmpfs, result)
    result.faults = ", ".join(i.summary() for i in injectors) or "none"
    result.strikes = {i.label: i.strikes for i in injectors}
    result.writers = len(pool.records)
    _check(uri, config.data, pool.records, result)
    _note_problems(pool.records, injectors, result)


def _note_tmpfs_use(tmpfs: Path, result: SoakResult) -> None:
    usage = shutil.disk_usage(tmpfs)
    if usage.used > usage.total * _TMPFS_FULL_SHARE:
        result.notes.append(
            f"the store alone fills {usage.used / usage.total:.0%} of the tmpfs: "
            "raise --tmpfs-mb, or the disk stays full after the filler is gone"
        )


def _writer_env(config: SoakConfig, uri: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("TUITRACK_")},
        "XDG_DATA_HOME": str(config.data / "xdg"),
        "TUITRACK_TRACKING_URI": uri,
        "TUITRACK_ARTIFACT_URI": str(config.data / "artifacts"),
        "TUITRACK_EXPERIMENT_NAME": EXPERIMENT,
        "TUITRACK_CAPTURE_ENV": "0",
        "TUITRACK_CAPTURE_GIT": "0",
        "PYTHONUNBUFFERED": "1",
    }


def _injectors(
    config: SoakConfig,
    faults: tuple[str, ...],
    server: PrivateServer | None,
    tmpfs: Path | None,
    pool: WriterPool,
) -> list[Injector]:
    rng = random.Random(config.seed)
    every = max(config.seconds / 6, 3.0)
    injectors: list[Injector] = []
    if server is not None and KILL_CONNECTIONS in faults:
        injectors.append(ConnectionKiller(random.Random(rng.random()), server, DATABASE))
    if server is not None and RESTART in faults:
        injectors.append(ServerRestarter(random.Random(rng.random()), server, every))
    if tmpfs is not None:
        injectors.append(DiskFiller(random.Random(rng.random()), tmpfs, every))
    if KILL_WRITERS in faults:
        kill_every = max(config.seconds / 3, 4.0)
        injectors.append(WriterKiller(random.Random(rng.random()), pool, kill_every))
    return injectors


def _check(uri: str, data: Path, records: list[WriterRecord], result: SoakResult) -> None:
    client = TrackingClient(uri, artifact_uri=str(data / "artifacts"))
    try:
        for record in records:
            for run_id in record.runs:
                result.add(check_run(client, run_id, record.accepted(run_id)))
                status = client.get_run(run_id).info.status
                if record.finished and status != RunStatus.FINISHED:
                    result.unfinished_runs.append(f"{run_id} {status.value}")
    finally:
        client.close()


def _note_problems(
    records: list[WriterRecord], injectors: list[Injector], result: SoakResult
) -> None:
    if result.unfinished_runs:
        result.notes.append(
            f"{len(result.unfinished_runs)} runs ended with end_run() are not FINISHED: "
            + ", ".join(result.unfinished_runs[:_MAX_NOTES_PER_KIND])
        )
    if result.wrong:
        result.notes.append(f"{result.wrong} stored points match no point a writer logged")
    _note_writers(records, result)
    failures = [f for r in records for f in r.start_failures]
    if failures:
        result.notes.append(
            f"start_run raised {len(failures)} times (retried); first: {failures[0]}"
        )
    messages = _stderr_messages(records)
    for line, count in messages.most_common(_MAX_NOTES_PER_KIND):
        result.notes.append(f"writer stderr, {count}x: {line}")
    if len(messages) > _MAX_NOTES_PER_KIND:
        result.notes.append(f"... and {len(messages) - _MAX_NOTES_PER_KIND} other stderr lines")
    for injector in injectors:
        for failure in sorted(set(injector.failures))[:_MAX_NOTES_PER_KIND]:
            result.notes.append(f"{injector.label} could not strike: {failure}")


def _note_writers(records: list[WriterRecord], result: SoakResult) -> None:
    """Count the crashed writers and note each, and each final flush left unconfirmed."""
    for record in records:
        if record.crashed():
            result.crashed_writers += 1
            state = (
                "hung, killed at the end" if record.hung else f"exit {record.process.returncode}"
            )
            result.notes.append(
                f"writer {record.index} did not finish ({state}): "
                f"{record.stderr_tail(3) or 'no stderr'}"
            )
        elif record.finished and not record.final_confirmed:
            result.notes.append(
                f"writer {record.index}: its last flush was not confirmed within "
                f"{FINAL_FLUSH_SECONDS:.0f} s of a healthy store"
            )


def _stderr_messages(records: list[WriterRecord]) -> Counter[str]:
    """Writers' stderr lines with run ids, ports and numbers blanked, counted."""
    messages: Counter[str] = Counter()
    for record in records:
        try:
            text = record.stderr_path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if line.strip() and _BENIGN not in line:
                messages[_NUMBERS.sub("#", _RUN_ID.sub("<run>", line.strip()))[:160]] += 1
    return messages
