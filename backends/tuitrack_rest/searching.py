"""Pages of runs and experiments from a plain MLflow server, for any tuitrack filter and order.

Four ways to answer a page of runs, chosen by what the server can do exactly
(see `filters`):

- The server evaluates the whole filter and the order: each page is the server's page, its
  token the server's, wrapped.
- The server orders, but tuitrack evaluates the filter: server pages are read in order
  (small first, then larger) and the matches kept until the page is full, so the first rows
  come as soon as they are found. The token says where to resume: the server's token of the
  page being read, its size, and how many of its runs were consumed.
- An order by one metric: as above up to the first run without a value of the metric; the
  rest (the tail, where MLflow puts NaN before missing values) is read whole and sorted
  here, and its pages are cut at an offset into it.
- tuitrack orders: every matching run is read, sorted with tuitrack.search.sort_runs and cut
  at an offset, which is the token. Each page reads every run again.

A server that refuses the filter text sent to it (INVALID_PARAMETER_VALUE: an older MLflow
that lacks a comparison, say) gets none: tuitrack evaluates the whole filter, says so in the
note, and its tokens remember it, so that later pages do not ask again.

Experiments are always read whole and sorted here: MLflow orders experiment ids as numbers
and tuitrack as text, and servers number far fewer experiments than runs.

Tokens carry everything needed to resume (no state is kept between calls, so any process
may continue a search) and a fingerprint of the search, so that a token from another search
or a corrupted one is refused with InvalidValueError.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from tuitrack.core.limits import checked_max_results
from tuitrack.core.wire.endpoints import SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT
from tuitrack.entities import Experiment, PagedList, Run
from tuitrack.errors import InvalidValueError
from tuitrack.search import (
    Node,
    OrderKey,
    matches,
    matches_experiment,
    order_by_to_text,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
    to_text,
)
from tuitrack.search.lexical import quote_key
from tuitrack_rest.filters import SplitFilter, server_metric_order, server_order_by

T = TypeVar("T")

PageFetcher: TypeAlias = Callable[
    [str | None, list[str] | None, int, str | None], tuple[list[T], str | None]
]
"""fetch(server_filter, server_order_by, max_results, server_page_token) -> (items, next
server token or None): one search request to the server."""
RunPageFetcher: TypeAlias = PageFetcher[Run]
"""One runs/search request."""
ExperimentPageFetcher: TypeAlias = PageFetcher[Experiment]
"""One experiments/search request."""

# The largest server page read while tuitrack evaluates a filter or sorts: MLflow's default
# page size (a 1000-run page answers in well under a second); larger only when a caller asks
# for more rows at once. Reading in the server's order starts smaller (_Reading.first_size).
SCAN_PAGE_SIZE = SEARCH_MAX_RESULTS_DEFAULT
_TOKEN_PREFIX = "tuitrack-rest:"
# What a token may hold besides its search's fingerprint: the server's token, a server page
# size and how many runs of that page were consumed (where to read on, or where a metric
# order's tail starts), and an offset into the sorted matches (or into that tail).
_TOKEN_FIELDS = frozenset({"server", "size", "skip", "offset"})


def search_runs_page(
    fetch: RunPageFetcher,
    split: SplitFilter,
    order_by: Sequence[str] | None,
    max_results: int,
    page_token: str | None,
) -> PagedList[Run]:
    """One page of the runs matching `split`, in tuitrack's order for `order_by`.

    The page's note says what tuitrack evaluated or sorted itself and how many runs it read
    to do it. When the server refuses the filter text sent to it (an older MLflow, say),
    tuitrack evaluates the whole filter itself. Raises InvalidValueError for a bad
    max_results or page token, FilterSyntaxError for a bad order_by, and whatever `fetch`
    raises.
    """
    checked_max_results(max_results)
    keys = parse_order_by(order_by)

    def page(fetcher: RunPageFetcher, chosen: SplitFilter, token: str | None) -> PagedList[Run]:
        return _runs_page(fetcher, chosen, keys, order_by, max_results, token)

    fallback = _whole_scan(split, parse_filter)
    return _answered(
        page,
        fetch,
        split,
        fallback,
        lambda chosen: _run_plan(chosen, keys, order_by).fingerprint,
        page_token,
    )


def search_experiments_page(
    fetch: ExperimentPageFetcher,
    split: SplitFilter,
    order_by: Sequence[str] | None,
    max_results: int,
    page_token: str | None,
) -> PagedList[Experiment]:
    """One page of the experiments matching `split`, in tuitrack's order for `order_by`:
    every matching experiment is read, sorted here and cut at the token's offset. The note
    says when tuitrack evaluated part of the filter itself. Raises as search_runs_page."""
    checked_max_results(max_results)
    keys = parse_experiment_order_by(order_by)

    def page(
        fetcher: ExperimentPageFetcher, chosen: SplitFilter, token: str | None
    ) -> PagedList[Experiment]:
        fingerprint = _fingerprint("experiments", chosen, order_by_to_text(keys))
        offset = _read_token(token, fingerprint).get("offset", 0)
        matching, read = _read_all(fetcher, chosen, lambda e: matches_experiment(chosen.scan, e))
        found = _offset_page(sort_experiments(matching, keys), offset, max_results, fingerprint)
        found.note = _note(chosen, read, "experiments")
        return found

    fallback = _whole_scan(split, parse_experiment_filter)
    return _answered(
        page,
        fetch,
        split,
        fallback,
        lambda chosen: _fingerprint("experiments", chosen, order_by_to_text(keys)),
        page_token,
    )


@dataclass(frozen=True)
class _Plan:
    """How a page of runs is answered: `mode` (see the module's docstring), the order_by
    clauses for the server, the metric of a metric order, and the search's fingerprint."""

    mode: str
    clauses: list[str]
    metric: OrderKey | None
    fingerprint: str


def _run_plan(split: SplitFilter, keys: list[OrderKey], order_by: Sequence[str] | None) -> _Plan:
    exact_order = server_order_by(order_by)
    if exact_order is not None:
        mode = "server" if split.scan is None else "scan"
        return _Plan(mode, exact_order, None, _fingerprint(mode, split, exact_order))
    metric_order = server_metric_order(order_by)
    if metric_order is not None:
        clauses, metric = metric_order
        return _Plan("metric", clauses, metric, _fingerprint("metric", split, clauses))
    clauses = order_by_to_text(keys)
    return _Plan("sorted", clauses, None, _fingerprint("sorted", split, clauses))


def _runs_page(
    fetch: RunPageFetcher,
    split: SplitFilter,
    keys: list[OrderKey],
    order_by: Sequence[str] | None,
    max_results: int,
    page_token: str | None,
) -> PagedList[Run]:
    plan = _run_plan(split, keys, order_by)
    if plan.mode == "server":
        server_token = _read_token(page_token, plan.fingerprint).get("server")
        runs, next_token = fetch(split.server_text, plan.clauses, max_results, server_token)
        token = None if next_token is None else _token(plan.fingerprint, server=next_token)
        return PagedList(runs, token)
    if plan.mode in ("scan", "metric"):
        reading = _Reading(fetch, split, plan.clauses, keys, plan.metric, max_results)
        return reading.page(plan.fingerprint, page_token)
    offset = _read_token(page_token, plan.fingerprint).get("offset", 0)
    matching, read = _read_all(fetch, split, lambda run: matches(split.scan, run))
    page = _offset_page(sort_runs(matching, keys), offset, max_results, plan.fingerprint)
    page.note = _note(split, read, "runs", f"sorted by {', '.join(plan.clauses)}")
    return page


# --- a server that refuses the filter text ------------------------------------------------

_REFUSED_REASON = "the parts this MLflow server refuses"


def _answered(
    page: Callable[[PageFetcher[T], SplitFilter, str | None], PagedList[T]],
    fetch: PageFetcher[T],
    split: SplitFilter,
    fallback: SplitFilter | None,
    fingerprint: Callable[[SplitFilter], str],
    page_token: str | None,
) -> PagedList[T]:
    """`page` of `split`; where the server refuses its filter text, of `fallback` (the
    whole filter evaluated here) instead, and so on for the tokens of that search."""
    if fallback is None:
        return page(fetch, split, page_token)
    if _token_search(page_token) == fingerprint(fallback):
        return page(fetch, fallback, page_token)
    try:
        return page(_refusals_marked(fetch), split, page_token)
    except _Refused as refused:
        if page_token:
            raise refused.error from None
        return page(fetch, fallback, None)


class _Refused(Exception):
    """The server refused the filter text sent to it; `error` says how."""

    def __init__(self, error: InvalidValueError) -> None:
        super().__init__(str(error))
        self.error = error


def _whole_scan(split: SplitFilter, parse: Callable[[str], Node | None]) -> SplitFilter | None:
    """The split that sends no filter text and evaluates the whole filter here, for a
    server that refuses `split.server_text`; None when there is no text to refuse."""
    if split.server_text is None:
        return None
    scan = split.scan if split.scan is not None else parse(split.server_text)
    return SplitFilter(None, scan, (*split.reasons, _REFUSED_REASON))


def _refusals_marked(fetch: PageFetcher[T]) -> PageFetcher[T]:
    """`fetch`, raising _Refused where the server refuses a request that carries filter
    text (MLflow answers INVALID_PARAMETER_VALUE, which the connection raises as
    InvalidValueError)."""

    def marked(
        server_filter: str | None, order: list[str] | None, count: int, token: str | None
    ) -> tuple[list[T], str | None]:
        try:
            return fetch(server_filter, order, count, token)
        except InvalidValueError as error:
            if server_filter is None:
                raise
            raise _Refused(error) from error

    return marked


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Position:
    """Where reading the server's pages starts: the server's token of a page (None: the
    first page), the page size to read it with, and how many of its runs to pass over."""

    server: str | None
    size: int
    skip: int = 0


@dataclass(frozen=True)
class _Reading:
    """Runs read in the server's order, page after page, keeping those that match.

    With a `metric` order, the server's order is tuitrack's only up to the first run
    without a value of that metric: from there on (the tail) every run is read and sorted
    here, and the token holds where the tail starts and how much of it was returned.
    """

    fetch: RunPageFetcher
    split: SplitFilter
    clauses: list[str]
    keys: list[OrderKey]
    metric: OrderKey | None
    max_results: int

    def page(self, fingerprint: str, page_token: str | None) -> PagedList[Run]:
        state = _read_token(page_token, fingerprint)
        start = _Position(
            state.get("server"), state.get("size", self.first_size()), state.get("skip", 0)
        )
        if "offset" not in state:
            return self.head(fingerprint, start)
        if self.metric is None:
            raise InvalidValueError(
                f"page token {page_token!r} does not belong to this search: pass the token "
                "of the previous page of this same search, or none for the first page"
            )
        tail, read = self.tail(start)
        offset = state["offset"]
        end = offset + self.max_results
        token = self.tail_token(fingerprint, start, end) if end < len(tail) else None
        return PagedList(tail[offset:end], token, self.note(read, in_tail=True))

    def head(self, fingerprint: str, start: _Position) -> PagedList[Run]:
        found: list[Run] = []
        read = 0
        position = start
        while True:
            runs, next_token = self.fetch(
                self.split.server_text, self.clauses, position.size, position.server
            )
            for index in range(min(position.skip, len(runs)), len(runs)):
                if self.starts_tail(runs[index]):
                    here = _Position(position.server, position.size, index)
                    tail, tail_read = self.tail(here, (runs, next_token))
                    room = self.max_results - len(found)
                    more = self.tail_token(fingerprint, here, room) if room < len(tail) else None
                    note = self.note(read + tail_read, in_tail=True)
                    return PagedList(found + tail[:room], more, note)
                read += 1
                if not matches(self.split.scan, runs[index]):
                    continue
                found.append(runs[index])
                if len(found) < self.max_results:
                    continue
                # The rest of this server page is already here: find the next run that
                # matters in it, so that the token skips the others, or the last page says so.
                upcoming = next(
                    (i for i in range(index + 1, len(runs)) if self.matters(runs[i])), len(runs)
                )
                read += min(upcoming + 1, len(runs)) - (index + 1)
                token: str | None = None
                if upcoming < len(runs):
                    token = _token(
                        fingerprint, server=position.server, size=position.size, skip=upcoming
                    )
                elif next_token is not None:
                    token = _token(fingerprint, server=next_token, size=self.grown(position.size))
                return PagedList(found, token, self.note(read))
            if next_token is None:
                return PagedList(found, None, self.note(read))
            position = _Position(next_token, self.grown(position.size))

    def tail(
        self, start: _Position, first: tuple[list[Run], str | None] | None = None
    ) -> tuple[list[Run], int]:
        """The matching runs from `start` to the end, in tuitrack's order, and how many runs
        were read; `first` is the server's page at `start` when it is already here."""
        runs, next_token = first or self.fetch(
            self.split.server_text, self.clauses, start.size, start.server
        )
        rest = runs[start.skip :]
        size = start.size
        while next_token is not None:
            size = self.grown(size)
            runs, next_token = self.fetch(self.split.server_text, self.clauses, size, next_token)
            rest.extend(runs)
        kept = [run for run in rest if matches(self.split.scan, run)]
        return sort_runs(kept, self.keys), len(rest)

    def tail_token(self, fingerprint: str, start: _Position, offset: int) -> str:
        return _token(
            fingerprint, server=start.server, size=start.size, skip=start.skip, offset=offset
        )

    def starts_tail(self, run: Run) -> bool:
        if self.metric is None:
            return False
        value = run.data.metrics.get(self.metric.key)
        return value is None or math.isnan(value)

    def matters(self, run: Run) -> bool:
        return self.starts_tail(run) or matches(self.split.scan, run)

    def note(self, read: int, in_tail: bool = False) -> str | None:
        if not in_tail:
            return _note(self.split, read, "runs")
        assert self.metric is not None
        ordered = f"ordered the runs without a value of metrics.{quote_key(self.metric.key)}"
        return _note(self.split, read, "runs", ordered)

    def first_size(self) -> int:
        """Small first pages bring the first rows soon; later ones grow (see grown)."""
        return min(self.size_limit(), max(2 * self.max_results, 100))

    def grown(self, size: int) -> int:
        return min(4 * size, self.size_limit())

    def size_limit(self) -> int:
        return min(max(self.max_results, SCAN_PAGE_SIZE), SEARCH_MAX_RESULTS_LIMIT)


def _read_all(
    fetch: Callable[[str | None, list[str] | None, int, str | None], tuple[list[T], str | None]],
    split: SplitFilter,
    keep: Callable[[T], bool],
) -> tuple[list[T], int]:
    """Every item the server's filter lets through that `keep` accepts, and how many were
    read."""
    kept: list[T] = []
    read = 0
    server_token: str | None = None
    while True:
        items, server_token = fetch(split.server_text, None, SCAN_PAGE_SIZE, server_token)
        read += len(items)
        kept.extend(item for item in items if keep(item))
        if server_token is None:
            return kept, read


def _offset_page(ordered: list[T], offset: int, max_results: int, fingerprint: str) -> PagedList[T]:
    end = offset + max_results
    token = _token(fingerprint, offset=end) if end < len(ordered) else None
    return PagedList(ordered[offset:end], token)


def _note(split: SplitFilter, read: int, things: str, ordering: str | None = None) -> str | None:
    """One sentence naming what tuitrack did itself and over how many items, or None."""
    done = []
    if split.reasons:
        done.append(f"evaluated {_listed(list(split.reasons))}")
    if ordering:
        done.append(ordering)
    if not done:
        return None
    cannot = "MLflow's server cannot do it exactly" if ordering else "MLflow's server cannot"
    return f"tuitrack {' and '.join(done)} itself after reading {read:,} {things} ({cannot})"


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# --- page tokens --------------------------------------------------------------------------


def _fingerprint(mode: str, split: SplitFilter, order: Sequence[str]) -> str:
    search = [
        mode,
        split.server_text,
        None if split.scan is None else to_text(split.scan),
        list(order),
    ]
    digest = hashlib.sha256(json.dumps(search, ensure_ascii=False).encode()).hexdigest()
    return digest[:16]


def _token(fingerprint: str, **fields: Any) -> str:
    body = {
        "search": fingerprint,
        **{name: value for name, value in fields.items() if value is not None},
    }
    encoded = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    return _TOKEN_PREFIX + encoded.decode("ascii")


def _token_search(token: str | None) -> str | None:
    """The fingerprint a token names, or None (no token, or not a valid one)."""
    if not token or _token_problem(token) is not None:
        return None
    search: str = _decoded(token)["search"]
    return search


def _read_token(token: str | None, fingerprint: str) -> dict[str, Any]:
    """The fields of a token of this search ({} for no token); InvalidValueError otherwise."""
    if token is None or token == "":
        return {}
    problem = _token_problem(token)
    if problem is not None:
        raise InvalidValueError(
            f"invalid page token {token[:80]!r}: {problem}; pass the token of the previous "
            "page of this same search, or none for the first page"
        )
    body = _decoded(token)
    if body.get("search") != fingerprint:
        raise InvalidValueError(
            f"page token {token[:80]!r} belongs to a different search (another filter or "
            "order_by): pass the token of the previous page of this same search, or none for "
            "the first page"
        )
    return {name: value for name, value in body.items() if name != "search"}


def _token_problem(token: object) -> str | None:
    if not isinstance(token, str) or not token.startswith(_TOKEN_PREFIX):
        return "it is not a token of tuitrack's REST backend"
    try:
        body = _decoded(token)
    except (ValueError, binascii.Error):
        return "it does not decode"
    if not isinstance(body, dict) or not isinstance(body.get("search"), str):
        return "it does not name its search"
    fields = {name: value for name, value in body.items() if name != "search"}
    return next(filter(None, (_field_problem(n, v) for n, v in fields.items())), None)


def _field_problem(name: str, value: object) -> str | None:
    if name not in _TOKEN_FIELDS:
        return f"unknown field {name!r}"
    if name == "server":
        return None if isinstance(value, str) else "its server token is not text"
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"its {name} is not a count"
    if name == "size" and not 1 <= value <= SEARCH_MAX_RESULTS_LIMIT:
        return "its page size is out of range"
    return None


def _decoded(token: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(token[len(_TOKEN_PREFIX) :].encode("ascii")))
