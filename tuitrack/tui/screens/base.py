"""What every tuitrack screen has: a title line, an error line, help, back, worker errors,
which of its workers are busy, and live refresh (its tick, and whether it is paused)."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tuitrack.tui.messages import StoreFailed, describe_error
from tuitrack.tui.session import Session


class TitleLine(Static):
    """One line at the top: where you are, and what the screen is showing."""


class ErrorLine(Static):
    """The last store error, kept visible until the next successful load."""


class BaseScreen(Screen[None]):
    BINDINGS = [
        Binding("q,escape", "back", "Back", id="screen.back"),
        Binding("question_mark", "help", "Help", id="screen.help"),
        # Textual's own screen keys, given ids so they can be remapped too.
        Binding("tab", "app.focus_next", "Focus next", show=False, id="screen.focus_next"),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Focus previous",
            show=False,
            id="screen.focus_previous",
        ),
        Binding("ctrl+c", "screen.copy_text", "Copy selected text", show=False, id="screen.copy"),
    ]

    live_paused = var(False)
    """Live refresh is paused: `p` pauses it on every screen (the session holds it)."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.set_reactive(BaseScreen.live_paused, session.live_paused)
        self._resumed = False
        self._shown_title: str | Text | None = None

    @on(events.ScreenResume)
    def _styled_when_mounted(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own resume handler. Textual restyles every node of a screen
        # each time it becomes current; the first time, they were styled a moment ago when
        # mounted, and doing it again holds the UI thread for a good part of a frame.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    @on(events.ScreenResume)
    def _live_paused_elsewhere(self) -> None:
        self.live_paused = self.session.live_paused  # `p` may have been pressed elsewhere

    def show_title(self, title: str | Text) -> None:
        """Put `title` (markup or text) on the title line, once the screen has one; an
        unchanged title is not laid out again."""
        if title != self._shown_title and (lines := self.query_children(TitleLine)):
            self._shown_title = title
            lines.first().update(title)

    def action_back(self) -> None:
        self.dismiss()

    def action_pause(self) -> None:
        self.session.live_paused = not self.session.live_paused
        self.live_paused = self.session.live_paused

    # --- workers and live refresh ---------------------------------------------------------

    def busy(self, *groups: str) -> bool:
        """Whether one of this screen's workers in any of `groups` is running."""
        return any(w.group in groups and w.is_running for w in self.workers if w.node is self)

    def start_live(self, slowdown: float = 1) -> None:
        """Call `live_tick` every refresh interval (times `slowdown`) when live refresh is on."""
        if self.session.refresh_seconds > 0:
            self.set_interval(self.session.refresh_seconds * slowdown, self._live_check)

    def _live_check(self) -> None:
        # A paused session, or a screen under another one, reads nothing.
        if not self.session.live_paused and self.app.screen is self:
            self.live_tick()

    def live_tick(self) -> None:
        """Read what changed while live; screens that refresh override this."""

    def action_help(self) -> None:
        from tuitrack.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    # --- errors from thread workers: the one place they are shown --------------------------

    def show_error(self, message: str) -> None:
        line = self.query_one(ErrorLine)
        line.update(message)
        line.display = bool(message)

    def clear_error(self) -> None:
        if self.query_one(ErrorLine).display:
            self.show_error("")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.handle_worker_error(event.worker, event.worker.error)

    def on_store_failed(self, message: StoreFailed) -> None:
        self.handle_worker_error(None, message.error)

    def handle_worker_error(
        self, worker: Worker[object] | None, error: BaseException | None
    ) -> None:
        """Screens override this to route some errors (e.g. a bad filter) elsewhere."""
        self.show_error(describe_error(error))
