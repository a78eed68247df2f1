"""Python evaluation and ordering, checked against the case table every store shares."""

from __future__ import annotations

import math

import pytest

from tests.search_cases import (
    EXPERIMENT_FILTER_CASES,
    FILTER_CASES,
    ORDER_CASES,
    PARENT_CASES,
    PARENT_FILTERS,
    fixture_experiments,
    fixture_runs,
)
from tuitrack.entities import Run, RunData, RunInfo
from tuitrack.search import (
    Comparison,
    OrderKey,
    like,
    matches,
    matches_experiment,
    param_as_number,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
)

RUNS = fixture_runs()


def test_the_case_table_is_large_enough() -> None:
    assert len(FILTER_CASES) >= 60
    assert len({text for text, _ in FILTER_CASES}) == len(FILTER_CASES)


@pytest.mark.parametrize(("text", "expected"), FILTER_CASES)
def test_filter_cases(text: str, expected: frozenset[str]) -> None:
    node = parse_filter(text)
    assert {run.info.run_name for run in RUNS if matches(node, run)} == expected


@pytest.mark.parametrize("parent_filter", PARENT_FILTERS)
@pytest.mark.parametrize(("parent", "children"), PARENT_CASES)
def test_children_by_parent_run_id(
    parent: str, children: frozenset[str], parent_filter: str
) -> None:
    parent_id = next(run.info.run_id for run in RUNS if run.info.run_name == parent)
    node = parse_filter(parent_filter.format(id=parent_id))
    assert {run.info.run_name for run in RUNS if matches(node, run)} == children


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES)
def test_order_cases(order_by: list[str], expected: list[str]) -> None:
    ordered = sort_runs(RUNS, parse_order_by(order_by))
    assert [run.info.run_name for run in ordered] == expected


@pytest.mark.parametrize(("text", "expected"), EXPERIMENT_FILTER_CASES)
def test_experiment_filter_cases(text: str, expected: frozenset[str]) -> None:
    node = parse_experiment_filter(text)
    experiments = fixture_experiments()
    assert {e.name for e in experiments if matches_experiment(node, e)} == expected


def _run(run_id: str, start_time: int | None = None, **metrics: float) -> Run:
    info = RunInfo(run_id=run_id, experiment_id="0", start_time=start_time)
    return Run(info=info, data=RunData(metrics=metrics))


@pytest.mark.parametrize(
    ("text", "matches_nan"),
    [
        ("metrics.m = 1", False),
        ("metrics.m != 1", True),
        ("metrics.m < 1", False),
        ("metrics.m >= 1", False),
        ("metrics.m IN (1, 2)", False),
        ("metrics.m NOT IN (1, 2)", True),
        ("metrics.m IS NULL", False),
        ("metrics.m IS NOT NULL", True),
        ("NOT metrics.m = 1", True),
    ],
)
def test_nan_follows_ieee(text: str, matches_nan: bool) -> None:
    assert matches(parse_filter(text), _run("r", m=math.nan)) is matches_nan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.m > 1e308", {"inf"}),
        ("metrics.m < -1e308", {"-inf"}),
        ("metrics.m != 0", {"inf", "-inf", "nan"}),
        ("metrics.m >= 0", {"inf", "zero"}),
        ("metrics.m = 0", {"zero"}),
    ],
)
def test_infinities_and_signed_zero(text: str, expected: set[str]) -> None:
    runs = [
        _run("inf", m=math.inf),
        _run("-inf", m=-math.inf),
        _run("nan", m=math.nan),
        _run("zero", m=-0.0),
        _run("none"),
    ]
    node = parse_filter(text)
    assert {run.info.run_id for run in runs if matches(node, run)} == expected


def test_absent_values_only_satisfy_is_null() -> None:
    run = _run("r")
    for text in ["metrics.m != 1", "params.p != 'x'", "params.p NOT IN ('x')", "end_time != 5"]:
        assert not matches(parse_filter(text), run), text
        assert matches(parse_filter(f"NOT ({text})"), run), text
    assert matches(parse_filter("run_name IS NULL AND end_time IS NULL"), run)


