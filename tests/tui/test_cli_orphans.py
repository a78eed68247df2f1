"""`tuitrack runs orphans`: list with reasons, `--older-than`, `--json`, `--mark-failed`."""

from __future__ import annotations

import io
import json

import pytest

from tests.tui.test_cli import run_cli
from tests.tui.test_orphans_ui import _write_runs
from tuitrack.cli.orphans import parse_duration
from tuitrack.core.orphans import REASON_TAG
from tuitrack.entities import RunStatus
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient


def _orphans(
    client: TrackingClient, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    return run_cli(capsys, "--uri", client.tracking_uri, "runs", "orphans", *extra)


def test_lists_orphans_with_their_reasons_and_nothing_else(
    empty_client: TrackingClient, capsys: pytest.CaptureFixture[str]
) -> None:
    live_id, dead_id, _ = _write_runs(empty_client)
    code, out, _ = _orphans(empty_client, capsys)
    assert code == 0
    assert dead_id[:8] in out
    assert "heartbeat stale 60m" in out
    assert live_id[:8] not in out
    code, out, _ = _orphans(empty_client, capsys, "--json", "-e", "orphans")
    rows = json.loads(out)
    assert [(r["run_id"], r["run_name"], r["reason"]) for r in rows] == [
        (dead_id, "dead", "heartbeat stale 60m")
    ]
    assert rows[0]["experiment"] == "orphans"
    assert empty_client.get_run(dead_id).info.status is RunStatus.RUNNING  # listing writes nothing


def test_older_than_raises_the_threshold(
    empty_client: TrackingClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_runs(empty_client)
    code, out, _ = _orphans(empty_client, capsys, "--older-than", "2h")
    assert code == 0
    assert "No orphaned runs in 2 experiments" in out  # "orphans" and MLflow's Default
    code, out, _ = _orphans(empty_client, capsys, "--older-than", "30m", "--json")
    assert len(json.loads(out)) == 1


def test_mark_failed_asks_first(
    empty_client: TrackingClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live_id, dead_id, last_beat = _write_runs(empty_client)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, err = _orphans(empty_client, capsys, "--mark-failed")
    assert code == 1
    assert "Mark this run FAILED? [y/N]" in err
    assert "Nothing marked" in err
    assert empty_client.get_run(dead_id).info.status is RunStatus.RUNNING

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, _ = _orphans(empty_client, capsys, "--mark-failed")
    assert code == 0
    assert f"marked {dead_id[:8]} FAILED (heartbeat stale 60m)" in out
    dead = empty_client.get_run(dead_id)
    assert dead.info.status is RunStatus.FAILED
    assert dead.info.end_time == last_beat
    assert dead.data.tags[REASON_TAG] == "heartbeat stale 60m"
    assert empty_client.get_run(live_id).info.status is RunStatus.RUNNING


def test_mark_failed_with_yes_and_json(
    empty_client: TrackingClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _live_id, dead_id, _ = _write_runs(empty_client)
    code, _, err = _orphans(empty_client, capsys, "--mark-failed", "--json")
    assert code == 1
    assert "needs --yes" in err
    code, out, _ = _orphans(empty_client, capsys, "--mark-failed", "--json", "--yes")
    assert code == 0
    rows = json.loads(out)
    assert [(r["run_id"], r["marked"], r["refused"]) for r in rows] == [(dead_id, True, None)]
    code, out, _ = _orphans(empty_client, capsys, "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("10m", 600), ("2H", 7200)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10 minutes", "-5m", "0", "m"])
def test_bad_durations_name_the_value_and_the_forms(text: str) -> None:
    with pytest.raises(InvalidValueError, match=r"not a duration.*s, m, h or d"):
        parse_duration(text)


def test_bad_duration_is_one_line(
    empty_client: TrackingClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _orphans(empty_client, capsys, "--older-than", "soon")
    assert code == 1
    assert err.strip() == (
        "tuitrack: error: --older-than 'soon' is not a duration: give a positive number "
        "with an optional unit s, m, h or d (e.g. 90s, 10m, 2h)"
    )
