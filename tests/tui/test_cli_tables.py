"""Listings at 80 columns: tables fitted to a terminal's width, tab-separated in a pipe."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from tests.tui.conftest import DemoStore
from tuitrack.cli.main import main
from tuitrack.cli.tables import Column, FittedTable, abbreviate, abbreviate_distinct
from tuitrack.sdk.client import TrackingClient

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG_METRICS = (
    "train/loss",
    "validation/accuracy_top1",
    "validation/accuracy_top5",
    "validation/cross_entropy_loss",
)
LONG_PARAM = "randaugment(n=2,m=9)+mixup(alpha=0.8)+cutmix(alpha=1.0)+random_erasing(p=0.25)"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, ANSI.sub("", captured.out), captured.err


@pytest.fixture
def terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """stdout is an 80-column terminal (rich reads COLUMNS). capsys swaps its stdout in
    and out between the phases of a test, so the class says it is a terminal."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(type(sys.stdout), "isatty", lambda self: True)


@pytest.fixture
def long_names_uri(tmp_path: Path) -> str:
    """Runs with long names, long metric and param keys, and a long param value."""
    uri = f"sqlite:///{tmp_path / 'long.db'}"
    with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
        experiment = client.create_experiment("vision-transformer-ablation")
        for index in range(3):
            run_id = client.create_run(
                experiment, run_name=f"vit-large-patch16-224-ablation-{index:03d}"
            ).info.run_id
            for key in LONG_METRICS:
                client.log_metric(run_id, key, 0.123456 * (index + 1), step=10)
            client.log_param(run_id, "optimizer.adamw.weight_decay_for_bias_and_norms", "0.05")
            client.log_param(run_id, "data.augmentation.pipeline", LONG_PARAM)
            client.set_terminated(run_id)
    return uri


def widths(out: str) -> list[int]:
    return [cell_len(line) for line in out.splitlines()]


@pytest.mark.usefixtures("terminal")
def test_runs_list_fits_80_columns_one_line_per_run(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    code, out, err = run_cli(
        capsys, "--uri", demo_store.tracking_uri, "runs", "list", "-e", "mnist-cnn"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert max(widths(out)) <= 80
    with demo_store.client() as client:
        experiment = client.get_experiment_by_name("mnist-cnn")
        assert experiment is not None
        assert len(lines) == 1 + len(client.search_runs([experiment.experiment_id]))
    header = lines[0].split()
    # One experiment asked for: no Experiment column; start times compact, on one line.
    assert header[:4] == ["Status", "Run", "id", "Name"]
    assert "Experiment" not in header
    assert re.search(r"  \d\d-\d\d \d\d:\d\d  ", lines[1])
    # The three metric columns, shortened in the middle and still told apart.
    metrics = header[-3:]
    assert len(set(metrics)) == 3
    assert any(name.endswith("/loss") for name in metrics)
    assert all(re.fullmatch(r"-?\d+(\.\d+)?(e[-+]\d+)?|nan", v) for v in lines[1].split()[-3:])


@pytest.mark.usefixtures("terminal")
def test_runs_list_drops_columns_not_values_when_names_are_long(
    capsys: pytest.CaptureFixture[str], long_names_uri: str
) -> None:
    code, out, _ = run_cli(capsys, "runs", "list", "--uri", long_names_uri)
    assert code == 0
    assert max(widths(out)) <= 80
    lines = out.splitlines()
    assert len(lines) == 4
    # Names stay whole (they differ only at their ends); user, duration and start go first.
    assert "vit-large-patch16-224-ablation-002" in lines[1]
    assert not {"User", "Duration", "Start"} & set(lines[0].split())
    assert "0.37037" in lines[1]


@pytest.mark.usefixtures("terminal")
def test_runs_list_wide_and_chosen_columns(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    uri = demo_store.tracking_uri
    code, out, _ = run_cli(capsys, "runs", "list", "-e", "mnist-cnn", "--wide", "--uri", uri)
    assert code == 0
    header = out.splitlines()[0].split()
    assert {"Experiment", "Start", "End", "Duration", "User", "val/accuracy", "lr"} <= set(header)
    assert re.search(r"\b[0-9a-f]{32}\b", out.splitlines()[1])  # whole run ids
    assert max(widths(out)) > 80  # wide means wide
    code, out, _ = run_cli(
        capsys,
        "runs",
        "list",
        "-e",
        "mnist-cnn",
        "--columns",
        "name,params.lr,metrics.val/loss",
        "--uri",
        uri,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Name", "lr", "val/loss"]
    assert re.fullmatch(r"cnn-\d{3}\s+0\.\d+\s+\d\.\d+", lines[1].strip())


@pytest.mark.parametrize(
    ("columns", "message"),
    [("name,nosuch", "'nosuch'"), ("metrics.", "needs a key"), (",", "at least one")],
)
def test_runs_list_refuses_unknown_columns_in_one_line(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore, columns: str, message: str
) -> None:
    code, out, err = run_cli(
        capsys, "runs", "list", "--uri", demo_store.tracking_uri, "--columns", columns
    )
    assert code == 1
    assert out == ""
    assert err.startswith("tuitrack: error: --columns")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_listings_in_a_pipe_are_tab_separated(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    code, out, _ = run_cli(capsys, "experiments", "list", "--uri", demo_store.tracking_uri)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out), dialect="excel-tab"))
    assert rows[0] == ["id", "name", "runs", "last_activity", "created", "artifact_location"]
    assert "mnist-cnn" in {row[1] for row in rows}
    code, out, _ = run_cli(
        capsys, "runs", "list", "-e", "gpt-pretrain", "--uri", demo_store.tracking_uri
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out), dialect="excel-tab"))
    assert rows[0][:6] == ["status", "id", "name", "start", "duration", "user"]
    assert len(rows) == 4
    assert {len(row) for row in rows} == {len(rows[0])}
    by_name = {row[2]: row for row in rows[1:]}
    assert by_name["pretrain-760m"][0] == "orphaned"
    assert re.fullmatch(r"[0-9a-f]{32}", by_name["pretrain-760m"][1])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", by_name["pretrain-760m"][3])


