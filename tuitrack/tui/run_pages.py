"""Which pages of a run listing the runs table holds, and how to read the ones around them.

The table keeps a window of a few pages, not every page read: far pages are dropped and read
again (from the page token kept for each) when the cursor comes back. `G` reads the listing
from its end, as the same search in the reverse order, so the last rows come at once.

The store sorts missing values (and NaN metrics) last in both directions, so the reverse of
a listing sorted by a key that may be missing is two searches: the runs missing it, then the
others, each in the reverse order. Runs are assumed to have a start time (every store sets
one when a run is created).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tuitrack.core.orphans import OrphanPolicy
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.queries import RunsPage, RunsQuery, load_judged_page

ALWAYS_PRESENT = (
    "attributes.start_time",
    "attributes.status",
    "attributes.run_id",
    "attributes.experiment_id",
)
"""Sort keys no run lacks: reversing their order reverses the listing."""
REVERSED_TIE_BREAK = ("attributes.start_time ASC", "attributes.run_id DESC")
"""The store breaks ties by start_time DESC, run_id ASC; this is their reverse."""


@dataclass(frozen=True)
class PageStart:
    """Where a page begins: in which search of the chain, after which page token."""

    search: int
    token: str | None


@dataclass(frozen=True)
class HeldWindow:
    """Which part of the listing the pages held cover."""

    before: int = 0
    """Runs in the pages above the ones held."""
    count: int = 0
    """Runs in the pages held."""
    top: bool = True
    """The listing's first page is held, or nothing is."""
    backward: bool = False
    more: bool = False
    """A page below the ones held is left to read."""

    def rows(self, total: int) -> tuple[int, int] | None:
        """Where the runs held lie in the whole listing of `total` runs, as (first, last)
        counted from 1; None while the top of the listing is held (or nothing is)."""
        if self.top:
            return None
        if self.backward:
            return (max(total - self.before - self.count + 1, 1), total - self.before)
        return (self.before + 1, min(self.before + self.count, total))


@dataclass
class PageChain:
    """The pages of one reading order: page i + 1 follows page i. `backward` chains read the
    listing from its end, so their pages are shown reversed, page 0 at the bottom."""

    searches: tuple[RunsQuery, ...]
    backward: bool
    first_size: int
    more_size: int
    starts: list[PageStart | None] = field(default_factory=lambda: [PageStart(0, None)])
    """starts[i] reads page i; None: page i - 1 was the last. Grows as pages are read."""
    held: dict[int, int] = field(default_factory=dict)
    """The pages the table holds: page index -> how many of its runs the table added."""
    lengths: dict[int, int] = field(default_factory=dict)
    """How many runs each page read so far holds."""

    def size(self, index: int) -> int:
        """Page 0 is small (first rows at once); a page's size never changes, so reading it
        again from its token gives the same rows."""
        return self.first_size if index == 0 else self.more_size

    def _outward(self) -> int | None:
        after = max(self.held, default=-1) + 1
        known = after < len(self.starts) and self.starts[after] is not None
        return after if known else None

    def _inward(self) -> int | None:
        first = min(self.held, default=0)
        return first - 1 if first > 0 else None

    def below(self) -> int | None:
        """The page to read for rows below the last one held; None at the listing's end."""
        return self._inward() if self.backward else self._outward()

    def above(self) -> int | None:
        """The page to read for rows above the first one held; None at the listing's top."""
        return self._outward() if self.backward else self._inward()

    def top_page(self) -> int:
        return max(self.held) if self.backward else min(self.held)

    def bottom_page(self) -> int:
        return min(self.held) if self.backward else max(self.held)

    def is_whole(self) -> bool:
        """Every page of the listing is held (nothing above, nothing below)."""
        return self.below() is None and self.above() is None

    def record(self, read: ChainPage) -> None:
        """Remember where page `read.index` starts, how long it is, and where the next one
        starts."""
        while len(self.starts) <= read.index + 1:
            self.starts.append(None)
        self.starts[read.index] = read.start
        self.starts[read.index + 1] = read.following
        self.lengths[read.index] = len(read.page.runs)

    def held_rows(self, total: int) -> tuple[int, int] | None:
        """Where the runs held lie in the whole listing of `total` runs, as (first, last)
        counted from 1; None while the top of the listing is held (or nothing is)."""
        return self.window().rows(total)

    def window(self) -> HeldWindow:
        """The pages held, as a value that stays put while the chain reads on."""
        if not self.held:
            return HeldWindow(more=self.below() is not None)
        return HeldWindow(
            before=sum(self.lengths.get(i, 0) for i in range(min(self.held))),
            count=sum(self.lengths.get(i, 0) for i in self.held),
            top=not self.backward and min(self.held) == 0,
            backward=self.backward,
            more=self.below() is not None,
        )

    def next_start(self, start: PageStart, token: str | None) -> PageStart | None:
        """Where the page after one read from `start` begins, given the token it returned."""
        if token:
            return PageStart(start.search, token)
        if start.search + 1 < len(self.searches):
            return PageStart(start.search + 1, None)
        return None


def forward_chain(query: RunsQuery, more_size: int) -> PageChain:
    return PageChain((query,), False, query.page_size, more_size)


def backward_chain(query: RunsQuery, first_size: int, more_size: int) -> PageChain:
    """The listing of `query` read from its end (see the module's docstring)."""
    if not query.order_by:
        return PageChain(
            (replace(query, order_by=REVERSED_TIE_BREAK),), True, first_size, more_size
        )
    clause = query.order_by[0]
    key, _, direction = clause.rpartition(" ")
    flipped = f"{key} {'ASC' if direction.upper() == 'DESC' else 'DESC'}"
    reversed_query = replace(query, order_by=(flipped, *REVERSED_TIE_BREAK))
    if key in ALWAYS_PRESENT:
        return PageChain((reversed_query,), True, first_size, more_size)
    missing = f"{key} IS NULL"
    if key.startswith("metrics."):  # NaN sorts with the missing: only != holds for NaN
        missing += f" OR ({key} != 0 AND NOT {key} > 0 AND NOT {key} < 0)"
    user = f"({query.filter_string}) AND " if query.filter_string else ""
    return PageChain(
        (
            replace(query, filter_string=f"{user}({missing})", order_by=REVERSED_TIE_BREAK),
            replace(reversed_query, filter_string=f"{user}NOT ({missing})"),
        ),
        True,
        first_size,
        more_size,
    )


@dataclass(frozen=True)
class ChainPage:
    """Page `index` of a chain as read: from `start`; `following` reads the next page."""

    index: int
    start: PageStart
    following: PageStart | None
    page: RunsPage


def first_page(chain: PageChain, page: RunsPage) -> ChainPage:
    """Page 0 of a forward chain, read as a plain first page (or read ahead)."""
    start = PageStart(0, None)
    return ChainPage(0, start, chain.next_start(start, page.runs.token), page)


def read_chain_page(
    client: TrackingClient,
    chain: PageChain,
    index: int,
    start: PageStart,
    now: int,
    policy: OrphanPolicy,
) -> ChainPage:
    """Read page `index` from `start`; a search with nothing left hands over to the next
    one, so a page is empty only at the listing's end."""
    while True:
        query = chain.searches[start.search]
        page = load_judged_page(client, query, now, policy, start.token, chain.size(index))
        following = chain.next_start(start, page.runs.token)
        if page.runs or following is None or following.search == start.search:
            return ChainPage(index, start, following, page)
        start = following
