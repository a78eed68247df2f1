"""A process killed (SIGKILL) at any DDL statement while it creates a new store's schema:
the next process to open the store completes the schema and the store works.

MySQL/MariaDB commit every DDL statement on its own, so a kill there leaves a half-built
schema; every later open failed with "Table 'metric_series' already exists". SQLite and
PostgreSQL roll the whole upgrade back.

A driver script (below) installs a hook that counts the DDL statements sent to the
database and SIGKILLs its process at the N-th, before it is sent. For each kill point it
forks a child that opens a new store and dies at that statement, then forks a fresh child
that opens the same store (or runs what `tuitrack db upgrade` runs) and uses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tests.sdk.processes import REPO_ROOT

# A default run kills at a spread of the DDL statements; on MySQL/MariaDB also at those
# that begin or end a copy of data (the soak kills at every one). SQLite and PostgreSQL
# roll any kill back whole: the first and last statements show it there.
SPREAD = {"sqlite": 2, "postgresql": 2, "mysql": 2}
CRITICAL = (
    "DROP TABLE metrics",  # 0004: the points are in the copy only from here on
    "CREATE INDEX ix_metrics_series_id_step",  # 0004: new table made, points not back yet
    "DROP TABLE metrics_0004_copy",
    "ALTER TABLE",  # 0006: the first table moved to the exact collation
    "CREATE TABLE write_batches",
)


_DRIVER = r"""
import json, os, re, signal, sys, traceback

from sqlalchemy import Engine, event

_DDL = re.compile(r"\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)
_seen = []
_kill_at = 0


@event.listens_for(Engine, "before_cursor_execute")
def _count_ddl(conn, cursor, statement, parameters, context, executemany):
    if _DDL.match(statement):
        _seen.append(" ".join(statement.split())[:60])
        if len(_seen) == _kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tuitrack.entities import Metric, Param, RunTag
from tuitrack_sql import migrate, schema
from tuitrack_sql.store import SqlTrackingStore


def open_store(uri, artifacts):
    global _kill_at
    _kill_at = int(os.environ.get("KILL_AT_DDL", "0"))
    store = SqlTrackingStore(uri, artifacts)
    store.close()
    print(json.dumps({"ddl": _seen}), flush=True)  # when not killed: every DDL statement


def use_store(uri, artifacts, through_upgrade):
    if through_upgrade:  # what `tuitrack db upgrade URI` runs
        assert migrate.upgrade(uri)[1] == migrate.HEAD_REVISION
    store = SqlTrackingStore(uri, artifacts)
    with store.engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
    experiment = store.create_experiment("after-kill")
    run_id = store.create_run(experiment).info.run_id
    points = [Metric(key="loss", value=1 / (s + 1), step=s, timestamp=s) for s in range(300)]
    params, tags = [Param(key="lr", value="0.1")], [RunTag(key="team", value="cv")]
    store.log_batch(run_id, points, params, tags)
    store.log_metric_columns(run_id, ["loss", "acc"], [0.5, 0.9], [400, 400], [300, 300])
    assert len(store.get_metric_history(run_id, "loss")) == 301
    assert len(store.get_metric_history(run_id, "loss", max_points=10)) <= 10
    wanted = "metrics.acc > 0.5 and params.lr = '0.1' and tags.team = 'cv'"
    found = store.search_runs([experiment], wanted)
    assert [run.info.run_id for run in found] == [run_id]
    store.close()


def in_child(job):
    pid = os.fork()
    if pid == 0:
        try:
            job()
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    return os.waitpid(pid, 0)[1]


for line in sys.stdin:
    uri, artifacts, kill_at, through_upgrade = json.loads(line)
    os.environ["KILL_AT_DDL"] = str(kill_at)
    opened = in_child(lambda: open_store(uri, artifacts))
    os.environ["KILL_AT_DDL"] = "0"
    used = in_child(lambda: use_store(uri, artifacts, through_upgrade))
    killed = os.WIFSIGNALED(opened) and os.WTERMSIG(opened) == signal.SIGKILL
    print(json.dumps({"kill_at": kill_at, "killed": killed, "used": used == 0}), flush=True)
"""


class _Driver:
    """The driver script in its own process, fed one kill point at a time."""

    def __init__(self, tmp_path: Path) -> None:
        script = tmp_path / "migration_kill_driver.py"
        script.write_text(_DRIVER)
        self.stderr = tmp_path / "driver.err"
        with self.stderr.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(script)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=REPO_ROOT,
            )

    def kill_and_use(self, uri: str, artifacts: str, kill_at: int, through_upgrade: bool) -> Any:
        """Open a new store at `uri` killed at its `kill_at`-th DDL statement (0: never),
        then use it from a fresh process; the driver's report as a dict."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps([uri, artifacts, kill_at, through_upgrade]) + "\n")
        self.process.stdin.flush()
        report: dict[str, Any] = {}
        while "kill_at" not in report:
            line = self.process.stdout.readline()
            assert line, f"the driver died:\n{self.errors()}"
            report.update(json.loads(line))
        return report

    def errors(self) -> str:
        return self.stderr.read_text()[-4000:]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def _kill_points(kind: str, statements: list[str], every: bool) -> list[int]:
    total = len(statements)
    if every:
        return list(range(1, total + 1))
    spread = SPREAD[kind]
    points = {1 + round(index * (total - 1) / (spread - 1)) for index in range(spread)}
    for head in CRITICAL if kind == "mysql" else ():
        first = next((n for n, seen in enumerate(statements, 1) if seen.startswith(head)), None)
        if first is not None:
            points.add(first)
    return sorted(points)


def _check_kills(kind: str, tmp_path: Path, every: bool) -> None:
    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    artifacts = str(tmp_path / "artifacts")
    driver = _Driver(tmp_path)
    try:
        with fresh_database(kind, tmp_path) as uri:
            counted = driver.kill_and_use(uri, artifacts, 0, False)
        assert counted["used"], driver.errors()
        statements = counted["ddl"]
        assert len(statements) >= 20  # every revision's tables and indexes
        points = _kill_points(kind, statements, every)
        unusable = []
        for index, point in enumerate(points):
            with fresh_database(kind, tmp_path) as uri:
                # Every other store is completed by what `tuitrack db upgrade` runs.
                report = driver.kill_and_use(uri, artifacts, point, index % 2 == 1)
            assert report["killed"], f"no kill at DDL {point} of {len(statements)}"
            if not report["used"]:
                unusable.append(f"{point}: {statements[point - 1]}")
        assert not unusable, f"stores killed at these DDL fail: {unusable}\n{driver.errors()}"
    finally:
        driver.close()
    print(
        f"{kind}: {len(points)} of {len(statements)} kill points in "
        f"{time.monotonic() - started:.1f} s"
    )


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_a_store_killed_during_its_creation_opens_and_works(kind: str, tmp_path: Path) -> None:
    _check_kills(kind, tmp_path, every=False)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("TUITRACK_SOAK") != "1", reason="soak: set TUITRACK_SOAK=1")
@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_a_store_killed_at_every_ddl_statement_of_its_creation_opens_and_works(
    kind: str, tmp_path: Path
) -> None:
    _check_kills(kind, tmp_path, every=True)
