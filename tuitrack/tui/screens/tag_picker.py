"""Pick a tag key, then one of its values, to add `tags.key = 'value'` to the runs filter."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tuitrack.entities import TagSummary
from tuitrack.search.lexical import quote_key, quote_string
from tuitrack.tui.formatting import truncate
from tuitrack.tui.messages import describe_error
from tuitrack.tui.queries import load_tag_summaries
from tuitrack.tui.session import Session

SYSTEM_PREFIXES = ("tuitrack.", "mlflow.")
KEY_WIDTH = 32
VALUE_WIDTH = 40
ANY_VALUE = "any-value"
NO_VALUE = "no-value"


def tag_condition(key: str, value: str | None, present: bool = True) -> str:
    """`tags.key = 'value'`; with no value, whether the tag is set at all (`present`)."""
    field = f"tags.{quote_key(key)}"
    if value is None:
        return f"{field} IS NOT NULL" if present else f"{field} IS NULL"
    return f"{field} = {quote_string(value)}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class TagsLoaded(Message):
    def __init__(self, summaries: list[TagSummary]) -> None:
        super().__init__()
        self.summaries = summaries


class TagPickerScreen(ModalScreen[str | None]):
    """Dismisses with a filter condition, or None when cancelled."""

    BINDINGS = [
        Binding("escape,q", "back", "Back", id="tags.back"),
        Binding("j", "cursor_down", "Down", show=False, id="tags.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tags.up"),
    ]

    def __init__(self, session: Session, experiment_ids: tuple[str, ...]) -> None:
        super().__init__()
        self.session = session
        self.experiment_ids = experiment_ids
        self.summaries: list[TagSummary] = []
        self.key: str | None = None
        """The key whose values are listed; None while keys are listed."""
        self.values: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="tag-dialog"):
            yield Label("Filter by tag: pick a key", classes="dialog-title", id="tag-title")
            yield OptionList(id="tag-options")
            yield Static("loading…", classes="dialog-hint", id="tag-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tags")
    def load(self) -> None:
        self.post_message(TagsLoaded(load_tag_summaries(self.session.client, self.experiment_ids)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#tag-hint", Static).update(describe_error(event.worker.error))

    def on_tags_loaded(self, message: TagsLoaded) -> None:
        # The user's own tags first; tuitrack's and MLflow's bookkeeping after them.
        self.summaries = sorted(
            message.summaries, key=lambda s: (s.key.startswith(SYSTEM_PREFIXES), s.key)
        )
        self._show_keys()

    def _show_keys(self, highlight: str | None = None) -> None:
        self.key = None
        options = self.query_one(OptionList)
        options.clear_options()
        width = max((len(truncate(s.key, KEY_WIDTH)) for s in self.summaries), default=0)
        for summary in self.summaries:
            label = Text(truncate(summary.key, KEY_WIDTH).ljust(width + 2), style="bold")
            if summary.key.startswith(SYSTEM_PREFIXES):
                label.stylize("dim")
            counts = f"{_plural(summary.distinct_values, 'value')}, {_plural(summary.runs, 'run')}"
            label.append(counts, style="dim")
            options.add_option(Option(label, id=summary.key))
        if highlight is not None:
            keys = [s.key for s in self.summaries]
            options.highlighted = keys.index(highlight) if highlight in keys else 0
        elif self.summaries:
            options.highlighted = 0
        self.query_one("#tag-title", Label).update("Filter by tag: pick a key")
        hint = "Enter lists its values, Esc closes."
        if not self.summaries:
            hint = "No run here has a tag yet."
        self.query_one("#tag-hint", Static).update(hint)

    def _show_values(self, summary: TagSummary) -> None:
        self.key = summary.key
        options = self.query_one(OptionList)
        options.clear_options()
        self.values = [value for value, _runs in summary.values]
        shown = [truncate(value, VALUE_WIDTH) if value else '""' for value in self.values]
        width = max((len(text) for text in shown), default=0)
        for index, (text, (_value, runs)) in enumerate(zip(shown, summary.values, strict=True)):
            label = Text(text.ljust(width + 2))
            label.append(_plural(runs, "run"), style="dim")
            options.add_option(Option(label, id=f"value-{index}"))
        options.add_option(Option(Text("any value (the tag is set)", style="italic"), ANY_VALUE))
        options.add_option(Option(Text("no value (the tag is not set)", style="italic"), NO_VALUE))
        options.highlighted = 0
        self.query_one("#tag-title", Label).update(f"tags.{summary.key} =")
        hint = "Enter adds it to the filter, Esc goes back to the keys."
        if summary.distinct_values > len(summary.values):
            hint = (
                f"The {len(summary.values)} most common of {summary.distinct_values:,} values; "
                f"type others with /.  {hint}"
            )
        self.query_one("#tag-hint", Static).update(hint)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id
        if chosen is None:
            return
        if self.key is None:
            summary = next(s for s in self.summaries if s.key == chosen)
            self._show_values(summary)
        elif chosen in (ANY_VALUE, NO_VALUE):
            self.dismiss(tag_condition(self.key, None, present=chosen == ANY_VALUE))
        else:
            self.dismiss(tag_condition(self.key, self.values[int(chosen.removeprefix("value-"))]))

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_back(self) -> None:
        if self.key is not None:
            self._show_keys(highlight=self.key)
        else:
            self.dismiss(None)
