"""Draw a ChartSpec on a plotext figure: the TUI widget's and `tuitrack plot`'s one renderer."""

from __future__ import annotations

from typing import Any, Protocol

from tuitrack.tui.charting import ChartSpec

# Without colour, runs are told apart by their marker (the legend shows which).
PLAIN_MARKERS = ("•", "+", "x", "o", "*", "#", "@", "%", "=", "~")


class PlotextFigure(Protocol):
    """The part of plotext's figure API used here (the module and a figure both have it)."""

    def clear_data(self) -> None: ...
    def title(self, label: str | None = None) -> None: ...
    def yscale(self, scale: str | None = None) -> None: ...
    def xlim(self, left: float | None = None, right: float | None = None) -> None: ...
    def xticks(self, ticks: Any = None, labels: Any = None) -> None: ...
    def plot(self, *args: Any, **kwargs: Any) -> None: ...


def draw_spec(plt: PlotextFigure, spec: ChartSpec, *, plain: bool = False) -> None:
    """Replace what `plt` shows with `spec`. Every setting is set each time, since plotext
    keeps settings such as the title and the y scale across clear_data()."""
    plt.clear_data()
    title = spec.title
    if spec.empty:
        title = f"{title} · no points" if spec.hidden_points == 0 else f"{title} · nothing > 0"
    elif spec.hidden_points:
        title = f"{title} · {spec.hidden_points} points <= 0 hidden"
    plt.title(title)
    plt.yscale("log" if spec.log_y and not spec.empty else "linear")
    if spec.x_range is not None:
        plt.xlim(*spec.x_range)
    plt.xticks(list(spec.x_ticks), list(spec.x_labels))
    for line in spec.lines:
        if plain:
            if line.faint:
                continue  # without colour a faint curve is only clutter
            plt.plot(line.xs, line.ys, marker=PLAIN_MARKERS[line.series % len(PLAIN_MARKERS)])
        else:
            plt.plot(line.xs, line.ys, marker="braille", color=line.color)
