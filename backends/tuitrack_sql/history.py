"""Metric histories read from the database: whole, by step range, or downsampled.

Downsampling cuts the requested step range into `max_points // 5` equal-width step buckets
and keeps, per bucket, its first and last point, the point with its lowest and highest value
(+-inf being the extremes they are) and its first NaN. Ties go to the earliest point in
history order (step, timestamp, id), so every database returns the same points.

All of it happens in SQL over the (run_uuid, key, step) index, in one pass over the rows:
each bucket is split into a few sub-ranges ("cells") whose min, max and NaN count are
aggregated; then short indexed lookups fetch the chosen points, each searching only the
cell known to hold it. (Window functions over the whole range were measured first: SQLite
sorts every row to partition them, which made a 1M-point history take seconds.)
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice, repeat
from operator import eq, itemgetter
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import Connection

from tuitrack.entities import Metric
from tuitrack.errors import InvalidValueError, NotFoundError, StoreUnavailableError
from tuitrack.validation import INT64_MAX, INT64_MIN
from tuitrack_sql.engine import describe
from tuitrack_sql.floats import DBL_MAX, FINITE, NEG_INF, POS_INF, decode
from tuitrack_sql.loading import chunks

POINTS_PER_BUCKET = 5  # first, last, min, max, first NaN
MIN_MAX_POINTS = POINTS_PER_BUCKET
# Cells per bucket grow with the rows per bucket: more cells cost more statements, fewer
# make the lookups of the extremes scan more rows. sqrt(rows / ROWS_PER_CELL_SCALE) balances
# the two on SQLite.
MAX_CELLS_PER_BUCKET = 16
ROWS_PER_CELL_SCALE = 48
# Terms per UNION ALL statement on database servers (one round trip each).
SERVER_BATCH = 100

Row = tuple[Any, ...]

# --- SQL (qmark placeholders, servers get %s; {key} is the quoted key column) --------------

_RANGE = "FROM metrics WHERE run_uuid = ? AND {key} = ? AND step BETWEEN ? AND ?"
_POINT = "SELECT id, step, timestamp, value, kind"
# The range's first and last step and its size up to a cap, via the index only; the series'
# step span and size estimate how many rows each bucket will hold.
BOUNDS_SQL = (
    f"SELECT (SELECT MIN(step) {_RANGE}), (SELECT MAX(step) {_RANGE}), "
    f"(SELECT COUNT(*) FROM (SELECT 1 AS one {_RANGE} LIMIT ?) capped), "
    "(SELECT MIN(step) FROM metrics WHERE run_uuid = ? AND {key} = ?), "
    "(SELECT MAX(step) FROM metrics WHERE run_uuid = ? AND {key} = ?), "
    "(SELECT {count} FROM latest_metrics WHERE run_uuid = ? AND {key} = ?)"
)
CELL_SQL = (
    "SELECT MIN(value) AS low, MAX(value) AS high, COUNT(*) AS n, COUNT(value) AS n_values "
    + _RANGE
)
FULL_SQL = f"SELECT step, timestamp, value, kind {_RANGE} ORDER BY step, id"
FIRST_SQL = (
    f"{_POINT} FROM metrics WHERE run_uuid = ? AND {{key}} = ? "
    f"AND step = (SELECT MIN(step) {_RANGE}) ORDER BY timestamp, id LIMIT 1"
)
LAST_SQL = (
    f"{_POINT} FROM metrics WHERE run_uuid = ? AND {{key}} = ? "
    f"AND step = (SELECT MAX(step) {_RANGE}) ORDER BY timestamp DESC, id DESC LIMIT 1"
)
MATCH_SQL = f"{_POINT} {_RANGE} AND value = ? ORDER BY step, timestamp, id LIMIT 1"
# +-inf are stored as +-DBL_MAX: at that value an infinity beats a finite DBL_MAX.
EXTREME_SQL = (
    f"{_POINT} {_RANGE} AND value = ? "
    "ORDER BY CASE WHEN kind = ? THEN 0 ELSE 1 END, step, timestamp, id LIMIT 1"
)
NAN_SQL = f"{_POINT} {_RANGE} AND value IS NULL ORDER BY step, timestamp, id LIMIT 1"


# --- requests ---------------------------------------------------------------------------


def _step_bound(value: int | None, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{name} must be an integer or None, got {value!r}")
    return min(max(value, INT64_MIN), INT64_MAX)


@dataclass(frozen=True)
class HistoryRequest:
    """A validated step range and points budget (None: every point)."""

    start_step: int
    end_step: int
    max_points: int | None

    @classmethod
    def of(
        cls, start_step: int | None, end_step: int | None, max_points: int | None
    ) -> HistoryRequest:
        if max_points is not None and (
            isinstance(max_points, bool)
            or not isinstance(max_points, int)
            or max_points < MIN_MAX_POINTS
        ):
            raise InvalidValueError(
                f"max_points must be None (every point) or an integer of at least "
                f"{MIN_MAX_POINTS} (a bucket's first, last, min, max and NaN), got {max_points!r}"
            )
        return cls(
            _step_bound(start_step, "start_step", INT64_MIN),
            _step_bound(end_step, "end_step", INT64_MAX),
            max_points,
        )


def unique_names(names: Sequence[str] | str) -> list[str]:
    """Names in first-seen order without repeats; a lone string is one name."""
    return [names] if isinstance(names, str) else list(dict.fromkeys(names))


# --- statements on the raw DBAPI cursor ------------------------------------------------------


class _Statements:
    """Many small statements without SQLAlchemy's per-row and per-call overhead.

    SQLite runs them one by one (its prepared-statement cache makes that the cheapest);
    database servers get them in UNION ALL batches, one round trip per batch.
    """

    def __init__(self, connection: Connection) -> None:
        self._sqlite = connection.dialect.name == "sqlite"
        self._errors: type[Exception] = connection.dialect.loaded_dbapi.Error
        self._database = describe(connection.engine)
        self._cursor = connection.connection.cursor()
        quote = connection.dialect.identifier_preparer.quote
        self._names = {"key": quote("key"), "count": quote("count")}
        self._texts: dict[str, str] = {}

    def close(self) -> None:
        self._cursor.close()

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        try:
            yield
        except self._errors as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise StoreUnavailableError(f"database {self._database} failed: {detail}") from error

    def _sql(self, template: str) -> str:
        text = self._texts.get(template)
        if text is None:
            text = template.format(**self._names)
            text = text if self._sqlite else text.replace("?", "%s")
            self._texts[template] = text
        return text

    def rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        with self._mapped_errors():
            self._cursor.execute(self._sql(sql), tuple(params))
            return list(self._cursor.fetchall())

    def first_rows(self, sql: str, param_rows: Sequence[Sequence[Any]]) -> list[Row | None]:
        """The first row (or None) of `sql` run once per parameter row, in order."""
        if self._sqlite:
            execute, fetchone, text = self._cursor.execute, self._cursor.fetchone, self._sql(sql)
            with self._mapped_errors():
                return [execute(text, params) and fetchone() for params in param_rows]
        found: list[Row | None] = [None] * len(param_rows)
        body = self._sql(sql).removeprefix("SELECT ")
        for start in range(0, len(param_rows), SERVER_BATCH):
            batch = param_rows[start : start + SERVER_BATCH]
            union = " UNION ALL ".join(
                f"(SELECT {start + offset} AS tag, {body})" for offset in range(len(batch))
            )
            flat = tuple(value for params in batch for value in params)
            with self._mapped_errors():
                self._cursor.execute(union, flat)
                for tag, *row in self._cursor.fetchall():
                    found[tag] = tuple(row)
        return found


# --- building Metric objects ----------------------------------------------------------------

_new_object = object.__new__
_SLOT_SETTERS: tuple[Callable[[Any, Any], None], ...] = tuple(
    BaseModel.__dict__[slot].__set__ for slot in BaseModel.__slots__
)
_EXPECTED_SLOTS = (
    "__dict__",
    "__pydantic_fields_set__",
    "__pydantic_extra__",
    "__pydantic_private__",
)


def _construct_fast(fields: list[dict[str, Any]]) -> list[Metric]:
    """What Metric.model_construct does, run as C-level loops: it is ~7x faster on 100k
    points, which is most of the time of a full history read."""
    metrics = list(map(_new_object, repeat(Metric, len(fields))))
    set_dict, set_fields_set, set_extra, set_private = _SLOT_SETTERS
    fields_set = set(Metric.model_fields)  # shared, as copies of a model share it until changed
    drain = deque[Any](maxlen=0).extend
    drain(map(set_dict, metrics, fields))
    drain(map(set_fields_set, metrics, repeat(fields_set)))
    drain(map(set_extra, metrics, repeat(None)))
    drain(map(set_private, metrics, repeat(None)))
    return metrics


def _construct_plain(fields: list[dict[str, Any]]) -> list[Metric]:
    construct = Metric.model_construct
    return [construct(**point) for point in fields]


def _fast_path_matches() -> bool:
    """The fast path relies on BaseModel's slots; fall back if pydantic changes them."""
    if tuple(BaseModel.__slots__) != _EXPECTED_SLOTS:
        return False
    sample: dict[str, Any] = {"key": "k", "value": 1.5, "timestamp": 2, "step": 3}
    fast, plain = _construct_fast([dict(sample)])[0], Metric.model_construct(**sample)
    return fast.__getstate__() == plain.__getstate__() and fast == plain


