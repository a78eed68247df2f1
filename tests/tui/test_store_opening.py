"""Opening stores from the command line and the TUI: reading never creates a store, stores
that cannot be written open read-only, and a wrong path is one line naming it and the fix.

Read-only conditions are real ones root cannot bypass (tests/read_only_paths.py): an
immutable folder, a read-only bind mount, another user's process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.config import Config

from tests.read_only_paths import read_only_folder
from tests.tui.helpers import settle
from tests.tui.test_app import open_experiment
from tests.tui.test_cli import run_cli
from tuitrack.core import config
from tuitrack.core.store import now_ms
from tuitrack.entities import RunStatus
from tuitrack.sdk import store_opening
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.base import TitleLine
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack_sql import migrate
from tuitrack_sql.engine import make_engine

HOUR_MS = 3_600_000
NO_RUN = "0" * 32

# --- paths where no store is, and every command that only reads ---------------------------


def _make_bad_paths(root: Path) -> dict[str, tuple[Path, str]]:
    """Name -> (a path given as the store, what the error must say about it)."""
    (root / "notes.txt").write_text("not a folder\n")
    (root / "adir.db").mkdir()
    (root / "empty.db").touch()
    return {
        "missing file": (root / "typo.db", "no such file"),
        "missing folders": (root / "nonexistent" / "dir" / "runs.db", "no folder"),
        "under a file": (root / "notes.txt" / "runs.db", "is a file, not a folder"),
        "a folder": (root / "adir.db", "is a folder, not a SQLite database file"),
        "an empty file": (root / "empty.db", "has no tuitrack tables"),
    }


BAD_PATHS = ("missing file", "missing folders", "under a file", "a folder", "an empty file")
# `--refresh -1`: a UI that got past opening the store stops with its own error instead of
# starting in the test. `import` reads the store it copies from.
READ_COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "ui": lambda uri: ["ui", uri, "--refresh", "-1"],
    "import (its source)": lambda uri: ["import", uri, "--into", f"{uri}-copy.db"],
    "experiments list": lambda uri: ["--uri", uri, "experiments", "list"],
    "runs list": lambda uri: ["--uri", uri, "runs", "list"],
    "runs show": lambda uri: ["--uri", uri, "runs", "show", NO_RUN],
    "runs orphans": lambda uri: ["--uri", uri, "runs", "orphans"],
    "plot": lambda uri: ["--uri", uri, "plot", NO_RUN, "-m", "loss"],
    "compare": lambda uri: ["--uri", uri, "compare", NO_RUN, "1" * 32],
}


def _tree(root: Path) -> dict[str, int]:
    """Every path under `root` with its size: what a command must leave as it found it."""
    return {
        str(path.relative_to(root)): path.stat().st_size if path.is_file() else -1
        for path in root.rglob("*")
    }


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tuitrack: error: "), err
    return lines[0]


@pytest.mark.parametrize("command", list(READ_COMMANDS))
@pytest.mark.parametrize("bad", BAD_PATHS)
def test_reading_a_path_without_a_store_creates_nothing_and_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: str, command: str
) -> None:
    root = tmp_path / "stores"
    root.mkdir()
    path, reason = _make_bad_paths(root)[bad]
    before = _tree(tmp_path)
    code, out, err = run_cli(capsys, *READ_COMMANDS[command](str(path)))
    assert code == 1
    assert out == ""
    line = _one_error_line(err)
    assert str(path) in line
    assert reason in line
    if bad in ("missing file", "missing folders", "an empty file"):
        assert "tuitrack db upgrade" in line  # how to create one
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    ("bad", "reason"),
    [("under a file", "is a file, not a folder"), ("a folder", "is a folder")],
)
def test_creating_a_store_where_none_can_be_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: str, reason: str
) -> None:
    path = _make_bad_paths(tmp_path)[bad][0]
    code, _out, err = run_cli(capsys, "db", "upgrade", str(path))
    assert code == 1
    line = _one_error_line(err)
    assert str(path) in line
    assert reason in line


def test_creating_a_store_in_a_read_only_folder_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    with read_only_folder(folder):
        code, _, err = run_cli(capsys, "db", "upgrade", str(folder / "runs.db"))
    assert code == 1
    line = _one_error_line(err)
    assert f"cannot create a tuitrack store at {folder / 'runs.db'}" in line
    assert "read-only" in line
    assert not (folder / "runs.db").exists()


# --- the default store before anything was logged ---------------------------------------


def test_listing_the_default_store_before_any_run_is_empty_with_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["experiments", "list"], ["runs", "list"], ["runs", "orphans"]):
        code, _out, err = run_cli(capsys, *argv)
        assert code == 0, err
        assert "no runs yet" in err
        assert "tuitrack.start_run()" in err
        assert "tuitrack demo" in err
    assert not config.data_dir().exists()  # the default store is still not there


async def test_the_tui_on_the_default_store_before_any_run_says_how_to_log_one() -> None:
    client = store_opening.open_for_browsing(None, None)  # as `tuitrack` opens it
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        note = app.screen.query_one("#experiments-empty")
        assert note.display
        assert "tuitrack.start_run()" in str(note.render())
    assert not config.data_dir().exists()


# --- stores this user cannot write ------------------------------------------------------


def _write_store(path: Path) -> str:
    """A store with one orphaned run (its heartbeat an hour old, on another host)."""
    with TrackingClient(str(path), artifact_uri=str(path.parent / "artifacts")) as client:
        experiment = client.create_experiment("shared")
        now = now_ms()
        run = client.create_run(
            experiment, run_name="orphan", start_time=now - 3 * HOUR_MS, host="gpu-node-17.example"
        )
        client.store.record_heartbeat(run.info.run_id, now - HOUR_MS)
        client.log_metric(run.info.run_id, "loss", 0.25)
    return run.info.run_id


def _status(path: Path, run_id: str) -> RunStatus:
    with TrackingClient(str(path), artifact_uri=str(path.parent / "artifacts")) as client:
        return client.get_run(run_id).info.status


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A WAL store with an orphaned run, in a folder that takes no new files: SQLite cannot
    make the -wal and -shm files a reader of a WAL database normally needs."""
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "runs.db"
    run_id = _write_store(path)
    assert not (folder / "runs.db-wal").exists()
    with read_only_folder(folder):
        yield path, run_id


