"""Result limits of the store contract: how many rows one page of a search may hold."""

from __future__ import annotations

from tuitrack.errors import InvalidValueError

MAX_RESULTS_LIMIT = 50_000


def checked_max_results(max_results: object) -> int:
    """`max_results` if it is an integer from 1 to MAX_RESULTS_LIMIT, else InvalidValueError."""
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise InvalidValueError(f"max_results must be an integer, got {max_results!r}")
    if not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise InvalidValueError(
            f"max_results {max_results} is outside the allowed range 1..{MAX_RESULTS_LIMIT}"
        )
    return max_results
