"""The tuitrack Textual app: screens on a stack, one session shared by all of them."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from tuitrack.core.orphans import OrphanPolicy
from tuitrack.core.store import now_ms
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui import heap
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.session import DEFAULT_REFRESH_SECONDS, Clock, Session
from tuitrack.tui.typeahead import until_settled


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
        self._held_keys: deque[events.Key] = deque()
        """Keys typed while an earlier key (or the start) was still being handled."""
        self._settling: asyncio.Task[None] | None = None

    def on_mount(self) -> None:
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        self.push_screen(ExperimentsScreen(self.session))
        self._settle(pressed_on=None)  # keys typed at start wait for the first screen
        heap.freeze_survivors()  # the modules and the app: alive until the end

    def on_unmount(self) -> None:
        if self._settling is not None:
            self._settling.cancel()
        heap.thaw()

    # --- keys typed ahead: one at a time, each on the screen the keys before it left -----

    @property
    def keys_pending(self) -> bool:
        """Whether typed keys are held, or the last one handed on has not settled yet."""
        return self._settling is not None or bool(self._held_keys)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self.keys_pending and not self._acts_at_once(event.key):
                self._held_keys.append(event)
            else:
                await self._press(event)
            return
        await super().on_event(event)

    def _acts_at_once(self, key: str) -> bool:
        """The app's own priority keys (ctrl+q quits) skip the queue: they are for when the
        app is busy, and act the same on any screen."""
        active = self.screen.active_bindings.get(key)
        return active is not None and active.node is self and active.binding.priority

    async def _press(self, key: events.Key) -> None:
        pressed_on = self.screen
        await super().on_event(key)  # Textual's own handling: to the focused widget
        if self._settling is None:
            self._settle(pressed_on)

    def _settle(self, pressed_on: Screen[Any] | None) -> None:
        self._settling = asyncio.create_task(self._release_after_settling(pressed_on))

    async def _release_after_settling(self, pressed_on: Screen[Any] | None) -> None:
        try:
            await until_settled(self, pressed_on)
        finally:
            self._settling = None
            if self._held_keys:
                self.call_later(self._press_held)

    async def _press_held(self) -> None:
        if self._settling is None and self._held_keys:
            await self._press(self._held_keys.popleft())

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
