"""Pages of runs and experiments from a plain MLflow server, for any tuitrack filter and order.

Three ways to answer a page of runs, chosen by what the server can do exactly
(see `filters`):

- The server evaluates the whole filter and the order: each page is the server's page, its
  token the server's, wrapped.
- The server orders, but tuitrack evaluates the filter: server pages are read in order and
  the matches kept until the page is full, so the first rows come as soon as they are found.
  The token says where to resume: the server's token of the page being read, and how many of
  its runs were consumed.
- tuitrack orders: every matching run is read, sorted with tuitrack.search.sort_runs and cut
  at an offset, which is the token. Each page reads every run again.

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
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar

from tuitrack.core.limits import checked_max_results
from tuitrack.core.wire.endpoints import SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT
from tuitrack.entities import Experiment, PagedList, Run
from tuitrack.errors import InvalidValueError
from tuitrack.search import (
    matches,
    matches_experiment,
    order_by_to_text,
    parse_experiment_order_by,
    parse_order_by,
    sort_experiments,
    sort_runs,
    to_text,
)
from tuitrack_rest.filters import SplitFilter, server_order_by

T = TypeVar("T")

RunPageFetcher: TypeAlias = Callable[
    [str | None, list[str] | None, int, str | None], tuple[list[Run], str | None]
]
"""fetch(server_filter, server_order_by, max_results, server_page_token) -> (runs,
next server token or None): one runs/search request to the server."""
ExperimentPageFetcher: TypeAlias = Callable[
    [str | None, list[str] | None, int, str | None], tuple[list[Experiment], str | None]
]
"""The same for experiments/search."""

# Server pages read while tuitrack evaluates a filter or sorts: MLflow's default page size
# (a 1000-run page answers in well under a second); larger pages only when a caller asks for
# more rows at once.
SCAN_PAGE_SIZE = SEARCH_MAX_RESULTS_DEFAULT
_TOKEN_PREFIX = "tuitrack-rest:"
# What a token may hold besides its search's fingerprint: the server's token, a server page
# size and how many runs of that page were consumed, or an offset into the sorted matches.
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
    to do it. Raises InvalidValueError for a bad max_results or page token,
    FilterSyntaxError for a bad order_by, and whatever `fetch` raises.
    """
    checked_max_results(max_results)
    keys = parse_order_by(order_by)
    server_order = server_order_by(order_by)
    if server_order is None:
        fingerprint = _fingerprint("sorted", split, order_by_to_text(keys))
        offset = _read_token(page_token, fingerprint).get("offset", 0)
        matching, read = _read_all(fetch, split, lambda run: matches(split.scan, run))
        page = _offset_page(sort_runs(matching, keys), offset, max_results, fingerprint)
        page.note = _note(split, read, "runs", sorted_by=order_by_to_text(keys))
        return page
    if split.scan is None:
        fingerprint = _fingerprint("server", split, server_order)
        server_token = _read_token(page_token, fingerprint).get("server")
        runs, next_token = fetch(split.server_text, server_order, max_results, server_token)
        token = None if next_token is None else _token(fingerprint, server=next_token)
        return PagedList(runs, token)
    fingerprint = _fingerprint("scan", split, server_order)
    return _scanned_page(fetch, split, server_order, max_results, page_token, fingerprint)


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
    fingerprint = _fingerprint("experiments", split, order_by_to_text(keys))
    offset = _read_token(page_token, fingerprint).get("offset", 0)
    matching, read = _read_all(fetch, split, lambda e: matches_experiment(split.scan, e))
    page = _offset_page(sort_experiments(matching, keys), offset, max_results, fingerprint)
    page.note = _note(split, read, "experiments")
    return page


# --- reading ------------------------------------------------------------------------------


def _scanned_page(
    fetch: RunPageFetcher,
    split: SplitFilter,
    server_order: list[str],
    max_results: int,
    page_token: str | None,
    fingerprint: str,
) -> PagedList[Run]:
    state = _read_token(page_token, fingerprint)
    server_token: str | None = state.get("server")
    page_size = state.get("size", min(max(max_results, SCAN_PAGE_SIZE), SEARCH_MAX_RESULTS_LIMIT))
    skip = state.get("skip", 0)
    found: list[Run] = []
    read = 0
    while True:
        runs, next_token = fetch(split.server_text, server_order, page_size, server_token)
        for index in range(min(skip, len(runs)), len(runs)):
            read += 1
            if not matches(split.scan, runs[index]):
                continue
            found.append(runs[index])
            if len(found) < max_results:
                continue
            # The rest of this server page is already here: look for the next match in it,
            # so that the token skips what does not match, or the last page says so.
            upcoming = _first_match(split, runs, index + 1)
            read += min(upcoming + 1, len(runs)) - (index + 1)
            token: str | None
            if upcoming < len(runs):
                token = _token(fingerprint, server=server_token, size=page_size, skip=upcoming)
            elif next_token is not None:
                token = _token(fingerprint, server=next_token, size=page_size)
            else:
                token = None
            return PagedList(found, token, _note(split, read, "runs"))
        if next_token is None:
            return PagedList(found, None, _note(split, read, "runs"))
        server_token, skip = next_token, 0


def _first_match(split: SplitFilter, runs: list[Run], start: int) -> int:
    """The index of the first run from `start` on that matches, else len(runs)."""
    return next(
        (index for index in range(start, len(runs)) if matches(split.scan, runs[index])),
        len(runs),
    )


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


def _note(
    split: SplitFilter, read: int, things: str, sorted_by: list[str] | None = None
) -> str | None:
    """One sentence naming what tuitrack did itself and over how many items, or None."""
    done = []
    if split.reasons:
        done.append(f"evaluated {_listed(list(split.reasons))}")
    if sorted_by:
        done.append(f"sorted by {', '.join(sorted_by)}")
    if not done:
        return None
    cannot = (
        "MLflow's server cannot do it exactly"
        if sorted_by is not None
        else "MLflow's server cannot"
    )
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
            f"page token {token[:80]!r} belongs to another search (a different filter or "
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
