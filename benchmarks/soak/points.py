"""The points every soak writer logs, in order: the n-th point of a run is known from n,
so the check can compare what is stored with what a writer says it logged."""

from __future__ import annotations

KEYS = ("soak/loss", "soak/accuracy", "soak/lr")


def point(index: int) -> tuple[str, int, float]:
    """(key, step, value) of a run's point number `index` (from 0); values are exact
    binary fractions, so they compare equal after any round trip."""
    step, key_index = divmod(index, len(KEYS))
    return KEYS[key_index], step, expected_value(key_index, step)


def expected_value(key_index: int, step: int) -> float:
    return step * 0.5 + key_index


def index_of(key: str, step: int) -> int | None:
    """The point number of (key, step), or None for a key no writer logs."""
    if key not in KEYS or step < 0:
        return None
    return step * len(KEYS) + KEYS.index(key)
