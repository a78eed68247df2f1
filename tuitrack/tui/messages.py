"""Messages shared between widgets and screens."""

from __future__ import annotations

from textual.message import Message

from tuitrack.errors import TuitrackError


def describe_error(error: BaseException | None) -> str:
    """One line a person can act on; our own errors already say what was wrong."""
    if error is None:
        return "unknown error"
    if isinstance(error, TuitrackError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class StoreFailed(Message):
    """A store call in a worker failed; the screen shows it in its error line."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__()
        self.error = error