_construct = _construct_fast if _fast_path_matches() else _construct_plain


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building 100k objects triggers many collections that find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_metrics(key: str, rows: Sequence[Row]) -> list[Metric]:
    """Metrics from (step, timestamp, stored value, kind) rows."""
    fields = [
        {
            "key": key,
            "value": value if kind == FINITE else decode(value, kind),
            "timestamp": timestamp,
            "step": step,
        }
        for step, timestamp, value, kind in rows
    ]
    return _construct(fields)


# --- reading ----------------------------------------------------------------------------------

_step_of = itemgetter(0)
_step_and_time = itemgetter(0, 1)


def _read_whole(statements: _Statements, run_id: str, key: str, lo: int, hi: int) -> list[Metric]:
    with _gc_paused():
        # ORDER BY step, id follows the index; points sharing a step are then put in
        # timestamp order by a stable sort, which keeps id order for equal timestamps.
        rows = statements.rows(FULL_SQL, (run_id, key, lo, hi))
        steps = list(map(_step_of, rows))
        if any(map(eq, steps, islice(steps, 1, None))):
            rows.sort(key=_step_and_time)
        return build_metrics(key, rows)


@dataclass(frozen=True)
class _Cell:
    bucket: int
    first_step: int
    last_step: int


class _Summary(NamedTuple):
    """CELL_SQL's row: lowest and highest stored value (None if all are NaN), how many
    points and how many of them are not NaN."""

    low: float | None
    high: float | None
    points: int
    numbers: int


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _cells_per_bucket(rows_per_bucket: float) -> int:
    balanced = round(math.sqrt(rows_per_bucket / ROWS_PER_CELL_SCALE))
    return max(1, min(MAX_CELLS_PER_BUCKET, balanced))


