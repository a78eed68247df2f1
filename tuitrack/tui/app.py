"""The tuitrack Textual app: screens on a stack, one session shared by all of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from tuitrack.client import TrackingClient
from tuitrack.orphans import OrphanPolicy
from tuitrack.store import now_ms
from tuitrack.tui import heap
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.session import DEFAULT_REFRESH_SECONDS, Clock, Session


class TuitrackApp(App[None]):
    CSS_PATH = "tuitrack.tcss"
    TITLE = "tuitrack"

    def __init__(
        self,
        client: TrackingClient,
        *,
        clock: Clock = now_ms,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        keymap: dict[str, str] | None = None,
        orphan_policy: OrphanPolicy | None = None,
    ) -> None:
        super().__init__()
        self.session = Session(client=client, clock=clock, refresh_seconds=refresh_seconds)
        if orphan_policy is not None:
            self.session.orphan_policy = orphan_policy
        self._user_keymap = keymap or {}

    def on_mount(self) -> None:
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        self.push_screen(ExperimentsScreen(self.session))
        heap.freeze_survivors()  # the modules and the app: alive until the end

    def on_unmount(self) -> None:
        heap.thaw()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette lists the current screen's actions beside Textual's own commands."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.system or binding.action in seen:
                continue
            seen.add(binding.action)
            node = active.node
            action = binding.action

            def run(action: str = action, node: object = node) -> None:
                self.call_later(self.run_action, action, node)

            label = f"{type(screen).__name__.removesuffix('Screen').lower()}: {binding.description}"
            yield SystemCommand(label, f"key {binding.key}", run)
