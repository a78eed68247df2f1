"""Keep Python's cyclic garbage collector from stalling the UI thread.

Loaded runs are many small, long-lived objects with no reference cycles, and every full
collection rescans all of them: with ten thousand runs loaded, one collection holds the UI
for a few hundred milliseconds. Freezing moves every object alive now out of the
collector's sight (reference counting still frees them once dropped). A closed screen's
widgets do form cycles, so thawing on close lets later collections reclaim them.
"""

from __future__ import annotations

import gc


def freeze_survivors() -> None:
    """Objects alive now are long-lived: stop rescanning them."""
    gc.freeze()


def thaw() -> None:
    """Let the collector see every object again (after a screen with cycles closes)."""
    gc.unfreeze()