def _cells(lo: int, hi: int, bucket_width: int, per_bucket: int) -> list[_Cell]:
    cell_width = _ceil_div(bucket_width, per_bucket)
    cells = []
    for bucket in range(_ceil_div(hi - lo + 1, bucket_width)):
        first = lo + bucket * bucket_width
        last = min(hi, first + bucket_width - 1)
        step = first
        while step <= last:
            end = min(last, step + cell_width - 1)
            cells.append(_Cell(bucket, step, end))
            step = end + 1
    return cells


def _preferred_kind(stored: float, is_low: bool) -> int:
    """Which of the points stored as +-DBL_MAX is the extreme: the infinity when it lies
    outward (the min's -inf, the max's +inf), else the finite DBL_MAX."""
    if is_low:
        return NEG_INF if stored < 0 else FINITE
    return POS_INF if stored > 0 else FINITE


def _read_downsampled(
    statements: _Statements,
    run_id: str,
    key: str,
    lo: int,
    hi: int,
    max_points: int,
    rows_estimate: float,
) -> list[Metric]:
    buckets = max_points // POINTS_PER_BUCKET
    width = _ceil_div(hi - lo + 1, buckets)
    cells = _cells(lo, hi, width, _cells_per_bucket(rows_estimate / buckets))
    summaries = statements.first_rows(
        CELL_SQL, [(run_id, key, cell.first_step, cell.last_step) for cell in cells]
    )

    # Per bucket: its step range, its extremes and the first cell holding each, its first
    # cell with a NaN. Cells come in step order, so "first cell" means earliest points.
    lookups: dict[str, list[tuple[Any, ...]]] = {
        FIRST_SQL: [],
        LAST_SQL: [],
        MATCH_SQL: [],
        EXTREME_SQL: [],
        NAN_SQL: [],
    }
    buckets_held: dict[int, list[tuple[_Cell, _Summary]]] = {}
    for cell, row in zip(cells, summaries, strict=True):
        if row is not None and row[2]:
            buckets_held.setdefault(cell.bucket, []).append((cell, _Summary(*row)))
    for held in buckets_held.values():
        first_step, last_step = held[0][0].first_step, held[-1][0].last_step
        lookups[FIRST_SQL].append((run_id, key, run_id, key, first_step, last_step))
        lookups[LAST_SQL].append((run_id, key, run_id, key, first_step, last_step))
        lows = [summary.low for _, summary in held if summary.low is not None]
        highs = [summary.high for _, summary in held if summary.high is not None]
        for extreme, is_low in ((min(lows, default=None), True), (max(highs, default=None), False)):
            if extreme is None:
                continue  # only NaNs here
            if abs(extreme) >= DBL_MAX:
                kind = _preferred_kind(extreme, is_low)
                lookups[EXTREME_SQL].append((run_id, key, first_step, last_step, extreme, kind))
                continue
            cell = next(
                cell
                for cell, summary in held
                if (summary.low if is_low else summary.high) == extreme
            )
            lookups[MATCH_SQL].append((run_id, key, cell.first_step, cell.last_step, extreme))
        nan_cell = next((cell for cell, summary in held if summary.points > summary.numbers), None)
        if nan_cell is not None:
            lookups[NAN_SQL].append((run_id, key, nan_cell.first_step, nan_cell.last_step))

    chosen: dict[int, Row] = {}
    for sql, param_rows in lookups.items():
        for row in statements.first_rows(sql, param_rows):
            if row is not None:
                chosen[row[0]] = row
    ordered = sorted(chosen.values(), key=itemgetter(1, 2, 0))
    return build_metrics(key, [row[1:] for row in ordered])


