"""Keys typed ahead: each one waits until the app has settled after the keys before it.

Textual hands a key to the focused widget of the current screen as soon as it reads it,
while what the key before it set off may still be on its way: `Enter` opens a screen a few
messages later, `Esc` on the filter bar moves focus to the table a few messages later. A
key typed quickly behind one of those acted on the screen or widget on its way out
(`Enter q` quit the app instead of opening an experiment and coming back). So the app
holds a key that arrives while an earlier one is being handled, and hands it on once
`until_settled` returns: every message the earlier key set off handled, and a screen it
brought up done with its first reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen

SETTLE_LIMIT_SECONDS = 3.0
"""The longest a held key waits (a slow store's first page, say), then it goes anyway."""
ROUND_LIMIT_SECONDS = 0.25
"""The longest one round of waiting for messages lasts (a node closed under it, say)."""
POLL_SECONDS = 0.01
"""How often to look again at a new screen's first reads (threads, not messages)."""


async def handled_so_far(nodes: Iterable[MessagePump], timeout: float) -> bool:
    """Wait until each node has handled the messages it held when called; False on timeout."""
    done = asyncio.Event()
    waiting = 0

    def one_done() -> None:
        nonlocal waiting
        waiting -= 1
        if not waiting:
            done.set()

    for node in nodes:
        if node.call_later(one_done):
            waiting += 1
    if not waiting:  # every node closed: nothing to wait for, but never spin
        await asyncio.sleep(POLL_SECONDS)
        return True
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except TimeoutError:
        return False
    return True


def current_screen(app: App[Any]) -> Screen[Any] | None:
    """The screen keys go to, or None while the app has none (starting, exiting)."""
    if not app.is_running or not app.screen_stack:
        return None
    return app.screen


def reading(app: App[Any], screen: Screen[Any]) -> bool:
    """Whether the screen or a widget on it has a worker still going (its first reads)."""
    nodes = {screen, *screen.walk_children()}
    return any(not worker.is_finished and worker.node in nodes for worker in app.workers)


async def until_settled(app: App[Any], pressed_on: Screen[Any] | None) -> None:
    """Return once the app has settled after a key pressed on `pressed_on` (None: the app's
    start), or after SETTLE_LIMIT_SECONDS.

    Settled: the app, its current screen and every widget on it have handled every
    message, those that handling posted included, with the screen and focus unchanged
    while the last of them were handled; and if the current screen is not the one the
    key was pressed on, that screen's workers are done.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_LIMIT_SECONDS
    while (left := deadline - loop.time()) > 0:
        screen = current_screen(app)
        if screen is None:
            return
        focused = screen.focused
        nodes = [app, *screen.walk_children(with_self=True)]
        if not await handled_so_far(nodes, min(left, ROUND_LIMIT_SECONDS)):
            continue
        if current_screen(app) is not screen or screen.focused is not focused:
            continue
        # Handling may have mounted widgets or posted messages since the round began.
        if any(node.message_queue_size for node in [app, *screen.walk_children(with_self=True)]):
            continue
        if screen is not pressed_on and reading(app, screen):
            await asyncio.sleep(POLL_SECONDS)
            continue
        return
