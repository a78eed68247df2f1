from __future__ import annotations

import math
import socket

import pytest

from tuitrack.core.orphans import OrphanPolicy, find_orphan
from tuitrack.entities import Run, RunData, RunInfo, RunStatus
from tuitrack.tui.formatting import (
    format_ago,
    format_duration,
    format_metric,
    format_timestamp,
    run_duration_ms,
    short_uri,
    sparkline,
    truncate,
)
from tuitrack.tui.status import (
    DisplayStatus,
    judge_runs,
    shown_status,
    status_glyph,
)

NOW = 1_750_000_000_000


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (45_000, "45s"),
        (192_000, "3m12s"),
        (2 * 3_600_000 + 5 * 60_000, "2h05m"),
        (3 * 86_400_000 + 4 * 3_600_000, "3d04h"),
    ],
)
def test_format_duration(ms: int | None, text: str) -> None:
    assert format_duration(ms) == text


def test_timestamps_are_utc_and_ago_counts_back_from_the_clock() -> None:
    assert format_timestamp(NOW) == "2025-06-15 15:06"
    assert format_ago(NOW - 90_000, NOW) == "1m30s ago"
    assert format_ago(None, NOW) == "-"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (0.123456789, "0.12346"),
        (12345678.0, "1.2346e+07"),
        (0.0, "0"),
    ],
)
def test_format_metric(value: float | None, text: str) -> None:
    assert format_metric(value) == text


def test_sparkline_resamples_and_skips_non_finite_points() -> None:
    line = sparkline([float(i) for i in range(100)] + [math.nan], width=10)
    assert len(line) == 10
    assert line[0] == "▁"
    assert line[-1] == "█"
    assert sparkline([]) == ""
    assert sparkline([2.0, 2.0]) == "▄▄"


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 4) == "abc"


def _info(status: RunStatus, heartbeat: int | None, end: int | None = None) -> RunInfo:
    return RunInfo(
        run_id="r",
        experiment_id="1",
        status=status,
        start_time=NOW - 3_600_000,
        end_time=end,
        heartbeat_time=heartbeat,
    )


POLICY = OrphanPolicy(stale_after_s=30.0, silence_after_s=1800.0)
ORPHAN_AFTER_MS = 30_000


def display_status(info: RunInfo, last_activity: int | None = None) -> DisplayStatus:
    """What the runs screen shows for one run judged at NOW."""
    return shown_status(info, find_orphan(info, {}, NOW, POLICY, last_activity))


def test_a_running_run_with_a_stale_heartbeat_is_orphaned() -> None:
    fresh = _info(RunStatus.RUNNING, NOW - 5_000)
    stale = _info(RunStatus.RUNNING, NOW - ORPHAN_AFTER_MS - 1)
    no_heartbeat = _info(RunStatus.RUNNING, None)
    finished = _info(RunStatus.FINISHED, NOW - 10 * ORPHAN_AFTER_MS, end=NOW - 1000)
    assert display_status(fresh) is DisplayStatus.RUNNING
    assert display_status(stale) is DisplayStatus.ORPHANED
    # No heartbeat at all: judged by its last activity against the longer threshold.
    assert display_status(no_heartbeat) is DisplayStatus.ORPHANED
    recent = NOW - 60_000
    assert display_status(no_heartbeat, last_activity=recent) is DisplayStatus.RUNNING
    assert display_status(finished) is DisplayStatus.FINISHED
    assert str(status_glyph(DisplayStatus.ORPHANED)) == "?"


def test_runs_on_another_host_are_judged_by_heartbeat_only() -> None:
    # pid 1 on "this host" would be alive; a made-up host is never probed.
    elsewhere = _info(RunStatus.RUNNING, NOW - 1_000).model_copy(
        update={"host": "not-this-host.example", "pid": 999_999_999}
    )
    assert display_status(elsewhere) is DisplayStatus.RUNNING
    here = elsewhere.model_copy(update={"host": socket.gethostname()})
    assert display_status(here) is DisplayStatus.ORPHANED


def test_judge_runs_gives_each_orphan_its_reason() -> None:
    runs = [
        Run(info=_info(RunStatus.RUNNING, NOW - 5_000).model_copy(update={"run_id": "a"})),
        Run(info=_info(RunStatus.RUNNING, NOW - 900_000).model_copy(update={"run_id": "b"})),
        Run(
            info=_info(RunStatus.FAILED, NOW - 900_000).model_copy(update={"run_id": "c"}),
            data=RunData(),
        ),
    ]
    verdicts = judge_runs(runs, NOW, POLICY, {})
    assert list(verdicts) == ["b"]
    assert verdicts["b"].reason == "heartbeat stale 15m"
    assert shown_status(runs[1].info, verdicts["b"]) is DisplayStatus.ORPHANED
    assert shown_status(runs[2].info, verdicts["b"]) is DisplayStatus.FAILED


def test_duration_of_a_running_run_counts_up_to_now() -> None:
    assert run_duration_ms(_info(RunStatus.RUNNING, NOW), NOW) == 3_600_000
    assert run_duration_ms(_info(RunStatus.FINISHED, None, end=NOW - 600_000), NOW) == 3_000_000


def test_short_uri_writes_the_home_folder_as_a_tilde(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ada")
    assert short_uri("sqlite:////home/ada/.local/share/t.db") == "sqlite:///~/.local/share/t.db"
    assert short_uri("sqlite:////home/adam/t.db") == "sqlite:////home/adam/t.db"
    assert short_uri("postgresql://u@db/runs") == "postgresql://u@db/runs"
    monkeypatch.setenv("HOME", "/")
    assert short_uri("sqlite:////srv/t.db") == "sqlite:////srv/t.db"