def read_history(
    connection: Connection, run_id: str, key: str, request: HistoryRequest
) -> list[Metric]:
    """One series, whole or downsampled; the caller has checked that the run exists."""
    statements = _Statements(connection)
    try:
        start, end = request.start_step, request.end_step
        if start > end:
            return []
        if request.max_points is None:
            return _read_whole(statements, run_id, key, start, end)
        cap = request.max_points + 1
        series = (run_id, key)
        lo, hi, capped, first_step, last_step, total = statements.rows(
            BOUNDS_SQL,
            (*series, start, end, *series, start, end, *series, start, end, cap) + series * 3,
        )[0]
        if lo is None:
            return []
        if capped <= request.max_points:
            return _read_whole(statements, run_id, key, lo, hi)
        # Rows in the range, assuming the series' points spread evenly over its steps.
        density = (total or capped) / (last_step - first_step + 1)
        return _read_downsampled(
            statements, run_id, key, lo, hi, request.max_points, density * (hi - lo + 1)
        )
    finally:
        statements.close()


def require_runs(connection: Connection, run_ids: Sequence[str]) -> None:
    """Raises NotFoundError naming the first of `run_ids` that no run has."""
    statements = _Statements(connection)
    try:
        for chunk in chunks(run_ids):
            ids = [run_id for run_id in chunk if isinstance(run_id, str)]
            marks = ", ".join("?" * len(ids))
            sql = f"SELECT run_uuid FROM runs WHERE run_uuid IN ({marks})"
            known = {row[0] for row in statements.rows(sql, ids)} if ids else set()
            for run_id in chunk:
                if run_id not in known:
                    raise NotFoundError(f"no run with id {run_id!r}")
    finally:
        statements.close()
