"""The `tuitrack` command: listings, demo, db upgrade, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tui.conftest import DemoStore
from tuitrack.cli.main import main
from tuitrack.core import config
from tuitrack.sdk.client import TrackingClient


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_experiments_list_as_table_and_json(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    code, out, _ = run_cli(capsys, "--uri", demo_store.tracking_uri, "experiments", "list")
    assert code == 0
    assert "mnist-cnn" in out
    assert "scratch" not in out
    code, out, _ = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "experiments", "list", "--all", "--json"
    )
    assert code == 0
    names = {e["name"] for e in json.loads(out)}
    assert {"mnist-cnn", "scratch"} <= names


def test_runs_list_filters_in_the_store(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    code, out, _ = run_cli(
        capsys,
        "--uri",
        demo_store.tracking_uri,
        "runs",
        "list",
        "-e",
        "mnist-cnn",
        "--filter",
        "params.lr = '0.1'",
        "--json",
    )
    assert code == 0
    runs = json.loads(out)
    assert runs
    assert {r["data"]["params"]["lr"] for r in runs} == {"0.1"}
    code, out, _ = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "runs", "list", "-e", "gpt-pretrain"
    )
    assert code == 0
    assert "pretrain-760m" in out
    assert "orphaned" in out  # its heartbeat is hours old


def test_runs_show_prints_the_run(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    with demo_store.client() as client:
        experiment = client.get_experiment_by_name("bert-glue")
        assert experiment is not None
        run = client.search_runs([experiment.experiment_id], max_results=1)[0]
    code, out, _ = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "runs", "show", run.info.run_id
    )
    assert code == 0
    assert run.info.run_id in out
    assert "val/loss" in out
    code, out, _ = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "runs", "show", run.info.run_id, "--json"
    )
    assert json.loads(out)["info"]["run_id"] == run.info.run_id
    # `runs list` prints 8-character ids; they are enough to show a run.
    code, out, _ = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "runs", "show", run.info.run_id[:8]
    )
    assert code == 0
    assert run.info.run_id in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--uri", "nosuch://x", "experiments", "list"], "no tracking store backend"),
        (
            ["--uri", "postgresql+psycopg://nobody@127.0.0.1:9/none", "experiments", "list"],
            "127.0.0.1",
        ),
        (["runs", "list", "-e", "no-such-experiment"], "no-such-experiment"),
        (["runs", "list", "--filter", "metrics.loss >"], "filter"),
        (["runs", "show", "0" * 32], "0" * 32),
        (["ui", "nosuch://x"], "no tracking store backend"),
    ],
)
def test_errors_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 1
    assert out == ""
    assert err.startswith("tuitrack: error: ")
    assert expected in err
    assert "Traceback" not in err


def test_demo_writes_its_own_store_under_the_data_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "demo", "--no-ui", "--small")
    assert code == 0
    demo_db = config.data_dir() / "demo" / "tuitrack.db"
    assert out.strip() == f"sqlite:///{demo_db}"
    assert not (config.data_dir() / "tuitrack.db").exists()  # the user's store is untouched
    # A second demo starts over instead of failing on existing experiment names.
    code, out, _ = run_cli(capsys, "demo", "--no-ui", "--small")
    assert code == 0
    with TrackingClient(
        out.strip(), artifact_uri=str(config.data_dir() / "demo" / "artifacts")
    ) as client:
        names = {experiment.name for experiment in client.search_experiments()}
        assert len(names - {"Default"}) == 5  # and MLflow's Default, in every store


def test_demo_into_a_store_that_has_it_already_says_so(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    code, _, err = run_cli(capsys, "demo", "--uri", demo_store.tracking_uri, "--no-ui", "--small")
    assert code == 1
    assert "mnist-cnn" in err


def test_db_upgrade_creates_the_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = run_cli(capsys, "db", "upgrade", uri)
    assert code == 0
    assert uri in out
    code, out, _ = run_cli(capsys, "db", "upgrade", uri)
    assert "already at revision" in out


def test_the_cli_imports_textual_only_for_the_ui() -> None:
    probe = "import sys, tuitrack.cli.main; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_listings_do_not_import_textual(demo_store: DemoStore) -> None:
    # The listings share the TUI's models (queries, formatting, the run overview), never
    # its widgets: a listing must not pay for importing Textual.
    with demo_store.client() as client:
        experiment = client.get_experiment_by_name("bert-glue")
        assert experiment is not None
        run_id = client.search_runs([experiment.experiment_id], max_results=1)[0].info.run_id
    uri = demo_store.tracking_uri
    script = (
        "import contextlib, io, sys\n"
        "from tuitrack.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--uri', {uri!r}, 'experiments', 'list']) == 0\n"
        f"    assert main(['--uri', {uri!r}, 'runs', 'list', '-e', 'bert-glue']) == 0\n"
        f"    assert main(['--uri', {uri!r}, 'runs', 'show', {run_id!r}]) == 0\n"
        f"    assert main(['--uri', {uri!r}, 'runs', 'orphans']) == 0\n"
        "imported = sorted(m for m in sys.modules if m.startswith('textual'))\n"
        "assert not imported, imported\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
