"""The key bar at the bottom of a screen: Textual's Footer look, drawn as one widget.

Textual's Footer mounts a widget per key and recomposes all of them each time the bindings
change (a screen opening, every focus change): tens of milliseconds of styling and layout
on the UI thread each time. This footer keeps the same look but is a single line of text,
rebuilt only when the keys it shows actually change. Binding groups are not drawn as groups
(tuitrack defines none); a click on a key presses it, as with Textual's.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

DISABLED = Style(dim=True)
PALETTE_EDGE = "▏"
"""The left edge drawn before the command palette key (Textual's `vkey` border)."""


@dataclass(frozen=True)
class FooterItem:
    key: str
    """The key pressed when the item is clicked."""
    key_display: str
    description: str
    enabled: bool


class KeysFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--edge",
    }
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: tuple[FooterItem, ...] = ()
        self._palette: FooterItem | None = None
        self._spans: list[tuple[int, int, FooterItem]] = []
        """Where each item was drawn last: (start x, end x, item), for clicks."""
        self._pending = False
        self._watched: Screen[object] | None = None
        """The screen whose bindings this footer shows, kept to unsubscribe from it."""

    def on_mount(self) -> None:
        self._watched = self.screen
        self._watched.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        # By now the link up to the screen may be cut: `self.screen` would raise.
        if self._watched is not None:
            self._watched.bindings_updated_signal.unsubscribe(self)
            self._watched = None

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # Several changes arrive in a row when a screen opens: read the bindings once.
        if self._pending or not screen.app.app_focus or screen is not self._showing():
            return
        self._pending = True
        self.call_after_refresh(self._read_bindings)

    def _showing(self) -> Screen[object] | None:
        """This footer's screen, or None once the footer is no longer in the app's DOM."""
        return self.screen if self.is_attached else None

    def _read_bindings(self) -> None:
        self._pending = False
        # Textual runs this from the queue of whichever screen is current when it was
        # scheduled; going back a screen can remove this footer's screen before that.
        screen = self._showing()
        if screen is None:
            return
        items, palette = self._current_items(screen)
        if (items, palette) != (self._items, self._palette):
            self._items, self._palette = items, palette
            self.refresh()

    def _current_items(
        self, screen: Screen[object]
    ) -> tuple[tuple[FooterItem, ...], FooterItem | None]:
        app = self.app
        active = screen.active_bindings
        items: dict[str, FooterItem] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in items:
                display = app.get_key_display(binding)
                items[binding.action] = FooterItem(
                    binding.key, display, binding.description, enabled
                )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            display = app.get_key_display(binding)
            palette = FooterItem(binding.key, display, binding.description, enabled)
        return tuple(items.values()), palette

    def render(self) -> Text:
        width = self.size.width
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")

        def styles(item: FooterItem) -> tuple[Style, Style]:
            if item.enabled:
                return key_style, description_style
            return key_style + DISABLED, description_style + DISABLED

        self._spans = []
        line = Text(no_wrap=True, overflow="crop", end="")
        for item in self._items:
            start = line.cell_len
            key, description = styles(item)
            line.append(f" {item.key_display} ", key)
            if item.description:
                line.append(f"{item.description} ", description)
            self._spans.append((start, line.cell_len, item))
        palette = self._palette
        if palette is None:
            return line
        # Docked right over the keys, as Textual draws it: edge, key, description, a blank.
        key, description = styles(palette)
        right = Text(PALETTE_EDGE, style=self.get_component_rich_style("keys-footer--edge"))
        right.append(palette.key_display, key)
        right.append(f" {palette.description}", description)
        right.append(" ")
        room = max(width - right.cell_len, 0)
        line.truncate(room, overflow="crop")
        line.append(" " * (room - line.cell_len))  # the footer's own background
        self._spans = [(a, min(b, room), item) for a, b, item in self._spans if a < room]
        self._spans.append((room, width, palette))
        line.append_text(right)
        return line

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, item in self._spans:
            if start <= event.x < end:
                if item.enabled:
                    self.app.simulate_key(item.key)
                else:
                    self.app.bell()
                return
