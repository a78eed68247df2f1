"""The experiments, run, chart and compare titles: composed from state by the Textual-free models,
and on screen following each change of that state without being pushed."""

from __future__ import annotations

from rich.text import Text

from tests.tui.conftest import FIXED_NOW, make_app
from tests.tui.helpers import settle
from tuitrack.entities import Metric
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.charting import ChartOptions, StepWindow
from tuitrack.tui.formatting import CRUMB
from tuitrack.tui.screen_titles import (
    ChartTitle,
    CompareTitle,
    ExperimentsTitle,
    RunTitle,
    counted,
    live_label,
)
from tuitrack.tui.screens.base import TitleLine
from tuitrack.tui.screens.chart import ChartScreen
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.screens.run import RunScreen
from tuitrack.tui.status import DisplayStatus
from tuitrack.tui.widgets.key_table import KeyTable


def bold_parts(text: Text) -> list[str]:
    return [text.plain[span.start : span.end] for span in text.spans if span.style == "bold"]


def test_counts_say_more_when_more_are_left_to_read() -> None:
    assert counted(1, "run") == "1 run"
    assert counted(0, "run") == "0 runs"
    assert counted(1200, "experiment") == "1,200 experiments"
    assert counted(1, "experiment", more=True) == "1+ experiments"


def test_the_live_label_says_paused_or_how_often_or_nothing() -> None:
    assert live_label(2, paused=False) == "live 2s"
    assert live_label(0.5, paused=True) == "paused"
    assert live_label(0, paused=True) == ""


def test_the_experiments_title_puts_the_uri_last_and_escapes_what_was_typed() -> None:
    assert ExperimentsTitle("~/store").markup() == "[b]tuitrack[/b]  ·  loading…  ·  ~/store"
    title = ExperimentsTitle(
        "sqlite:///[x].db",
        shown=3,
        more=True,
        name_filter="[red]",
        show_deleted=True,
        marked=2,
        read_only=True,
    )
    assert Text.from_markup(title.markup()).plain == (
        "tuitrack  ·  3+ experiments  ·  name ~ '[red]'  ·  incl. deleted  ·  2 marked"
        "  ·  read-only  ·  sqlite:///[x].db"
    )


def test_the_chart_title_names_the_metrics_the_zoom_the_options_and_live() -> None:
    title = ChartTitle(
        ("loss", "acc"), 2, "step · raw", window=StepWindow(10, 20), live="paused"
    ).text()
    assert title.plain == f"chart {CRUMB} loss, acc · 2 runs · steps 10..20 · step · raw · paused"
    assert bold_parts(title) == ["chart", "loss, acc", " · steps 10..20"]
    waiting = ChartTitle((), 1, "step · raw").text()
    assert waiting.plain == f"chart {CRUMB} loading… · 1 run · step · raw"


def test_the_compare_title_says_what_is_still_being_read() -> None:
    assert CompareTitle(3).text().plain == f"tuitrack {CRUMB} compare  ·  3 runs  ·  loading…"
    finding = CompareTitle(2, experiments=1, only_differences=True).text()
    assert finding.plain == (
        f"tuitrack {CRUMB} compare  ·  2 runs  ·  finding best steps…  ·  only differences"
    )
    done = CompareTitle(2, experiments=2, steps_loaded=True).text()
    assert done.plain == f"tuitrack {CRUMB} compare  ·  2 runs  ·  2 experiments"


def test_the_run_title_names_the_experiment_the_run_its_status_and_live() -> None:
    loading = RunTitle("0123456789abcdef").text()
    assert loading.plain == f"tuitrack {CRUMB} run 01234567  ·  loading…"
    running = RunTitle("0123456789abcdef", "mnist", None, DisplayStatus.RUNNING, "live 2s")
    assert running.text().plain.startswith(f"tuitrack {CRUMB} mnist {CRUMB} 01234567  ·  ")
    assert running.text().plain.endswith("  ·  live 2s")
    finished = RunTitle("0123456789abcdef", "mnist", "lr-0.1", DisplayStatus.FINISHED)
    assert finished.text().plain.startswith(f"tuitrack {CRUMB} mnist {CRUMB} lr-0.1  ·  ")
    assert "live" not in finished.text().plain


def title_of(app: TuitrackApp) -> str:
    return Text.from_markup(str(app.screen.query_one(TitleLine).content)).plain


async def test_the_experiments_title_follows_marks_the_filter_and_deleted(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        assert title_of(app).startswith("tuitrack  ·  5 experiments  ·  ")
        await pilot.press("space", "space")
        assert "  ·  2 marked  ·  " in title_of(app)
        await pilot.press("slash", *"cifar")
        await settle(pilot)
        assert "1 experiment  ·  name ~ 'cifar'  ·  2 marked" in title_of(app)
        await pilot.press("enter", "escape")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        rows = app.screen.query_one(KeyTable).row_count
        assert f"{rows} experiments  ·  incl. deleted  ·  2 marked" in title_of(app)


async def test_the_chart_title_shows_a_pause_at_once(empty_client: TrackingClient) -> None:
    experiment = empty_client.create_experiment("live")
    run = empty_client.create_run(experiment, run_name="live", start_time=FIXED_NOW)
    run_id = run.info.run_id
    points = [Metric(key="loss", value=1 / (1 + i), timestamp=FIXED_NOW, step=i) for i in range(50)]
    empty_client.log_batch(run_id, metrics=points)
    app = TuitrackApp(empty_client, clock=lambda: FIXED_NOW, refresh_seconds=30)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ChartScreen(app.session, [run_id], ("loss",)))
        await settle(pilot)
        options = ChartOptions().describe()
        assert title_of(app) == f"chart {CRUMB} loss · 1 run · {options} · live 30s"
        await pilot.press("p")
        assert title_of(app) == f"chart {CRUMB} loss · 1 run · {options} · paused"
        await pilot.press("plus", "s")
        assert title_of(app).startswith(f"chart {CRUMB} loss · 1 run · steps ")
        assert title_of(app).endswith(f" · {ChartOptions(smooth=False).describe()} · paused")


async def test_the_run_title_shows_a_pause_and_a_status_change(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("live")
    run_id = empty_client.create_run(experiment, run_name="warm", start_time=FIXED_NOW).info.run_id
    app = TuitrackApp(empty_client, clock=lambda: FIXED_NOW, refresh_seconds=30)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        app.push_screen(RunScreen(app.session, run_id))
        await settle(pilot)
        assert title_of(app).startswith(f"tuitrack {CRUMB} live {CRUMB} warm  ·  ")
        assert title_of(app).endswith("  ·  live 30s")
        await pilot.press("p")
        assert title_of(app).endswith("  ·  paused")
        empty_client.set_terminated(run_id, "FINISHED", end_time=FIXED_NOW)
        await pilot.press("r")
        await settle(pilot)
        assert "FINISHED" in title_of(app).upper()
        assert "paused" not in title_of(app)
