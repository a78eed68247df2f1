"""What the title lines of the experiments, run, chart and compare screens say, composed
from each screen's state (the runs screen's title, fitted to the width, is in runs_title)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from rich.text import Text

from tuitrack.tui.chart_axis import format_step
from tuitrack.tui.charting import StepWindow
from tuitrack.tui.formatting import CRUMB, truncate
from tuitrack.tui.status import DisplayStatus, status_label

CHART_KEYS_WIDTH = 36


def counted(count: int, noun: str, more: bool = False) -> str:
    """`1 run`, `3 runs`, `1,000 runs`; with `more` (others not read yet), `50+ runs`."""
    return f"{count:,}{'+' if more else ''} {noun}{'s' if count != 1 or more else ''}"


def live_label(refresh_seconds: float, paused: bool) -> str:
    """`live 2s`, `paused`, or empty when live refresh is off."""
    if refresh_seconds <= 0:
        return ""
    return "paused" if paused else f"live {refresh_seconds:g}s"


@dataclass(frozen=True)
class ExperimentsTitle:
    """The experiments screen's title: the count first, the store's URI last (a narrow
    terminal cuts a long URI off)."""

    uri: str
    shown: int | None = None
    """Experiments shown; None while they are being read."""
    more: bool = False
    """More experiments are left to read."""
    name_filter: str = ""
    show_deleted: bool = False
    marked: int = 0
    read_only: bool = False

    def markup(self) -> str:
        """The title as markup."""
        parts = ["[b]tuitrack[/b]"]
        if self.shown is None:
            parts.append("loading…")
        else:
            parts.append(counted(self.shown, "experiment", self.more))
        if self.name_filter:
            parts.append(escape(f"name ~ {self.name_filter!r}"))
        if self.show_deleted:
            parts.append("incl. deleted")
        if self.marked:
            parts.append(f"{self.marked} marked")
        if self.read_only:
            parts.append("read-only")
        parts.append(escape(self.uri))
        return "  ·  ".join(parts)


@dataclass(frozen=True)
class ChartTitle:
    """The chart screen's title, with short separators: at 80 columns every setting fits."""

    keys: tuple[str, ...]
    runs: int
    options: str
    """The chart options as described (x axis, smoothing, log y)."""
    window: StepWindow | None = None
    """The zoomed step range; None for the whole range."""
    live: str = ""
    """`live 2s` or `paused` while a run shown is live; empty otherwise."""

    def text(self) -> Text:
        """The title as styled text."""
        title = Text.assemble(("chart", "bold"), f" {CRUMB} ")
        title.append(truncate(", ".join(self.keys) or "loading…", CHART_KEYS_WIDTH), style="bold")
        title.append(f" · {counted(self.runs, 'run')}")
        if self.window is not None:
            lo, hi = format_step(self.window.lo), format_step(self.window.hi)
            title.append(f" · steps {lo}..{hi}", style="bold")
        title.append(f" · {self.options}")
        if self.live:
            title.append(f" · {self.live}")
        return title


@dataclass(frozen=True)
class CompareTitle:
    """The compare screen's title."""

    runs: int
    experiments: int | None = None
    """How many experiments the runs belong to; None while the runs are being read."""
    steps_loaded: bool = False
    """Each metric's best step is known (it is read after the rest)."""
    only_differences: bool = False

    def text(self) -> Text:
        """The title as styled text."""
        title = Text.assemble(("tuitrack", "bold"), f" {CRUMB} compare")
        title.append(f"  ·  {counted(self.runs, 'run')}")
        if self.experiments is None:
            title.append("  ·  loading…")
        else:
            if self.experiments > 1:
                title.append(f"  ·  {self.experiments} experiments")
            if not self.steps_loaded:
                title.append("  ·  finding best steps…")
        if self.only_differences:
            title.append("  ·  only differences", style="bold")
        return title


@dataclass(frozen=True)
class RunTitle:
    """The run screen's title: where the run is, its name and its status as shown."""

    run_id: str
    experiment_name: str | None = None
    """None while the run is being read."""
    run_name: str | None = None
    status: DisplayStatus | None = None
    live: str = ""
    """`live 2s` or `paused` while the run is RUNNING; empty otherwise."""

    def text(self) -> Text:
        """The title as styled text."""
        if self.experiment_name is None or self.status is None:
            return Text.assemble(
                ("tuitrack", "bold"), f" {CRUMB} run {self.run_id[:8]}  ·  loading…"
            )
        title = Text.assemble(("tuitrack", "bold"), f" {CRUMB} {self.experiment_name} {CRUMB} ")
        title.append(truncate(self.run_name or self.run_id[:8], 40))
        title.append("  ·  ")
        title.append_text(status_label(self.status))
        if self.live:
            title.append(f"  ·  {self.live}")
        return title
