"""Screens read without colour (NO_COLOR, where every colour becomes a grey and a 16-colour
terminal draws close greys alike): the column, metric and orphan pickers mark ticked and
unticked items with different characters (`[x]` and `[ ]`); the runs table's cursor row and
the title's orphan count keep no grey of their own."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList

from tests.tui.conftest import make_app
from tests.tui.helpers import settle
from tests.tui.test_app import open_experiment
from tests.tui.test_chart import CHART_RUNS, open_chart, run_ids_by_name
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.screens.base import TitleLine
from tuitrack.tui.screens.columns import ColumnsScreen
from tuitrack.tui.screens.mark_failed import MarkFailedScreen
from tuitrack.tui.screens.metric_picker import MetricPickerScreen


@pytest.fixture(autouse=True)
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


def marks(pilot: Pilot[None]) -> dict[str, str]:
    """Each option's prompt -> the mark drawn before it, as plain characters."""
    assert pilot.app.no_color  # the colours that told the marks apart are gone
    options = pilot.app.screen.query_one(SelectionList)
    drawn = {}
    for y in range(options.option_count):
        line = "".join(segment.text for segment in options.render_line(y))
        prompt = str(options.get_option_at_index(y).prompt)
        assert prompt in line
        drawn[prompt] = line[: line.index(prompt)].strip()
    return drawn


async def test_the_column_picker_marks_read_without_colour(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, client, "mnist-cnn")
        await pilot.press("c")
        assert isinstance(app.screen, ColumnsScreen)
        drawn = marks(pilot)
        assert drawn["metric  train/loss"] == "[x]"
        assert drawn["param   optimizer"] == "[ ]"
        await pilot.press("space")  # the first option: train/loss
        assert marks(pilot)["metric  train/loss"] == "[ ]"


async def test_the_metric_picker_marks_read_without_colour(client: TrackingClient) -> None:
    run_ids = run_ids_by_name(client, "mnist-cnn", CHART_RUNS[:2])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chart(pilot, run_ids, ("val/loss",))
        await pilot.press("m")
        assert isinstance(app.screen, MetricPickerScreen)
        drawn = marks(pilot)
        assert drawn["val/loss"] == "[x]"
        assert drawn["train/loss"] == "[ ]"


async def test_the_orphan_picker_marks_read_without_colour(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, client, "gpt-pretrain")
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, MarkFailedScreen)
        (ticked,) = marks(pilot).values()
        assert ticked == "[x]"
        await pilot.press("space")
        (unticked,) = marks(pilot).values()
        assert unticked == "[ ]"


async def test_the_cursor_row_and_the_orphan_count_keep_no_grey_of_their_own(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "gpt-pretrain")
        orphan = next(r for r in table.runs if r.info.run_name == "pretrain-760m")
        table.move_to_run(orphan.info.run_id)
        await pilot.pause()
        assert app.no_color
        segments = list(table.render_line(table.cursor_row + 1))
        glyph = next(s for s in segments if s.text == "?")
        name = next(s for s in segments if "pretrain-760m" in s.text)
        assert glyph.style is not None
        assert name.style is not None
        assert glyph.style.color == name.style.color  # the cursor's, not magenta
        title = str(app.screen.query_one(TitleLine).content)
        assert "1 orphaned" in title
        assert "magenta" not in title
