"""The background writer: the training loop queues plain numbers, a thread writes batches.

The caller side is one `list.extend` with a point's five fields and one length check (see
`fluent.log_metric`); everything costly - grouping by run, the store transaction,
retries - happens in the writer thread. A full queue holds the caller until the writer
makes room (backpressure, see `BackgroundWriter.wait_for_room`): accepted points are
never dropped.
Points go to `store.log_metric_columns` column by column: building a Metric object per
point would cost more than storing it. Items of one run reach the store in the order they
were queued, so each metric series keeps its order.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import floordiv
from typing import cast

from tuitrack.core.notices import notice
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Param, RunTag
from tuitrack.errors import NotFoundError, ReadOnlyError, StoreUnavailableError, TuitrackError
from tuitrack.sdk.notices import notice_once, warn_once
from tuitrack.sdk.quiet_thread import start_quiet_thread
from tuitrack.sdk.settings import SdkSettings
from tuitrack.sdk.state import STATE

# What the caller queues per metric point, its fields one after the other in
# `BackgroundWriter.metrics`: run_id, key, value, timestamp in ns, step. Strings and
# numbers, no tuple per point: 100,000 queued tuples are 100,000 objects that the garbage
# collector of the user's program tracks, and allocating them sets off its collections;
# strings and numbers it does not track.
Field = str | float | int
FIELDS = 5
# (is_tag, run_id, key, value) for params (False) and tags (True).
KeyValueItem = tuple[bool, str, str, str]

PARAM = False
TAG = True
_POLL_SECONDS = 0.05
_BATCH_POINTS = 100_000
_WRITE_SOON_POINTS = 5_000
_MAX_BACKOFF_SECONDS = 10.0
_STRICT_ATTEMPTS = 3
_ROOM_POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class MetricColumns:
    """Metric points of one run, column by column: what TrackingStore.log_metric_columns
    takes."""

    keys: Sequence[str]
    values: Sequence[float]
    timestamps: Sequence[int]  # ms
    steps: Sequence[int]

    def count(self) -> int:
        return len(self.keys)

    def selected(self, mask: list[bool]) -> MetricColumns:
        """The points where `mask` is true."""
        return MetricColumns(
            list(compress(self.keys, mask)),
            list(compress(self.values, mask)),
            list(compress(self.timestamps, mask)),
            list(compress(self.steps, mask)),
        )

    def sliced(self, start: int, end: int) -> MetricColumns:
        return MetricColumns(
            self.keys[start:end],
            self.values[start:end],
            self.timestamps[start:end],
            self.steps[start:end],
        )


@dataclass
class _Unit:
    """One store transaction: metric points of one run, or its params and tags."""

    run_id: str
    points: MetricColumns | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # Given once, kept by every retry: the store skips a batch whose id it stored already.
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def size(self) -> int:
        points = 0 if self.points is None else self.points.count()
        return points + len(self.params) + len(self.tags)

    def halves(self) -> tuple[_Unit, _Unit]:
        if self.points is not None:
            count = self.points.count()
            middle = count // 2
            return (
                _Unit(self.run_id, points=self.points.sliced(0, middle)),
                _Unit(self.run_id, points=self.points.sliced(middle, count)),
            )
        items = [(PARAM, k, v) for k, v in self.params.items()]
        items += [(TAG, k, v) for k, v in self.tags.items()]
        middle = len(items) // 2
        return self._from_items(items[:middle]), self._from_items(items[middle:])

    def _from_items(self, items: list[tuple[bool, str, str]]) -> _Unit:
        unit = _Unit(self.run_id)
        for is_tag, key, value in items:
            (unit.tags if is_tag else unit.params)[key] = value
        return unit

    def write(self, store: TrackingStore) -> None:
        if self.points is not None:
            points = self.points
            store.log_metric_columns(
                self.run_id,
                points.keys,
                points.values,
                points.timestamps,
                points.steps,
                batch_id=self.batch_id,
            )
        else:
            store.log_batch(self.run_id, (), _params(self), _tags(self), batch_id=self.batch_id)


class BackgroundWriter:
    """Queues metrics, params and tags; writes them with `store.log_metric_columns` and
    `store.log_batch`.

    An unreachable store (StoreUnavailableError) is retried with backoff and reported
    once on stderr while the data waits in memory: at most `max_queued_points` metric
    points, beyond which log calls wait for room (`wait_for_room`). Any other error fails
    only the batch it came from, loudly, and the writer goes on with the next ones. In
    strict mode the first failure is kept in `failure` and raised by the next SDK call.
    """

    def __init__(self, store: TrackingStore, settings: SdkSettings) -> None:
        self.store = store
        self.settings = settings
        # The queued points' fields, flat. A log call appends a point's fields with
        # one `extend`, which the GIL makes atomic: the writer never sees part of a point.
        self.metrics: list[Field] = []
        self.key_values: deque[KeyValueItem] = deque()
        self.failure: TuitrackError | None = None
        # A log call that finds this many fields queued calls `wait_for_room`: the limit's,
        # or 0 while strict mode holds a failure for the caller to raise.
        self.caller_check_at = settings.max_queued_points * FIELDS
        # Taking points from the front and refusing the newest one must not run at once.
        self._metrics_lock = threading.Lock()
        self._write_soon_points = min(_WRITE_SOON_POINTS, max(settings.max_queued_points // 2, 1))
        self._room = threading.Condition(threading.Lock())
        self._progress_at = time.monotonic()  # when the writer last took or stored data
        self._full_at = 0.0  # when a log call first waited for room since that progress
        self._refusing_since: float | None = None  # progress mark when refusals began
        self._refused: dict[str, int] = {}
        self._pending: deque[_Unit] = deque()
        # Held by the writer thread while it writes: what it took is then in neither queue.
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._progress = threading.Condition(threading.RLock())
        self._requested = 0
        self._completed = 0
        self._failed_attempts = 0
        self._consecutive_failures = 0
        self._retry_at = 0.0
        self._answered = 0  # the last flush request answered by a failed attempt
        self._closing = False
        self._thread = start_quiet_thread(self._run, "tuitrack-writer")

    # --- caller side -------------------------------------------------------------------

    def put_param(self, run_id: str, key: str, value: str) -> None:
        self.key_values.append((PARAM, run_id, key, value))

    def put_tag(self, run_id: str, key: str, value: str) -> None:
        self.key_values.append((TAG, run_id, key, value))

    def raise_failure(self) -> None:
        """Raise (once) the failure strict mode kept from the writer thread."""
        # Before taking the failure.
        self.caller_check_at = self.settings.max_queued_points * FIELDS
        failure, self.failure = self.failure, None
        if failure is not None:
            raise failure

    def wait_for_room(self) -> None:
        """Hold a log call that found the metric queue full until the writer makes room.

        While the writer takes or stores data, the call waits as long as that takes: the
        training loop runs at the store's speed and nothing is dropped. When the store has
        taken nothing for `full_queue_wait_seconds` (it is down, not slow), the newest
        point is refused instead, counted and reported on stderr, and later calls refuse
        at once until the store takes data again; strict mode raises StoreUnavailableError.
        """
        limit = self.settings.max_queued_points
        if self.queued_points() < limit:
            return
        notice_once(
            "queue-full",
            f"logging is outpacing the tracking store: {limit:,} metric points are queued "
            f"(TUITRACK_MAX_QUEUED_POINTS), so log calls now wait for the store; the loop "
            "is slowed to the store's speed and no point is dropped",
        )
        with self._room:
            if self._full_at <= self._progress_at:  # the first call to wait since progress
                self._full_at = time.monotonic()
            while self.queued_points() >= limit:
                if self.settings.strict and self.failure is not None:
                    break
                if self._store_is_down():
                    self._refuse_newest()
                    return
                self._wake.set()
                self._room.wait(_ROOM_POLL_SECONDS)
        if self.settings.strict:
            self.raise_failure()

    def _store_is_down(self) -> bool:
        """True when the writer took and stored nothing for `full_queue_wait_seconds`
        while log calls waited, or nothing since refusals began. Holds `_room`."""
        progress_at = self._progress_at
        if self._refusing_since is not None:
            if progress_at == self._refusing_since:
                return True
            self._refusing_since = None
        quiet_for = time.monotonic() - max(progress_at, self._full_at)
        writing = self._thread.is_alive()
        if quiet_for < self.settings.full_queue_wait_seconds and writing:
            return False
        self._refusing_since = progress_at
        why = (
            f"the tracking store has taken nothing for {quiet_for:.0f} s"
            if writing
            else "the background writer has stopped"
        )
        notice(
            f"warning: {why} and {self.queued_points():,} metric points are queued "
            "(TUITRACK_MAX_QUEUED_POINTS): new metric points are refused and counted until "
            "it takes data again; the queued ones are kept"
        )
        return True

    def _refuse_newest(self) -> None:
        """Take back the point just queued (or another call's, as new). Holds `_room`."""
        with self._metrics_lock:
            end = len(self.metrics)  # by index: other calls may append meanwhile
            if not end:  # the writer took it meanwhile
                return
            run_id = cast("str", self.metrics[end - FIELDS])
            del self.metrics[end - FIELDS : end]
        self._refused[run_id] = self._refused.get(run_id, 0) + 1
        if self.settings.strict:
            raise StoreUnavailableError(
                f"the tracking store has taken nothing for "
                f"{self.settings.full_queue_wait_seconds:g} s and the metric queue is full "
                f"({self.settings.max_queued_points:,} points): this point of run {run_id} "
                "was not queued"
            )

    def _report_refused(self) -> None:
        with self._room:
            refused, self._refused = self._refused, {}
        if refused:
            counts = ", ".join(f"run {run_id}: {count:,}" for run_id, count in refused.items())
            notice(
                "warning: metric points refused while the tracking store was down and the "
                f"queue full ({counts}); they were not stored"
            )

    def queued_points(self) -> int:
        """Metric points queued, not yet taken by the writer."""
        return len(self.metrics) // FIELDS

    def queued(self) -> int:
        return self.queued_points() + len(self.key_values) + sum(u.size() for u in self._pending)

    def has_unstored(self) -> bool:
        """Whether anything queued is not stored yet (queued, waiting for a retry, or being
        written). Nothing to wait for when idle; during a write, waits for it to end."""
        with self._writing:
            return bool(self.metrics or self.key_values or self._pending)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is stored.

        Returns False when the store failed an attempt meanwhile (the data stays queued
        and is retried) or the timeout passed. Without `timeout`, waits as long as the
        writer keeps storing data (a full queue takes a while), and at most
        TUITRACK_FLUSH_TIMEOUT_SECONDS after its last progress. Never raises, except in
        strict mode.
        """
        limit = self.settings.flush_timeout_seconds if timeout is None else timeout
        started = time.monotonic()
        with self._progress:
            self._requested += 1
            wanted = self._requested
            failures_before = self._failed_attempts
            self._wake.set()
            while self._completed < wanted and self._failed_attempts == failures_before:
                remaining = self._deadline(started, limit, timeout is None) - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    break
                self._progress.wait(min(remaining, 0.25))
            done = self._completed >= wanted
        if self.settings.strict:
            self.raise_failure()
        return done

    def close(self, timeout: float | None = None) -> bool:
        """Store what is queued, retrying until `timeout` (by default as `flush` waits),
        then stop the thread.

        Says on stderr how much could not be stored.
        """
        limit = self.settings.flush_timeout_seconds if timeout is None else timeout
        started = time.monotonic()
        done = False
        while not done and self._thread.is_alive():
            remaining = self._deadline(started, limit, timeout is None) - time.monotonic()
            done = self.flush(max(remaining, 0.0))
            if done or remaining <= 0:
                break
            time.sleep(min(0.2, remaining))
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=1.0)
        self._report_refused()
        left = self.queued()
        if left:
            notice(f"warning: {left} queued metric points, params or tags could not be stored")
        return done

    def _deadline(self, started: float, limit: float, patient: bool) -> float:
        """`limit` after `started`; when patient, also `limit` after the writer's last
        progress, so that a slow store still storing a full queue is waited for."""
        return max(started, self._progress_at) + limit if patient else started + limit

    # --- writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        last_write = time.monotonic()
        while not self._closing:
            if self.queued_points() < self._write_soon_points:  # else the loop is ahead: keep up
                self._wake.wait(_POLL_SECONDS)
            self._wake.clear()
            with self._progress:
                wanted = self._requested
            now = time.monotonic()
            # A flush answered by a failed attempt waits for the backoff like the rest.
            flush_asked = wanted > max(self._completed, self._answered)
            if not flush_asked:
                if self._pending and now < self._retry_at:
                    continue
                has_data = bool(self.metrics or self.key_values or self._pending)
                due = now - last_write >= self.settings.flush_interval_seconds
                if not (self.queued_points() >= self._write_soon_points or (has_data and due)):
                    continue
            try:
                with self._writing:
                    stored = self._write_queued()
            except BaseException as error:  # the thread must survive anything
                self._record_failure(error)
                stored = False
            last_write = time.monotonic()
            with self._progress:
                if stored:
                    self._completed = max(self._completed, wanted)
                else:
                    self._failed_attempts += 1
                    self._answered = wanted
                self._progress.notify_all()

    def _write_queued(self) -> bool:
        """Write the pending units, then what is queued now. False on a store failure."""
        if not self._write_units(self._pending):
            return False
        metric_count = self.queued_points()
        key_value_count = len(self.key_values)
        while metric_count > 0 or key_value_count > 0:
            take = min(metric_count, _BATCH_POINTS)
            units = self._take(take, key_value_count)
            metric_count -= take
            key_value_count = 0
            self._pending.extend(units)
            if not self._write_units(self._pending):
                return False
        return True

    def _take(self, metric_count: int, key_value_count: int) -> list[_Unit]:
        """Pop queued items into units: each run's params and tags, then its points."""
        settings: dict[str, _Unit] = {}
        pop_key_value = self.key_values.popleft
        for _ in range(key_value_count):
            is_tag, run_id, name, text = pop_key_value()
            unit = settings.get(run_id) or settings.setdefault(run_id, _Unit(run_id))
            (unit.tags if is_tag else unit.params)[name] = text
        size = metric_count * FIELDS
        with self._metrics_lock:
            fields = self.metrics[:size]
            del self.metrics[:size]  # log calls append meanwhile, at the other end
        if fields:
            self._made_progress()
        units = list(settings.values())
        units += [_Unit(run_id, points=points) for run_id, points in _points_by_run(fields)]
        return units

    def _made_progress(self) -> None:
        """Tell log calls waiting for room that the writer took or stored data."""
        with self._room:
            self._progress_at = time.monotonic()
            self._room.notify_all()

    def _write_units(self, units: deque[_Unit]) -> bool:
        while units:
            unit = units[0]
            try:
                with STATE.store_calls.call():
                    unit.write(self.store)
            except StoreUnavailableError as error:  # the one error worth retrying
                self._record_failure(error)
                return False
            except Exception as error:  # refused data, or a backend bug: not an outage
                units.popleft()
                self._reject(unit, error, units)
                continue
            units.popleft()
            self._record_success()
        return True

    def _reject(self, unit: _Unit, error: Exception, units: deque[_Unit]) -> None:
        """A batch the store fails for good: store what it accepts, drop the rest.

        A failing item is found by halving; a run that is gone or deleted refuses all.
        """
        if unit.size() > 1 and not isinstance(error, NotFoundError | ReadOnlyError):
            first, second = unit.halves()
            units.appendleft(second)
            units.appendleft(first)
            return
        if isinstance(error, TuitrackError):
            self._keep_failure(error)
            warn_once(
                f"rejected:{type(error).__name__}:{unit.run_id}",
                f"the store refused data of run {unit.run_id} and it was dropped: {error}",
            )
            return
        message = (
            f"writing data of run {unit.run_id} failed with {type(error).__name__}: {error} "
            f"(a bug in {type(self.store).__name__}, not an outage); that data was dropped "
            "and the writer goes on with the rest"
        )
        failure = TuitrackError(message)
        failure.__cause__ = error
        self._keep_failure(failure)
        warn_once(f"write-error:{type(error).__name__}", message)

    def _keep_failure(self, error: TuitrackError) -> None:
        """Strict mode: keep the first failure for the next SDK call to raise."""
        if self.settings.strict and self.failure is None:
            self.failure = error
            self.caller_check_at = 0

    def _record_failure(self, error: BaseException) -> None:
        self._consecutive_failures += 1
        doublings = min(self._consecutive_failures - 1, 16)  # 2**1024 overflows a float
        backoff = min(0.1 * 2**doublings, _MAX_BACKOFF_SECONDS)
        self._retry_at = time.monotonic() + backoff
        if self._consecutive_failures >= _STRICT_ATTEMPTS:
            self._keep_failure(
                error
                if isinstance(error, TuitrackError)
                else StoreUnavailableError(f"writing to the tracking store failed: {error!r}")
            )
        warn_once(
            "store-failing",
            f"cannot write to the tracking store ({type(error).__name__}: {error}); "
            "retrying in the background and keeping the data in memory meanwhile",
        )

    def _record_success(self) -> None:
        self._made_progress()
        if self._consecutive_failures:
            self._consecutive_failures = 0
            notice_once("store-recovered", "the tracking store accepts writes again")
        if self._refused:
            self._report_refused()


def _points_by_run(fields: list[Field]) -> list[tuple[str, MetricColumns]]:
    """Queued points (their fields, flat) as store columns, per run in queue order; cut
    apart by slices and `map`, which build no object per point."""
    if not fields:
        return []
    run_ids = cast("list[str]", fields[0::FIELDS])
    columns = MetricColumns(
        cast("list[str]", fields[1::FIELDS]),
        cast("list[float]", fields[2::FIELDS]),
        list(map(floordiv, cast("list[int]", fields[3::FIELDS]), repeat(1_000_000))),
        cast("list[int]", fields[4::FIELDS]),
    )
    first_run = run_ids[0]
    if run_ids.count(first_run) == len(run_ids):
        return [(first_run, columns)]
    return [
        (run_id, columns.selected(list(map(run_id.__eq__, run_ids))))
        for run_id in dict.fromkeys(run_ids)
    ]


def _params(unit: _Unit) -> list[Param]:
    return [Param(key=k, value=v) for k, v in unit.params.items()]


def _tags(unit: _Unit) -> list[RunTag]:
    return [RunTag(key=k, value=v) for k, v in unit.tags.items()]
