"""The chart's pure logic: smoothing, gaps, log y, zoom maths, ticks, line building."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuitrack.entities import Metric
from tuitrack.tui.chart_axis import (
    axis_ticks,
    format_clock,
    format_elapsed,
    format_step,
    nice_ticks,
    time_ticks,
)
from tuitrack.tui.charting import (
    FAINT_AMOUNT,
    ChartOptions,
    SeriesInput,
    SeriesPoints,
    StepWindow,
    blend,
    build_chart,
    ema,
    extent_of,
    mask_non_positive,
    next_smoothing,
    pan_window,
    reduce_to_columns,
    segments,
    series_color,
    x_values,
    zoom_window,
)
from tuitrack.tui.history_queries import points_budget

NAN = math.nan
INF = math.inf


def points(values: list[float], start_step: int = 0, step_ms: int = 1000) -> SeriesPoints:
    steps = list(range(start_step, start_step + len(values)))
    return SeriesPoints(steps, [1_000_000 + s * step_ms for s in steps], list(values))


# --- EMA --------------------------------------------------------------------------------


def test_ema_is_bias_corrected_so_it_starts_at_the_first_value() -> None:
    # Without the correction the first point would be (1 - 0.9) * 10 = 1.
    assert ema([10.0, 10.0, 10.0], 0.9) == pytest.approx([10.0, 10.0, 10.0])
    assert ema([4.0], 0.99) == pytest.approx([4.0])


def test_ema_matches_the_debiased_formula() -> None:
    # average_1 = 0.5 * 1 = 0.5 -> / (1 - 0.5) = 1
    # average_2 = 0.5 * 0.5 + 0.5 * 2 = 1.25 -> / (1 - 0.25) = 5/3
    # average_3 = 0.5 * 1.25 + 0.5 * 4 = 2.625 -> / (1 - 0.125) = 3
    assert ema([1.0, 2.0, 4.0], 0.5) == pytest.approx([1.0, 5 / 3, 3.0])


def test_ema_weight_zero_is_the_raw_series() -> None:
    values = [3.0, -1.0, 7.5]
    assert ema(values, 0.0) == values


def test_ema_lets_non_finite_values_through_without_touching_the_average() -> None:
    smoothed = ema([1.0, NAN, 2.0, INF, 4.0], 0.5)
    assert math.isnan(smoothed[1])
    assert smoothed[3] == INF
    assert [smoothed[0], smoothed[2], smoothed[4]] == pytest.approx([1.0, 5 / 3, 3.0])


@pytest.mark.parametrize("weight", [-0.1, 1.0, 1.5])
def test_ema_refuses_a_weight_outside_zero_to_one(weight: float) -> None:
    with pytest.raises(ValueError, match="smoothing weight"):
        ema([1.0], weight)


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50),
    st.floats(0, 0.99),
)
def test_ema_stays_within_the_range_of_the_values(values: list[float], weight: float) -> None:
    low, high = min(values), max(values)
    tolerance = 1e-6 * max(1.0, abs(low), abs(high))
    for value in ema(values, weight):
        assert low - tolerance <= value <= high + tolerance


def test_smoothing_levels_step_up_and_down_and_stop_at_the_ends() -> None:
    assert next_smoothing(0.6, 1) == 0.7
    assert next_smoothing(0.6, -1) == 0.5
    assert next_smoothing(0.99, 1) == 0.99
    assert next_smoothing(0.1, -1) == 0.1


# --- gaps and log y -----------------------------------------------------------------------


def test_segments_split_at_nan_and_infinities() -> None:
    xs = [0.0, 1, 2, 3, 4, 5, 6]
    ys = [NAN, 1.0, 2.0, NAN, 3.0, INF, 4.0]
    assert segments(xs, ys) == [([1, 2], [1.0, 2.0]), ([4], [3.0]), ([6], [4.0])]
    assert segments([0.0, 1.0], [NAN, NAN]) == []


def test_log_y_hides_zero_and_negative_values_and_counts_them() -> None:
    masked, hidden = mask_non_positive([1.0, 0.0, -2.0, 0.5])
    assert hidden == 2
    assert masked[0] == 1.0
    assert masked[3] == 0.5
    assert math.isnan(masked[1])
    assert math.isnan(masked[2])


def test_a_chart_with_log_y_draws_no_value_at_or_below_zero() -> None:
    series = [SeriesInput("a", series_color(0), points([1.0, 0.0, 10.0, -5.0, 100.0]))]
    spec = build_chart("loss", series, ChartOptions(smooth=False, log_y=True))
    assert spec.log_y
    assert spec.hidden_points == 2
    drawn = [y for line in spec.lines for y in line.ys]
    assert sorted(drawn) == [1.0, 10.0, 100.0]


def test_a_nan_in_a_series_becomes_a_gap_between_two_lines() -> None:
    series = [SeriesInput("a", series_color(0), points([1.0, 2.0, NAN, 3.0, 4.0]))]
    spec = build_chart("loss", series, ChartOptions(smooth=False))
    assert [line.xs for line in spec.lines] == [[0.0, 1.0], [3.0, 4.0]]


# --- building a chart ---------------------------------------------------------------------


def test_smoothing_draws_the_raw_curve_faint_first_and_the_smoothed_one_over_it() -> None:
    color = series_color(2)
    series = [SeriesInput("a", color, points([1.0, 5.0, 2.0, 6.0]))]
    spec = build_chart("loss", series, ChartOptions(smoothing=0.5), background=(0, 0, 0))
    faint, smoothed = spec.lines
    assert faint.faint
    assert faint.color == blend(color, (0, 0, 0), FAINT_AMOUNT)
    assert faint.ys == [1.0, 5.0, 2.0, 6.0]
    assert not smoothed.faint
    assert smoothed.color == color
    assert smoothed.ys == pytest.approx(ema([1.0, 5.0, 2.0, 6.0], 0.5))


def test_smoothing_off_draws_only_the_raw_curve_in_full_colour() -> None:
    series = [SeriesInput("a", series_color(0), points([1.0, 5.0]))]
    (line,) = build_chart("loss", series, ChartOptions(smooth=False)).lines
    assert not line.faint
    assert line.ys == [1.0, 5.0]


def test_faint_raw_curves_can_be_left_out() -> None:
    series = [SeriesInput("a", series_color(0), points([1.0, 5.0]))]
    spec = build_chart("loss", series, ChartOptions(), faint_raw=False)
    assert [line.faint for line in spec.lines] == [False]


def test_all_lines_of_all_runs_keep_their_series_index() -> None:
    series = [SeriesInput(name, series_color(i), points([1.0, 2.0])) for i, name in enumerate("ab")]
    spec = build_chart("loss", series, ChartOptions())
    assert [(line.series, line.faint) for line in spec.lines] == [
        (0, True),
        (1, True),
        (0, False),
        (1, False),
    ]


def test_a_window_clips_the_points_but_smooths_with_what_came_before() -> None:
    values = [10.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    series = [SeriesInput("a", series_color(0), points(values))]
    spec = build_chart("loss", series, ChartOptions(smoothing=0.5), window=StepWindow(3, 5))
    assert spec.x_range == (3.0, 5.0)
    smoothed = spec.lines[-1]
    assert smoothed.xs == [3.0, 4.0, 5.0]
    assert smoothed.ys == pytest.approx(ema(values, 0.5)[3:])


def test_relative_time_counts_from_the_run_start() -> None:
    series = points([1.0, 2.0, 3.0], step_ms=30_000)
    assert x_values(series, "relative", origin_ms=series.timestamps[0] - 5_000) == [5, 35, 65]
    assert x_values(series, "time")[0] == series.timestamps[0] / 1000
    assert x_values(series, "step") == [0.0, 1.0, 2.0]


def test_an_empty_chart_says_so() -> None:
    spec = build_chart("loss", [], ChartOptions())
    assert spec.empty
    assert spec.x_range is None


def test_a_single_point_gets_an_x_range_wider_than_nothing() -> None:
    series = [SeriesInput("a", series_color(0), points([2.0], start_step=7))]
    spec = build_chart("loss", series, ChartOptions(smooth=False))
    assert spec.x_range is not None
    low, high = spec.x_range
    assert low < 7 < high


def test_colours_differ_for_the_first_ten_runs_then_repeat() -> None:
    colours = [series_color(i) for i in range(10)]
    assert len(set(colours)) == 10
    assert series_color(10) == series_color(0)


# --- reducing points to the canvas --------------------------------------------------------


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=400),
    st.integers(1, 40),
)
def test_reducing_to_columns_keeps_extremes_ends_and_order(values: list[float], cols: int) -> None:
    xs = [float(i) for i in range(len(values))]
    out_x, out_y = reduce_to_columns(xs, values, 0.0, float(len(values) - 1), cols)
    if len(values) <= 4 * cols:
        assert (out_x, out_y) == (xs, values)
    else:  # the last x lands in one extra column, at the right edge
        assert len(out_x) <= 4 * (cols + 1)
    assert out_x == sorted(out_x)
    assert out_x[0] == xs[0]
    assert out_x[-1] == xs[-1]
    assert min(out_y) == min(values)
    assert max(out_y) == max(values)


# --- zoom maths ---------------------------------------------------------------------------

EXTENT = StepWindow(0, 1000)


def test_zooming_in_halves_the_window_around_its_centre() -> None:
    assert zoom_window(None, EXTENT, 0.5) == StepWindow(250, 750)
    assert zoom_window(StepWindow(250, 750), EXTENT, 0.5) == StepWindow(375, 625)


def test_zooming_out_to_the_whole_extent_means_no_window() -> None:
    assert zoom_window(StepWindow(250, 750), EXTENT, 2.0) is None
    assert zoom_window(StepWindow(0, 600), EXTENT, 2.0) is None


def test_zooming_out_near_an_edge_stays_inside_the_extent() -> None:
    assert zoom_window(StepWindow(0, 200), EXTENT, 2.0) == StepWindow(0, 400)
    assert zoom_window(StepWindow(900, 1000), EXTENT, 2.0) == StepWindow(800, 1000)


def test_zooming_in_stops_at_the_minimum_width() -> None:
    window = StepWindow(500, 510)
    assert zoom_window(window, EXTENT, 0.5, min_width=10) == StepWindow(500, 510)
    tiny = StepWindow(0, 4)
    assert zoom_window(None, tiny, 0.5, min_width=10) is None


def test_panning_moves_by_a_fraction_of_the_width_and_stops_at_the_edges() -> None:
    window = StepWindow(400, 600)
    assert pan_window(window, EXTENT, 0.25) == StepWindow(450, 650)
    assert pan_window(window, EXTENT, -0.25) == StepWindow(350, 550)
    assert pan_window(StepWindow(0, 200), EXTENT, -0.25) == StepWindow(0, 200)
    assert pan_window(StepWindow(800, 1000), EXTENT, 0.25) == StepWindow(800, 1000)
    assert pan_window(None, EXTENT, 0.25) is None


def test_without_points_there_is_nothing_to_zoom() -> None:
    assert zoom_window(None, None, 0.5) is None
    assert extent_of([SeriesPoints()]) is None
    assert extent_of([points([1.0, 2.0], 5), points([1.0], 2)]) == StepWindow(2, 6)


def test_series_points_clip_to_a_window_and_append() -> None:
    held = SeriesPoints.from_metrics(
        Metric(key="k", value=float(i), timestamp=i, step=i * 10) for i in range(5)
    )
    assert held.within(StepWindow(10, 30)).steps == [10, 20, 30]
    held.extend(points([9.0], start_step=50))
    assert held.last_step == 50
    assert held.last_value == 9.0


# --- points asked of the store ------------------------------------------------------------


def test_the_points_budget_follows_the_width_and_shrinks_for_many_curves() -> None:
    assert points_budget(80) == 320  # four points (about one bucket) per cell
    assert points_budget(120, curves=2) == 480
    assert points_budget(120, curves=4) == 360
    assert points_budget(120, curves=10) == 240
    assert points_budget(10) == 100  # never fewer than this
    assert points_budget(5000) == 4000  # nor more


# --- ticks --------------------------------------------------------------------------------


def test_nice_ticks_are_round_and_inside_the_range() -> None:
    assert nice_ticks(0, 100, 5) == [0, 25, 50, 75, 100]
    ticks = nice_ticks(3, 997, 6)
    assert ticks == [200, 400, 600, 800]
    assert nice_ticks(1, 1, 5) == [1]


def test_time_ticks_fall_on_round_times() -> None:
    hour = 3600
    ticks = time_ticks(10 * hour + 7, 16 * hour, 4)
    assert ticks == [12 * hour, 14 * hour, 16 * hour]


def test_axis_labels() -> None:
    assert format_step(950) == "950"
    assert format_step(12_000) == "12k"
    assert format_step(1_500_000) == "1.5M"
    assert format_elapsed(45) == "45s"
    assert format_elapsed(90) == "1m30s"
    assert format_elapsed(3600 * 5 + 60 * 7) == "5h07m"
    assert format_elapsed(86400 * 2) == "2d"
    assert format_clock(1_750_000_000, 3600) == "15:06"
    assert format_clock(1_750_000_000, 86400 * 3) == "06-15 15:06"


def test_axis_ticks_fit_the_width() -> None:
    narrow, _ = axis_ticks(0, 1_000_000, "step", 30)
    wide, labels = axis_ticks(0, 1_000_000, "step", 120)
    assert len(narrow) < len(wide) <= 8
    assert labels[-1] == "1M"
