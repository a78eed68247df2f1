"""Messages the SDK prints to stderr: a problem is said once, never raised into training."""

from __future__ import annotations

import contextlib
import sys

from tuitrack.sdk_state import STATE


def notice(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr closed at shutdown
        print(f"tuitrack: {message}", file=sys.stderr, flush=True)


def notice_once(topic: str, message: str) -> bool:
    """Print `message` the first time `topic` comes up; return whether it was printed."""
    with STATE.notices_lock:
        if topic in STATE.said:
            return False
        STATE.said.add(topic)
    notice(message)
    return True


def warn_once(topic: str, message: str) -> bool:
    return notice_once(topic, f"warning: {message}")
