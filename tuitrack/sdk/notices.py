"""Messages the SDK prints to stderr: a problem is said once, never raised into training
(what was said is kept in the SDK's state, so a test's reset or a forked child starts over)."""

from __future__ import annotations

from tuitrack.core.notices import notice
from tuitrack.sdk.state import STATE


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
