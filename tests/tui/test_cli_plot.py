"""`tuitrack plot` and `tuitrack compare`: what they print, against real stores."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tui.conftest import FIXED_NOW, DemoStore
from tests.tui.test_chart import run_ids_by_name
from tuitrack.cli.main import main
from tuitrack.entities import Metric
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.charting import series_color

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MNIST_RUNS = ("cnn-000", "cnn-001", "cnn-002")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def mnist_ids(client: TrackingClient) -> list[str]:
    return run_ids_by_name(client, "mnist-cnn", MNIST_RUNS)


def test_plot_prints_a_chart_of_the_given_size_and_a_legend(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, out, err = run_cli(
        capsys,
        "--uri",
        demo_store.tracking_uri,
        "plot",
        *(run_id[:8] for run_id in mnist_ids),  # prefixes, as `runs list` prints them
        "--metric",
        "val/loss",
        "--width",
        "70",
        "--height",
        "15",
    )
    assert code == 0, err
    assert not ANSI.search(out)  # not a terminal: plain text for logs
    lines = out.splitlines()
    chart, gap, legend = lines[:15], lines[15], lines[16:]
    assert not gap
    assert "val/loss" in chart[0]
    assert max(len(line) for line in chart) <= 70
    assert "└" in chart[-2]
    assert [line.split()[1] for line in legend] == list(MNIST_RUNS)
    # Without colour each run has its own marker.
    assert [line[0] for line in legend] == ["•", "+", "x"]
    drawn = "\n".join(chart[2:-2])
    assert sum(marker in drawn for marker in "•+x") >= 2


def test_plot_in_colour_uses_each_runs_colour(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, out, _ = run_cli(
        capsys,
        "--uri",
        demo_store.tracking_uri,
        "plot",
        *mnist_ids[:2],
        "-m",
        "val/loss",
        "--smooth",
        "0.6",
        "--color",
        "always",
        "--width",
        "60",
        "--height",
        "12",
    )
    assert code == 0
    for index in range(2):
        red, green, blue = series_color(index)
        assert f"38;2;{red};{green};{blue}m" in out


def test_plot_several_metrics_one_chart_each(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, out, _ = run_cli(
        capsys,
        "--uri",
        demo_store.tracking_uri,
        "plot",
        mnist_ids[0],
        "-m",
        "val/loss",
        "-m",
        "val/accuracy",
        "--height",
        "10",
        "--width",
        "50",
    )
    assert code == 0
    lines = out.splitlines()
    assert "val/loss" in lines[0]
    assert "val/accuracy" in lines[11]
    assert "val/loss=" in lines[-1]
    assert "val/accuracy=" in lines[-1]


def test_plot_x_axis_by_wall_time_and_relative_time(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    base = ["--uri", demo_store.tracking_uri, "plot", mnist_ids[0], "-m", "val/loss"]
    size = ["--width", "80", "--height", "12"]
    _, out, _ = run_cli(capsys, *base, *size, "--x", "time")
    axis = out.splitlines()[11]
    assert re.search(r"\d\d:\d\d", axis)
    _, out, _ = run_cli(capsys, *base, *size, "--x", "relative")
    axis = out.splitlines()[11]
    assert re.search(r"\b\d+s\b|\b\d+m(\d\ds)?\b", axis)


def test_plot_a_step_range_with_log_y_says_what_it_hides(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uri = f"sqlite:///{tmp_path / 'signs.db'}"
    with TrackingClient(uri, artifact_uri=str(tmp_path / "art")) as client:
        run = client.create_run(client.create_experiment("signs"), run_name="signs")
        values = [1.0, 0.5, 0.0, -1.0, 2.0, 4.0, 8.0, 16.0]
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric(key="x", value=v, timestamp=FIXED_NOW + s, step=s * 10)
                for s, v in enumerate(values)
            ],
        )
    code, out, _ = run_cli(
        capsys, "--uri", uri, "plot", run.info.run_id, "-m", "x", "--logy", "--width", "60"
    )
    assert code == 0
    assert "2 points <= 0 hidden" in out.splitlines()[0]
    code, out, _ = run_cli(
        capsys,
        "--uri",
        uri,
        "plot",
        run.info.run_id,
        "-m",
        "x",
        "--steps",
        "40:70",
        "--width",
        "50",
    )
    assert code == 0
    axis = out.splitlines()[-3]  # above the blank line and the legend
    assert axis.split() == ["40", "50", "60", "70"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--smooth", "1"], "--smooth must be in [0, 1)"),
        (["--steps", "9:3"], "--steps must be LO:HI"),
        (["--steps", "abc"], "--steps must be LO:HI"),
        (["--width", "10"], "at least 20x6"),
    ],
)
def test_plot_refuses_bad_options_in_one_line(
    capsys: pytest.CaptureFixture[str],
    demo_store: DemoStore,
    mnist_ids: list[str],
    arguments: list[str],
    message: str,
) -> None:
    code, _, err = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "plot", mnist_ids[0], "-m", "loss", *arguments
    )
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_plot_of_a_metric_no_run_logged_names_the_logged_ones(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, out, err = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "plot", mnist_ids[0], "-m", "nope"
    )
    assert (code, out) == (1, "")
    assert err == (
        f"tuitrack: error: no metric 'nope' in run cnn-000 [{mnist_ids[0][:8]}]; "
        "metrics logged: train/loss, val/accuracy, val/loss\n"
    )
    code, _, err = run_cli(
        capsys, "plot", *mnist_ids, "-m", "val/loss", "-m", "nope", "--uri", demo_store.tracking_uri
    )
    assert code == 1
    assert "no metric 'nope' in the 3 runs; metrics logged: train/loss," in err


def test_plot_without_a_metric_lists_the_runs_metrics(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, out, err = run_cli(capsys, "--uri", demo_store.tracking_uri, "plot", mnist_ids[0][:8])
    assert code == 0, err
    assert out.splitlines() == ["train/loss", "val/accuracy", "val/loss"]
    assert f"tuitrack plot {mnist_ids[0][:8]} -m train/loss" in err


def test_compare_prints_sections_and_can_hide_what_is_shared(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    base = ["--uri", demo_store.tracking_uri, "compare", *mnist_ids]
    code, out, _ = run_cli(capsys, *base)
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == list(MNIST_RUNS)
    for text in ("params  (3 of 6 differ)", "optimizer", "val/loss ↓ latest", "best step"):
        assert text in out
    code, out, _ = run_cli(capsys, *base, "--only-differences")
    assert code == 0
    assert "optimizer" not in out
    assert "seed" in out


def test_compare_json_is_valid_json_keyed_by_run_id(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, out, _ = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "compare", *mnist_ids, "--json", "-d"
    )
    assert code == 0
    data = json.loads(out)
    assert [run["run_id"] for run in data["runs"]] == mnist_ids
    assert "optimizer" not in data["params"]
    loss = data["metrics"]["val/loss"]
    assert loss["direction"] == "min"
    failed = loss["values"][mnist_ids[2]]  # cnn-002 diverged to NaN
    assert failed["latest"] == "NaN"
    assert isinstance(failed["best_step"], int)


def test_compare_an_unknown_run_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    code, _, err = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "compare", mnist_ids[0], "f" * 32
    )
    assert code == 1
    assert "f" * 32 in err


def test_plot_and_compare_do_not_import_textual(
    demo_store: DemoStore, mnist_ids: list[str]
) -> None:
    script = (
        "import sys\n"
        "from tuitrack.cli.main import main\n"
        f"uri = {demo_store.tracking_uri!r}\n"
        f"main(['--uri', uri, 'plot', {mnist_ids[0]!r}, '-m', 'val/loss'])\n"
        f"main(['--uri', uri, 'compare', {mnist_ids[0]!r}, {mnist_ids[1]!r}])\n"
        "assert not any(m.startswith('textual') for m in sys.modules), 'textual imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
