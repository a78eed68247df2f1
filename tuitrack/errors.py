"""The errors every tuitrack store and API raises; nothing else escapes a store."""

from __future__ import annotations


class TuitrackError(Exception):
    """Base class of every error tuitrack raises on purpose.

    `error_code` and `message` are what MLflow code reads from an MlflowException (this class
    is `mlflow.exceptions.MlflowException` under the swap): the name of MLflow's error code
    for the same failure, and the message.
    """

    error_code: str = "INTERNAL_ERROR"

    @property
    def message(self) -> str:
        return str(self)

    @classmethod
    def invalid_parameter_value(cls, message: str) -> InvalidValueError:
        """MLflow's shorthand for an error with code INVALID_PARAMETER_VALUE."""
        return InvalidValueError(message)


class NotFoundError(TuitrackError, LookupError):
    """An experiment, run, metric or artifact that does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExistsError(TuitrackError):
    """Creating something whose unique name or id is already taken."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class InvalidValueError(TuitrackError, ValueError):
    """A key, value, URI, status or argument outside what is allowed."""

    error_code = "INVALID_PARAMETER_VALUE"


class ParamConflictError(InvalidValueError):
    """A param logged again with a different value (params are immutable)."""

    def __init__(self, run_id: str, key: str, old_value: str, new_value: str) -> None:
        self.run_id = run_id
        self.key = key
        self.old_value = old_value
        self.new_value = new_value
        super().__init__(
            f"Param {key!r} of run {run_id} is already logged with value {old_value!r}; "
            f"refusing the different value {new_value!r}. Params are immutable: "
            "log the new value under another key or in a new run."
        )


class UnknownSchemeError(InvalidValueError):
    """A URI whose scheme no installed backend handles."""


class ReadOnlyError(TuitrackError):
    """A write to a store, run or experiment that does not accept it."""

    # MLflow's code for a write to a deleted run or experiment, the common case.
    error_code = "INVALID_PARAMETER_VALUE"


class StoreUnavailableError(TuitrackError):
    """The backing database or filesystem cannot be reached or answered with an error."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class StoreLocationError(StoreUnavailableError):
    """The place named for a store cannot hold one: a missing folder, a file in the way, a
    folder given as the database file, a folder this user cannot write. Unlike an outage,
    waiting does not help; the path must change."""


class FilterSyntaxError(InvalidValueError):
    """A search filter or order_by clause that does not parse or does not make sense.

    `reason` says what is wrong and what is expected. When `filter_string` and `position`
    (a 0-based index into it) are known, the message also shows the filter with a caret
    under the offending position.
    """

    def __init__(
        self, reason: str, filter_string: str | None = None, position: int | None = None
    ) -> None:
        self.reason = reason
        self.filter_string = filter_string
        self.position = position
        if filter_string is None or position is None:
            super().__init__(reason)
        else:
            super().__init__(
                f"Invalid filter at position {position}: {reason}\n"
                + _caret_excerpt(filter_string, position)
            )


_EXCERPT_COLUMNS = 76


def _caret_excerpt(text: str, position: int) -> str:
    """Two indented lines: the line of `text` holding `position`, and a caret under it.

    Long lines are clipped around the caret; unprintable characters are shown as '?' so the
    caret stays aligned and the message cannot drive a terminal; wide characters count twice.
    """
    import unicodedata

    position = max(0, min(position, len(text)))
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line_end = len(text) if line_end == -1 else line_end
    # Characters farther than this from the caret can never be shown: skip them up front.
    low = max(line_start, position - 2 * _EXCERPT_COLUMNS)
    high = min(line_end, position + 2 * _EXCERPT_COLUMNS)
    cells: list[tuple[str, int]] = []
    for char in text[low:high]:
        if char == "\t":
            cells.append((" ", 1))
        elif not char.isprintable():
            cells.append(("?", 1))
        elif unicodedata.combining(char):
            cells.append((char, 0))
        else:
            wide = unicodedata.east_asian_width(char) in ("W", "F")
            cells.append((char, 2 if wide else 1))
    column = position - low
    first, last = 0, len(cells)
    width = sum(w for _, w in cells)
    while width > _EXCERPT_COLUMNS:
        if column - first > last - column:
            width -= cells[first][1]
            first += 1
        else:
            last -= 1
            width -= cells[last][1]
    left = "…" if first > 0 or low > line_start else ""
    right = "…" if last < len(cells) or high < line_end else ""
    shown = left + "".join(c for c, _ in cells[first:last]) + right
    offset = len(left) + sum(w for _, w in cells[first:column])
    return f"  {shown}\n  {' ' * offset}^"
