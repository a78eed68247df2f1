"""Textual's Footer, rebuilt once per burst of binding changes instead of once for each.

A screen opening (mount, focus, resume) tells the footer its bindings changed several times
in a row; the stock footer recomposes every key for each of them, which makes up a large
share of the time it takes a screen to appear.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_pending:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