def test_no_filter_matches_everything() -> None:
    assert matches(None, RUNS[0])
    assert matches_experiment(None, fixture_experiments()[0])


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1.0),
        ("-2.5", -2.5),
        ("+.5", 0.5),
        ("1e-3", 0.001),
        ("3.", 3.0),
        ("1E+2", 100.0),
        (" 1", None),
        ("1 ", None),
        ("nan", None),
        ("inf", None),
        ("0x10", None),
        ("1_000", None),
        ("", None),
        ("\u0661", None),  # a non-ASCII digit: SQL would not read it as a number either
        ("1e", None),
    ],
)
def test_param_as_number(text: str, number: float | None) -> None:
    assert param_as_number(text) == number


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("abc", "a%", True),
        ("abc", "%c", True),
        ("abc", "a_c", True),
        ("abc", "a_", False),
        ("abc", "ABC", False),
        ("a%c", "a\\%c", True),
        ("abc", "a\\%c", False),
        ("a_c", "a\\_c", True),
        ("abc", "a\\_c", False),
        ("a\\c", "a\\\\c", True),
        ("a.c", "a_c", True),
        ("a\nc", "a%c", True),
        ("(x)", "(%)", True),
        ("", "%", True),
        ("", "_", False),
    ],
)
def test_like(text: str, pattern: str, expected: bool) -> None:
    assert like(text, pattern) is expected


def test_ilike_ignores_case_beyond_ascii() -> None:
    assert like("ÑANDÚ", "ñandú", case_sensitive=False)
    assert not like("ÑANDÚ", "ñandú")


def test_params_compare_numerically_only_when_the_literal_is_a_number() -> None:
    runs = [
        Run(info=RunInfo(run_id=v, experiment_id="0"), data=RunData(params={"p": v}))
        for v in ["9", "10", "1e1", "abc"]
    ]

    def selected(text: str) -> list[str]:
        node = parse_filter(text)
        return [run.info.run_id for run in runs if matches(node, run)]

    assert selected("params.p > 9.5") == ["10", "1e1"]
    assert selected("params.p = 10") == ["10", "1e1"]
    assert selected("params.p = '10'") == ["10"]
    assert selected("params.p != 10") == ["9"]
    assert selected("params.p IS NOT NULL") == ["9", "10", "1e1", "abc"]


def test_sort_runs_puts_missing_and_nan_last_in_both_directions() -> None:
    runs = [
        _run("a", 1, m=2.0),
        _run("b", 2, m=math.nan),
        _run("c", 3),
        _run("d", 4, m=1.0),
        _run("e", 5, m=math.inf),
    ]
    ascending = sort_runs(runs, [OrderKey("metric", "m", True)])
    descending = sort_runs(runs, [OrderKey("metric", "m", False)])
    assert [run.info.run_id for run in ascending] == ["d", "a", "e", "c", "b"]
    assert [run.info.run_id for run in descending] == ["e", "a", "d", "c", "b"]


def test_sort_runs_breaks_ties_by_start_time_desc_then_run_id() -> None:
    runs = [
        _run("b", 5, m=1.0),
        _run("a", 5, m=1.0),
        _run("c", 9, m=1.0),
        _run("d", None, m=1.0),
    ]
    assert [run.info.run_id for run in sort_runs(runs, [OrderKey("metric", "m", True)])] == [
        "c",
        "a",
        "b",
        "d",
    ]
    assert [run.info.run_id for run in sort_runs(runs)] == ["c", "a", "b", "d"]


def test_sort_experiments() -> None:
    experiments = fixture_experiments()
    by_default = [e.name for e in sort_experiments(experiments)]
    assert by_default == ["it's 100%", "misc", "Vision-Large", "nlp-bert", "vision-baseline"]
    by_team = sort_experiments(experiments, parse_experiment_order_by(["tags.team", "name"]))
    assert [e.name for e in by_team] == [
        "nlp-bert",
        "Vision-Large",
        "vision-baseline",
        "it's 100%",
        "misc",
    ]


def test_comparison_reports_whether_its_literal_is_numeric() -> None:
    assert Comparison("param", "p", "<", 1).is_numeric
    assert Comparison("param", "p", "IN", (1.5, 2)).is_numeric
    assert not Comparison("param", "p", "=", "1").is_numeric
    assert not Comparison("param", "p", "IS NULL", None).is_numeric
