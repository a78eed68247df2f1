"""The compare view's diff logic: what differs, which run is best, and the JSON form."""

from __future__ import annotations

import json
import math

import pytest

from tuitrack.cli.json_output import strict
from tuitrack.entities import Metric, Run, RunData, RunInfo, RunStatus
from tuitrack.tui.compare_model import (
    PENDING,
    Comparison,
    DiffRow,
    MetricStats,
    build_comparison,
    comparison_json,
    extreme_steps,
    format_cell,
    metric_direction,
    run_labels,
)

NOW = 1_750_000_000_000


def make_run(
    run_id: str,
    name: str,
    params: dict[str, str],
    metrics: dict[str, float],
    tags: dict[str, str] | None = None,
    experiment_id: str = "1",
) -> Run:
    info = RunInfo(
        run_id=run_id * 8,
        experiment_id=experiment_id,
        run_name=name,
        user_id="ana",
        status=RunStatus.FINISHED,
        start_time=NOW - 60_000,
        end_time=NOW,
    )
    return Run(info=info, data=RunData(metrics=metrics, params=params, tags=tags or {}))


RUNS = [
    make_run("aaaa", "a", {"lr": "0.1", "seed": "1"}, {"loss": 0.5, "acc": 0.8}, {"git": "x"}),
    make_run("bbbb", "b", {"lr": "0.1", "seed": "2"}, {"loss": 0.3, "acc": 0.9}, {"git": "x"}),
    make_run("cccc", "c", {"lr": "0.1"}, {"loss": math.nan, "acc": 0.7}, {"git": "x"}),
]
STATS = {
    ("a" * 32, "loss"): MetricStats(0.5, 0.4, 2.0, min_step=8, max_step=0),
    ("b" * 32, "loss"): MetricStats(0.3, 0.3, 2.1, min_step=9, max_step=0),
    ("c" * 32, "loss"): MetricStats(math.nan, 0.35, 9e9, min_step=4, max_step=7),
    ("a" * 32, "acc"): MetricStats(0.8, 0.1, 0.85, min_step=0, max_step=6),
    ("b" * 32, "acc"): MetricStats(0.9, 0.1, 0.9, min_step=0, max_step=9),
    ("c" * 32, "acc"): MetricStats(0.7, 0.1, 0.7, min_step=0, max_step=5),
}
NAMES = {"1": "mnist"}


def rows_by_key(comparison: Comparison) -> dict[str, DiffRow]:
    return {row.key: row for row in comparison.rows}


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("val/loss", "min"),
        ("Train_Loss", "min"),
        ("error_rate", "min"),
        ("perplexity", "min"),
        ("val/accuracy", "max"),
        ("reward", "max"),
    ],
)
def test_metric_direction_lower_is_better_for_losses_errors_perplexity(
    key: str, direction: str
) -> None:
    assert metric_direction(key) == direction


def test_extreme_steps_are_the_first_steps_reaching_min_and_max() -> None:
    values = [3.0, 1.0, math.nan, 5.0, 1.0, 5.0]
    points = [Metric(key="k", value=v, timestamp=i, step=i * 10) for i, v in enumerate(values)]
    assert extreme_steps(points) == (10, 30)
    only_nan = [Metric(key="k", value=math.nan, timestamp=0, step=0)]
    assert extreme_steps(only_nan) == (None, None)
    with_inf = [Metric(key="k", value=v, timestamp=0, step=i) for i, v in enumerate([1, -math.inf])]
    assert extreme_steps(with_inf) == (1, 0)


def test_params_that_differ_are_flagged_and_a_missing_value_counts_as_different() -> None:
    rows = rows_by_key(build_comparison(RUNS, NAMES, STATS, NOW))
    lr, seed = rows["param:lr"], rows["param:seed"]
    assert not lr.differs
    assert lr.values == ("0.1", "0.1", "0.1")
    assert seed.differs
    assert seed.values == ("1", "2", None)
    assert not rows["tag:git"].differs
    assert not rows["run:experiment"].differs
    assert rows["run:run id"].differs


def test_only_differences_hides_the_rows_every_run_shares() -> None:
    comparison = build_comparison(RUNS, NAMES, STATS, NOW)
    shown = {row.key for row in comparison.visible_rows(only_differences=True)}
    assert "param:seed" in shown
    assert "param:lr" not in shown
    assert "tag:git" not in shown
    assert {row.key for row in comparison.visible_rows(False)} >= {"param:lr", "tag:git"}
    assert comparison.counts("params") == (1, 2)


def test_metric_rows_show_latest_min_max_and_best_step_with_the_best_run() -> None:
    rows = rows_by_key(build_comparison(RUNS, NAMES, STATS, NOW))
    latest = rows["metric:loss:latest"]
    assert latest.label == "loss ↓ latest"
    assert latest.best == 1  # lowest latest loss, NaN ignored
    assert rows["metric:loss:min"].values == (0.4, 0.3, 0.35)
    assert rows["metric:loss:min"].best == 1
    assert rows["metric:loss:max"].best is None  # not the goal
    best = rows["metric:loss:best step"]
    assert best.values == (8, 9, 4)  # the steps of each run's min
    assert best.best == 1
    acc_best = rows["metric:acc:best step"]
    assert acc_best.values == (6, 9, 5)  # steps of each max
    assert acc_best.best == 1
    assert rows["metric:acc:max"].best == 1
    assert rows["metric:acc:min"].best is None  # all equal


def test_best_steps_show_as_pending_until_read() -> None:
    no_steps = {pair: MetricStats(s.latest, s.minimum, s.maximum) for pair, s in STATS.items()}
    comparison = build_comparison(RUNS, NAMES, no_steps, NOW, steps_loaded=False)
    assert not comparison.steps_loaded
    assert rows_by_key(comparison)["metric:loss:best step"].values == (PENDING,) * 3


def test_labels_add_the_id_where_names_repeat() -> None:
    twins = [make_run("aaaa", "trial", {}, {}), make_run("bbbb", "trial", {}, {})]
    assert run_labels(twins) == ("trial aaaa", "trial bbbb")


def test_cells_show_a_dash_for_missing_values_and_keep_both_ends_of_long_text() -> None:
    assert format_cell(None) == "-"
    assert format_cell(math.nan) == "nan"
    assert format_cell(0.123456789) == "0.12346"
    cell = format_cell("python train.py --run cnn-002", 18)
    assert len(cell) == 18
    assert cell.startswith("python t")
    assert cell.endswith("cnn-002")


def test_json_keys_values_by_run_id_and_spells_out_nan() -> None:
    data = strict(comparison_json(build_comparison(RUNS, NAMES, STATS, NOW), True))
    json.dumps(data, allow_nan=False)  # valid JSON: no bare NaN
    assert [run["name"] for run in data["runs"]] == ["a", "b", "c"]
    assert set(data["params"]) == {"seed"}
    loss = data["metrics"]["loss"]
    assert loss["direction"] == "min"
    assert loss["values"]["c" * 32] == {
        "latest": "NaN",
        "min": 0.35,
        "max": 9e9,
        "best_step": 4,
    }


def test_the_run_name_tag_is_not_a_row_but_the_parent_tag_is() -> None:
    runs = [
        make_run(run_id, name, {}, {}, {"mlflow.runName": name, "mlflow.parentRunId": "p" * 32})
        for run_id, name in (("aaaa", "a"), ("bbbb", "b"))
    ]
    rows = rows_by_key(build_comparison(runs, NAMES, {}, NOW))
    assert "tag:mlflow.runName" not in rows
    assert rows["tag:mlflow.parentRunId"].values == ("p" * 32, "p" * 32)