def test_a_store_in_a_read_only_folder_is_browsed(
    capsys: pytest.CaptureFixture[str], read_only_store: tuple[Path, str]
) -> None:
    path, run_id = read_only_store
    before = _tree(path.parent)
    code, out, err = run_cli(capsys, "--uri", str(path), "experiments", "list")
    assert (code, err) == (0, "")
    assert "shared" in out
    code, out, err = run_cli(capsys, "--uri", str(path), "runs", "list")
    assert (code, err) == (0, "")
    assert run_id[:8] in out
    code, out, err = run_cli(capsys, "--uri", str(path), "runs", "show", run_id)
    assert (code, err) == (0, "")
    assert "0.25" in out
    code, out, err = run_cli(capsys, "--uri", str(path), "runs", "orphans")
    assert (code, err) == (0, "")
    assert run_id[:8] in out
    assert _tree(path.parent) == before


def test_marking_runs_failed_in_a_read_only_store_is_one_line(
    capsys: pytest.CaptureFixture[str], read_only_store: tuple[Path, str]
) -> None:
    path, run_id = read_only_store
    code, _out, err = run_cli(
        capsys, "--uri", str(path), "runs", "orphans", "--mark-failed", "--yes"
    )
    assert code == 1
    line = _one_error_line(err)
    assert "cannot mark runs FAILED" in line
    assert f"the store {path} is read-only" in line
    assert _status(path, run_id) is RunStatus.RUNNING


async def test_the_tui_says_a_read_only_store_takes_no_marks(
    read_only_store: tuple[Path, str],
) -> None:
    path, run_id = read_only_store
    client = store_opening.open_for_browsing(str(path), None)
    app = TuitrackApp(client, refresh_seconds=0)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert "read-only" in str(app.screen.query_one(TitleLine).content)
        await open_experiment(pilot, client, "shared")
        await pilot.press("F")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any(
            "Cannot mark runs FAILED" in m and f"the store {path} is read-only" in m
            for m in messages
        ), messages
        assert app.is_running
    client.close()
    assert _status(path, run_id) is RunStatus.RUNNING


