"""One metric of several runs, drawn with plotext; rebuilt only when shown data or size change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual_plotext import PlotextPlot

from tuitrack.tui.charting import ChartOptions, ChartSpec, Rgb, SeriesInput, StepWindow, build_chart
from tuitrack.tui.plotext_draw import draw_spec

# Above this many curves the faint raw ones behind the smoothed ones are left out: they
# would bury the curves being compared, and each one costs drawing time.
MAX_FAINT_RAW = 4


class MetricChart(PlotextPlot):
    DEFAULT_CSS = """
    MetricChart {
        height: 1fr;
        min-height: 6;
    }
    """

    def __init__(self, key: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key = key
        self.series: tuple[SeriesInput, ...] = ()
        self.options = ChartOptions()
        self.window: StepWindow | None = None
        self.version = 0
        """Bumped by every show(); `drawn_version` catches up when it is on screen."""
        self.drawn_version = -1
        self.spec: ChartSpec | None = None
        self._cache: tuple[tuple[object, ...], Text] | None = None

    def show(
        self,
        series: Sequence[SeriesInput],
        options: ChartOptions,
        window: StepWindow | None,
    ) -> None:
        """Draw these series at the next refresh; many calls before it cost one drawing."""
        self.series = tuple(series)
        self.options = options
        self.window = window
        self.version += 1
        self.refresh()

    def _background(self) -> Rgb:
        surface = self.app.theme_variables.get("surface", "#000000")
        return Color.parse(surface).rgb

    def render(self) -> RenderResult:
        if self.version == 0:
            return Text("")  # nothing to show before the first show(): skip a plotext build
        width, height = self.size.width, self.size.height
        cache_key = (self.version, width, height, self.app.theme)
        if self._cache is not None and self._cache[0] == cache_key:
            return self._cache[1]
        # The plot area is the widget less the y tick labels; close enough for detail.
        spec = build_chart(
            self.key,
            self.series,
            self.options,
            window=self.window,
            columns=max(width - 8, 10),
            background=self._background(),
            faint_raw=len(self.series) <= MAX_FAINT_RAW,
        )
        self.spec = spec
        draw_spec(self.plt, spec)
        text = cast(Text, super().render())
        self._cache = (cache_key, text)
        self.drawn_version = self.version
        return text
