"""Exactly-once delivery under faults: the core of benchmarks/fault_soak.py, short.

Writer processes log known points through the fluent SDK while writers are killed with
SIGKILL (SQLite), or while a private PostgreSQL server's connections are killed and the
server restarts; afterwards every point a writer had logged (a killed writer: every point
its last confirmed flush covered) is stored exactly once. The long variants, every fault
on every database for a minute, run with TUITRACK_SOAK=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.soak.faults import (
    DISK_FULL,
    FAULTS,
    KILL_CONNECTIONS,
    KILL_WRITERS,
    RESTART,
    ConnectionKiller,
    ServerRestarter,
    WriterKiller,
    tmpfs_unavailable_reason,
)
from benchmarks.soak.run import SoakConfig, SoakResult, run_soak
from tests.databases import DATABASE_KINDS
from tests.private_servers import unavailable_reason

SMOKE_SECONDS = 10.0
SOAK_SECONDS = 60.0


def _assert_exactly_once(result: SoakResult) -> None:
    report = f"{result}\n" + "\n".join(result.notes)
    assert result.skipped is None, report
    assert result.accepted > 0, report
    assert result.duplicates == 0, report
    assert result.lost == 0, report
    assert result.wrong == 0, report
    assert result.crashed_writers == 0, report


def test_sqlite_writers_killed_with_sigkill(tmp_path: Path) -> None:
    result = run_soak(
        SoakConfig("sqlite", (KILL_WRITERS,), tmp_path, writers=2, seconds=SMOKE_SECONDS)
    )
    _assert_exactly_once(result)
    assert result.strikes[WriterKiller.label] >= 1, result.faults


@pytest.mark.skipif(
    unavailable_reason("postgresql") is not None,
    reason=f"no private PostgreSQL server: {unavailable_reason('postgresql')}",
)
def test_private_postgres_connections_killed_and_server_restarted(tmp_path: Path) -> None:
    faults = (KILL_CONNECTIONS, RESTART, KILL_WRITERS)
    result = run_soak(SoakConfig("postgresql", faults, tmp_path, writers=2, seconds=SMOKE_SECONDS))
    _assert_exactly_once(result)
    assert result.strikes[ConnectionKiller.label] >= 1, result.faults
    assert result.strikes[ServerRestarter.label] >= 1, result.faults


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("TUITRACK_SOAK"), reason="the minute-long soak runs with TUITRACK_SOAK=1"
)
@pytest.mark.parametrize("database", DATABASE_KINDS)
def test_every_fault_for_a_minute(database: str, tmp_path: Path) -> None:
    if database != "sqlite" and unavailable_reason(database):
        pytest.skip(f"no private {database} server: {unavailable_reason(database)}")
    faults = FAULTS if tmpfs_unavailable_reason() is None else tuple(set(FAULTS) - {DISK_FULL})
    result = run_soak(SoakConfig(database, faults, tmp_path, writers=3, seconds=SOAK_SECONDS))
    _assert_exactly_once(result)
