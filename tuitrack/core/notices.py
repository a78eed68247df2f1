"""How tuitrack speaks on stderr: one line with its name in front, never an exception (the
SDK says each problem once: tuitrack.sdk.notices)."""

from __future__ import annotations

import contextlib
import sys


def notice(message: str) -> None:
    """Print `message` on stderr as `tuitrack: message`; a closed stderr is no error."""
    with contextlib.suppress(OSError, ValueError):  # stderr closed at shutdown
        print(f"tuitrack: {message}", file=sys.stderr, flush=True)
