"""`--uri` before or after the command, and on its own for `ui` and `demo`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tui.conftest import DemoStore
from tuitrack.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["--uri", "{uri}", "runs", "list", "-e", "bert-glue", "--json"],
        ["runs", "list", "-e", "bert-glue", "--json", "--uri", "{uri}"],
        ["runs", "--uri", "{uri}", "list", "-e", "bert-glue", "--json"],
    ],
)
def test_runs_list_takes_the_uri_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, argv: list[str]
) -> None:
    filled = [demo_store.tracking_uri if a == "{uri}" else a for a in argv]
    code, out, err = run_cli(capsys, *filled)
    assert code == 0, err
    runs = json.loads(out)
    assert runs
    assert all(run["info"]["run_name"].startswith("bert-") for run in runs)


@pytest.mark.parametrize(
    "argv",
    [
        ["experiments", "list", "--uri", "nosuch://x"],
        ["runs", "show", "0" * 32, "--uri", "nosuch://x"],
        ["runs", "orphans", "--uri", "nosuch://x"],
        ["plot", "0" * 32, "-m", "loss", "--uri", "nosuch://x"],
        ["compare", "0" * 32, "1" * 32, "--uri", "nosuch://x"],
        ["ui", "--uri", "nosuch://x"],
        ["ui", "nosuch://x"],
        ["--uri", "nosuch://x", "ui"],
        ["demo", "--no-ui", "nosuch://x"],
        ["demo", "--no-ui", "--uri", "nosuch://x"],
        ["--uri", "nosuch://x", "demo", "--no-ui"],
        ["db", "upgrade", "--uri", "nosuch://x"],
    ],
)
def test_every_command_takes_the_uri_in_every_spelling(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """The URI reaches the store in each spelling: an unknown scheme is reported, not a
    usage error about the arguments."""
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1].startswith("tuitrack: error: no tracking store backend"), err


def test_demo_takes_the_uri_on_its_own(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mine.db'}"
    code, out, err = run_cli(capsys, "demo", uri, "--no-ui", "--small")
    assert code == 0, err
    assert out.strip() == uri
    assert err.startswith(f"Writing the demo into {uri}")