def test_an_old_read_only_store_asks_for_an_upgrade_where_it_can_be_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from alembic import command

    folder = tmp_path / "shared"
    folder.mkdir()
    uri = f"sqlite:///{folder / 'old.db'}"
    engine = make_engine(uri)
    with engine.connect() as connection:
        alembic = Config()
        alembic.set_main_option("script_location", migrate.MIGRATIONS_DIR)
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0005")
        connection.commit()
    engine.dispose()
    with read_only_folder(folder):
        code, _, err = run_cli(capsys, "--uri", uri, "runs", "list")
        assert code == 1
        line = _one_error_line(err)
        assert "revision 0005" in line
        assert f"tuitrack db upgrade {uri}" in line
        code, _, err = run_cli(capsys, "db", "upgrade", uri)
        assert code == 1
        assert "read-only" in _one_error_line(err)


def _mount(*args: str) -> str | None:
    if shutil.which("mount") is None:
        return "mount is not installed"
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def test_a_store_on_a_read_only_mount_shows_what_a_live_writer_logged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The writer's data is still in its -wal file (not yet checkpointed); a reader on a
    read-only view of the folder reads it through the writer's -wal and -shm files."""
    source, mounted = tmp_path / "source", tmp_path / "mounted"
    source.mkdir()
    mounted.mkdir()
    writer = TrackingClient(str(source / "runs.db"), artifact_uri=str(source / "artifacts"))
    experiment = writer.create_experiment("live")
    run_id = writer.create_run(experiment, run_name="training").info.run_id
    writer.log_metric(run_id, "loss", 0.75)
    assert (source / "runs.db-wal").exists()
    problem = _mount("--bind", "-o", "ro", str(source), str(mounted))
    try:
        if problem is not None:
            pytest.skip(f"cannot make a read-only bind mount here: {problem}")
        assert not os.access(mounted, os.W_OK)
        uri = str(mounted / "runs.db")
        code, out, err = run_cli(capsys, "--uri", uri, "runs", "show", run_id)
        assert (code, err) == (0, "")
        assert "0.75" in out
        code, _, err = run_cli(capsys, "--uri", uri, "runs", "orphans", "--mark-failed", "-y")
        assert code == 1
        assert "is read-only here" in _one_error_line(err)
        assert "on a read-only filesystem" in err
    finally:
        # SQLite keeps a reader's file open while this process's writer holds locks on it.
        writer.close()
        if problem is None:
            subprocess.run(["umount", str(mounted)], check=True)


def test_another_users_store_opens_read_only(tmp_path: Path) -> None:
    """Run as the unprivileged user `nobody` on a store root wrote (0644 files). `nobody`
    keeps only the right to read and search every file (CAP_DAC_READ_SEARCH), so it can run
    this interpreter from wherever it is installed, and, like a colleague, read the store
    but not write it."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another user")
    path = tmp_path / "shared" / "runs.db"
    path.parent.mkdir()
    run_id = _write_store(path)
    script = textwrap.dedent(
        f"""
        from tuitrack.cli.main import main
        for argv in (["runs", "list"], ["runs", "orphans", "--mark-failed", "--yes"]):
            print("exit", main(["--uri", {str(path)!r}, *argv]), flush=True)
        """
    )
    as_nobody = [
        *("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
        *("--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"),
    ]
    done = subprocess.run(
        [*as_nobody, sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")},
        cwd=tmp_path,
    )
    if "setpriv:" in done.stderr:
        pytest.skip(f"cannot run a command as another user here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert run_id[:8] in done.stdout
    assert done.stdout.count("exit 0") == 1
    assert "exit 1" in done.stdout
    line = _one_error_line(done.stderr)
    assert f"the store {path} is read-only here" in line
    assert "no write permission" in line
    assert _status(path, run_id) is RunStatus.RUNNING