@pytest.mark.usefixtures("terminal")
def test_experiments_list_fits_80_columns_with_whole_headers(
    capsys: pytest.CaptureFixture[str], demo_store: DemoStore
) -> None:
    code, out, _ = run_cli(capsys, "experiments", "list", "--all", "--uri", demo_store.tracking_uri)
    assert code == 0
    assert max(widths(out)) <= 80
    headers = re.split(r"\s{2,}", out.splitlines()[0].strip())
    assert headers[:4] == ["ID", "Name", "Stage", "Runs"]
    whole = {"Last activity", "Created", "Artifact location"}
    assert set(headers[4:]) <= whole  # none of them cut at the edge
    assert "cifar10-resnet-sweep" in out


@pytest.mark.usefixtures("terminal")
def test_runs_show_at_80_columns_wraps_long_values_and_keeps_keys(
    capsys: pytest.CaptureFixture[str], long_names_uri: str
) -> None:
    with TrackingClient(long_names_uri) as client:
        run_id = client.search_runs(["1"], max_results=1)[0].info.run_id
    code, out, _ = run_cli(capsys, "runs", "show", run_id, "--uri", long_names_uri)
    assert code == 0
    assert max(widths(out)) <= 80
    lines = [line.rstrip() for line in out.splitlines()]
    params = lines[lines.index("Params") + 1 : lines.index("Metrics")]
    assert "optimizer.adamw.weight_decay_for_bias_and_norms" in "\n".join(params)
    start = params[1].index("randaugment")
    value = "".join(line[start:].strip() for line in params[1:-1])
    assert value == LONG_PARAM  # every character, folded onto several lines
    metrics = lines[lines.index("Metrics") + 1 : lines.index("Metrics") + 6]
    assert [line.split()[0] for line in metrics[1:]] == sorted(LONG_METRICS)


# --- the fitting itself -----------------------------------------------------------------


def render(table: FittedTable, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(table)
    return capture.get().splitlines()


def metric_column(key: str, values: list[str], rank: int) -> Column:
    return Column(f"metrics.{key}", key, values, right=True, give="header", drop_rank=rank)


def test_metric_headers_shrink_widest_first_and_stay_distinct() -> None:
    keys = ["train/loss", "val/loss", "validation/accuracy_top1", "validation/accuracy_top5"]
    columns = [
        Column("name", "Name", ["run-a", "run-b"]),
        *(metric_column(k, ["0.5", "0.25"], 10 + i) for i, k in enumerate(keys)),
    ]
    lines = render(FittedTable(columns), 52)
    assert max(cell_len(line) for line in lines) <= 52
    headers = lines[0].split()
    assert len(headers) == 5  # nothing dropped: headers gave way
    assert headers[1:3] == ["train/loss", "val/loss"]  # the narrow ones kept whole
    assert headers[3].endswith("top1")
    assert headers[4].endswith("top5")
    assert "…" in headers[3]


def test_columns_with_the_lowest_rank_are_dropped_first() -> None:
    columns = [
        Column("name", "Name", ["a-run"]),
        Column("user", "User", ["somebody-long"], drop_rank=1),
        Column("start", "Start", ["2026-12-01 06:42"], drop_rank=2),
        metric_column("loss", ["0.123456"], 10),
    ]
    assert render(FittedTable(columns), 80)[0].split() == ["Name", "User", "Start", "loss"]
    assert render(FittedTable(columns), 36)[0].split() == ["Name", "Start", "loss"]
    assert render(FittedTable(columns), 20)[0].split() == ["Name", "loss"]


def test_abbreviations_keep_the_distinguishing_end() -> None:
    assert abbreviate("train/loss", 8) == "tr…/loss"
    assert abbreviate("val/accuracy", 8) == "v…curacy"
    assert abbreviate("short", 8) == "short"
    names = ["a-very-long-prefix-x/loss", "a-very-long-prefix-y/loss"]
    first, second = abbreviate_distinct(names, [10, 10])
    assert first != second
    assert first.endswith("/loss")
    assert second.endswith("/loss")


def test_ten_thousand_rows_fit_without_a_rich_table() -> None:
    names = [f"experiment-{i}" for i in range(10_000)]
    columns = [Column("id", "ID", [str(i) for i in range(10_000)]), Column("name", "Name", names)]
    lines = render(FittedTable(columns), 80)
    assert len(lines) == 10_001
    assert lines[-1].split() == ["9999", "experiment-9999"]


@pytest.mark.usefixtures("terminal")
def test_an_empty_default_experiment_adds_no_experiment_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The user's only experiment, with MLflow's Default beside it: the runs list names
    no experiment until a run is in Default too."""
    uri = f"sqlite:///{tmp_path / 'one.db'}"
    with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
        client.set_terminated(client.create_run(client.create_experiment("mine")).info.run_id)
    code, out, err = run_cli(capsys, "--uri", uri, "runs", "list")
    assert code == 0, err
    assert "Experiment" not in out.splitlines()[0]
    with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
        client.set_terminated(client.create_run("0").info.run_id)
    code, out, err = run_cli(capsys, "--uri", uri, "runs", "list")
    assert code == 0, err
    assert "Experiment" in out.splitlines()[0]
