"""The storage contract: a TrackingStore for run metadata, an ArtifactStore for files.

Backends implement these ABCs and register under the entry-point groups
`tuitrack.tracking_stores` / `tuitrack.artifact_stores`, keyed by URI scheme. Every method
raises only the errors defined in `tuitrack.errors` (re-exported here).
"""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO

from tuitrack.core.artifact_sources import files_to_upload
from tuitrack.core.capabilities import EVERY_CAPABILITY, Capability
from tuitrack.core.datasets import DatasetInput
from tuitrack.core.history_request import unique_names
from tuitrack.core.limits import checked_max_results
from tuitrack.core.orphans import REASON_TAG, Orphan, OrphanPolicy, find_orphan
from tuitrack.core.paging import offset_token, read_offset_token
from tuitrack.core.validation import normalize_artifact_path, validate_metric_columns
from tuitrack.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    MetricSummary,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    TagSummary,
    ViewType,
)
from tuitrack.errors import (
    AlreadyExistsError,
    InvalidValueError,
    NotFoundError,
    ParamConflictError,
    ReadOnlyError,
    StoreUnavailableError,
    TuitrackError,
    UnknownSchemeError,
)

__all__ = [
    "AlreadyExistsError",
    "ArtifactStore",
    "ExperimentActivity",
    "InvalidValueError",
    "MarkResult",
    "NotFoundError",
    "ParamConflictError",
    "ReadOnlyError",
    "StoreUnavailableError",
    "TrackingStore",
    "TuitrackError",
    "UnknownSchemeError",
    "now_ms",
]


# Points per window of TrackingStore.iter_metric_history's default.
HISTORY_WINDOW_POINTS = 50_000


def now_ms() -> int:
    """The wall clock in milliseconds since the epoch, as stores record times."""
    return time.time_ns() // 1_000_000


@dataclass
class MarkResult:
    """What mark_failed did: the runs it closed, and why it refused the others."""

    marked: list[Orphan] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentActivity:
    """An experiment and what its runs add up to (TrackingStore.search_experiment_activity)."""

    experiment: Experiment
    run_count: int
    running_count: int
    """Runs whose status is RUNNING, orphaned or not: judging them is the reader's business."""
    last_activity: int | None
    """The latest start, end or heartbeat time (ms) of its runs; None when it has none."""
    run_count_exact: bool = True
    """False when the store stopped counting: it has more than `run_count` runs (a server
    that cannot count reads only its newest runs; their activity is what they show)."""

    @property
    def run_count_text(self) -> str:
        """The run count as shown: `1000+` when the store stopped counting there."""
        return f"{self.run_count}{'' if self.run_count_exact else '+'}"


class TrackingStore(ABC):
    """Experiments, runs, params, tags and metric series of one backend store.

    Every method may raise StoreUnavailableError when the backend cannot be reached.
    """

    read_only: str | None = None
    """Why this store takes no writes, when it was opened read-only (its writes raise
    ReadOnlyError); None when it takes them."""

    capabilities: frozenset[Capability] = EVERY_CAPABILITY
    """What this store can do beyond reading, tags and closing runs (see
    tuitrack.core.capabilities); a write outside them raises ReadOnlyError."""

    def __init__(self, store_uri: str, default_artifact_root: str) -> None:
        self.store_uri = store_uri
        self.default_artifact_root = default_artifact_root

    @classmethod
    def open_for_reading(cls, store_uri: str, default_artifact_root: str) -> TrackingStore:
        """Open an existing store to browse it, creating nothing (no file, folder, table).

        Raises StoreUnavailableError when there is no store at `store_uri`. This default
        is the constructor, right for backends whose opening creates nothing.
        """
        return cls(store_uri, default_artifact_root)

    # --- experiments -------------------------------------------------------------------

    @abstractmethod
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create an experiment and return its id.

        Raises AlreadyExistsError if the name is taken (also by a deleted experiment),
        InvalidValueError for a bad name or tag.
        """

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Raises NotFoundError if no experiment has this id."""

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment (active or deleted) with this name, or None."""

    @abstractmethod
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """A page of experiments, newest first unless `order_by` says otherwise.

        Raises InvalidValueError for a bad filter, ordering or page token.
        """

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Raises NotFoundError, AlreadyExistsError, InvalidValueError."""

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Mark the experiment and its runs deleted. Raises NotFoundError."""

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> None:
        """Undo delete_experiment. Raises NotFoundError."""

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set (last write wins) a tag. Raises NotFoundError, InvalidValueError."""

    @abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag of the experiment.

        Raises NotFoundError for an unknown experiment or a key it has no tag under,
        ReadOnlyError for a deleted experiment (restore it first), as MLflow does.
        """

    # --- runs --------------------------------------------------------------------------

    @abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: Mapping[str, str] | None = None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        host: str | None = None,
        pid: int | None = None,
    ) -> Run:
        """Create a RUNNING run.

        Raises NotFoundError for an unknown experiment or parent run, ReadOnlyError for a
        deleted experiment, InvalidValueError for bad tags or names.
        """

    @abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Raises NotFoundError if no run has this id (deleted runs are returned)."""

    @abstractmethod
    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change status, end time and/or name; return the new RunInfo.

        Raises NotFoundError, InvalidValueError.
        """

    @abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Mark the run deleted. Raises NotFoundError."""

    @abstractmethod
    def restore_run(self, run_id: str) -> None:
        """Undo delete_run. Raises NotFoundError."""

    @abstractmethod
    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        """Record that the run's process is alive. Raises NotFoundError."""

    # --- data --------------------------------------------------------------------------

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,
    ) -> None:
        """Write metrics, params and tags in one transaction: all of them or none.

        `batch_id` (at most 64 characters) names this batch once for all its attempts: a
        store that records it skips a batch whose id it has stored already, so that a
        retry after a lost COMMIT reply stores it once. Stores may ignore it.

        Raises NotFoundError for an unknown run, ReadOnlyError for a deleted run,
        InvalidValueError for a bad key or value, ParamConflictError when a param already
        has a different value.
        """

    @abstractmethod
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Record that the run was given these datasets, each with the tags of that use
        (MLflow's `mlflow.data.context` says which: 'training', 'eval', ...).

        As in MLflow, a dataset is identified within the run's experiment by (name,
        digest): logged again, by this run or another run of the experiment, it is stored
        once, as first logged. A dataset the run was given already keeps its first tags,
        and of inputs of one dataset in one call the first is kept. get_run and
        search_runs return them as `run.inputs`.

        Raises NotFoundError for an unknown run, ReadOnlyError for a deleted run,
        InvalidValueError for an input that is not a DatasetInput or exceeds MLflow's
        limits (tuitrack.core.datasets.validate_dataset_input).
        """

    @abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag of the run.

        Raises NotFoundError for an unknown run or a key it has no tag under,
        ReadOnlyError for a deleted run (restore it first), as MLflow does.
        """

    @abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
        max_points: int | None = None,
    ) -> Sequence[Metric]:
        """The points of a metric with start_step <= step <= end_step, by step then time.

        A read-only sequence: tuitrack's stores return a MetricHistory
        (tuitrack.core.metric_history: columns that build each Metric when asked for); a list
        of Metric is as good.

        With `max_points`, at most that many points that keep the series' shape, chosen by
        the store (never by loading every point): the steps from the range's first point to
        its last are cut into at most B = max_points // 5 buckets, and each bucket keeps its
        first and last point, its lowest and highest value (+-inf included) and its first
        NaN; ties go to the earliest point. Buckets follow blocks of 256 steps (block =
        step // 256): if the points span at least B blocks, the k-th of those blocks
        (counted from 0) goes to bucket k * B // blocks; otherwise the buckets are
        ceil(span / B) steps wide from the first point's step. A range holding at most
        `max_points` points is returned whole.

        Raises NotFoundError for an unknown run (an unknown key gives no points),
        InvalidValueError for a max_points that is not None or an integer >= 5, or a step
        bound that is not an integer.
        """

    def iter_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> Iterator[Metric]:
        """The points get_metric_history(run_id, key, start_step, end_step) returns, in the
        same order, read a window of steps at a time: memory stays bounded by one window
        whatever the series' length. Points logged while it runs may or may not appear.

        The default finds the range's first and last step with a downsampled read
        (max_points=5), then reads windows of steps sized from the points per step seen so
        far; a window is at least one step. Stores that can page their points override it.
        Raises as get_metric_history, when called rather than when first iterated.
        """
        ends = self.get_metric_history(run_id, key, start_step, end_step, max_points=5)
        if not ends:
            return iter(())
        return self._history_windows(run_id, key, ends[0].step, ends[-1].step)

    def _history_windows(self, run_id: str, key: str, first: int, last: int) -> Iterator[Metric]:
        start, width = first, HISTORY_WINDOW_POINTS
        while start <= last:
            end = min(start + width - 1, last)
            points = self.get_metric_history(run_id, key, start, end)
            yield from points
            # The next window aims at HISTORY_WINDOW_POINTS points at this one's points per
            # step, growing at most 4x (past a gap, until it finds points again).
            span = end - start + 1
            width = 4 * span
            if points:
                width = min(width, max(1, span * HISTORY_WINDOW_POINTS // len(points)))
            start = end + 1

    def get_metric_histories(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        max_points: int | None = None,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[tuple[str, str], Sequence[Metric]]:
        """get_metric_history of every (run_id, key) pair, keyed by that pair; a series
        that does not exist maps to no points. Stores override this to read the series
        together.

        Raises NotFoundError for an unknown run, InvalidValueError as get_metric_history.
        """
        ids, names = unique_names(run_ids), unique_names(keys)
        if not names:
            for run_id in ids:
                self.get_run(run_id)
        histories = {}
        for run_id in ids:
            for key in names:
                if max_points is None:  # also serves stores written before max_points
                    history = self.get_metric_history(run_id, key, start_step, end_step)
                else:
                    history = self.get_metric_history(run_id, key, start_step, end_step, max_points)
                histories[run_id, key] = history
        return histories

    def get_metric_summaries(self, run_id: str) -> list[MetricSummary]:
        """Each metric of the run, sorted by key: its latest point, range and point count.

        The default reads every history; stores that keep these figures override it.
        Raises NotFoundError for an unknown run.
        """
        summaries = []
        for key in sorted(self.get_run(run_id).data.metrics):
            history = self.get_metric_history(run_id, key)
            if not history:
                continue
            latest = history[-1]  # by step, then time: the latest point comes last
            values = [m.value for m in history if m.value == m.value]  # NaN is not itself
            summaries.append(
                MetricSummary(
                    key=key,
                    latest=latest.value,
                    step=latest.step,
                    timestamp=latest.timestamp,
                    min_value=min(values) if values else None,
                    max_value=max(values) if values else None,
                    count=len(history),
                )
            )
        return summaries

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """A page of runs; by default newest first (start_time DESC, then run_id).

        Raises InvalidValueError (or its subclass FilterSyntaxError) for a bad filter,
        ordering, max_results or page token.
        """

    # --- helpers with working defaults --------------------------------------------------

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Store one metric point (a batch of one)."""
        self.log_batch(run_id, metrics=[metric])

    def log_param(self, run_id: str, param: Param) -> None:
        """Store one param (a batch of one)."""
        self.log_batch(run_id, params=[param])

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Store one tag (a batch of one)."""
        self.log_batch(run_id, tags=[tag])

    def log_metric_columns(
        self,
        run_id: str,
        keys: Sequence[str],
        values: Sequence[float],
        timestamps: Sequence[int],
        steps: Sequence[int],
        batch_id: str | None = None,
    ) -> None:
        """Append metric points given column by column (key, value, timestamp ms, step; the
        i-th of each column make one point), in order, in one transaction.

        The SDK's background writer holds its points this way; building a Metric per point
        costs more than storing it, so backends may override this to take the columns as
        they are (the default builds Metrics for log_batch). `batch_id` as in log_batch.
        Raises as log_batch, and InvalidValueError for columns of unequal length.
        """
        validate_metric_columns(keys, values, timestamps, steps)
        metrics = [
            Metric(key=k, value=v, timestamp=t, step=s)
            for k, v, t, s in zip(keys, values, timestamps, steps, strict=True)
        ]
        self.log_batch(run_id, metrics=metrics, batch_id=batch_id)

    # --- orphaned runs ------------------------------------------------------------------

    def last_activity_times(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Each run's latest metric timestamp (ms); runs without metrics are left out.

        The default knows none; stores that can answer cheaply override it.
        """
        return {}

    def find_orphans(
        self,
        experiment_ids: Sequence[str],
        policy: OrphanPolicy | None = None,
        now: int | None = None,
    ) -> list[Orphan]:
        """RUNNING runs whose process is gone (see tuitrack.core.orphans); nothing is written."""
        rules = policy or OrphanPolicy.from_environment()
        moment = now if now is not None else now_ms()
        running: list[Run] = []
        token: str | None = None
        while True:
            page = self.search_runs(
                experiment_ids, "attributes.status = 'RUNNING'", max_results=5000, page_token=token
            )
            running.extend(page)
            token = page.token
            if token is None:
                break
        activity = self.last_activity_times([run.info.run_id for run in running])
        verdicts = (
            find_orphan(run.info, run.data.tags, moment, rules, activity.get(run.info.run_id))
            for run in running
        )
        return [verdict for verdict in verdicts if verdict is not None]

    def mark_failed(
        self,
        run_ids: Sequence[str],
        reason: str | None = None,
        policy: OrphanPolicy | None = None,
    ) -> MarkResult:
        """Close orphaned runs as FAILED, their end time at the last sign of life.

        Each run is re-checked now; a run that is alive again (fresh heartbeat), no longer
        RUNNING or not orphaned is refused and left untouched. The reason (given, else the
        detected one) is recorded as the tag `tuitrack.orphan_reason`.
        Raises NotFoundError for an unknown run id.
        """
        rules = policy or OrphanPolicy.from_environment()
        result = MarkResult()
        for run_id in run_ids:
            run = self.get_run(run_id)
            activity = self.last_activity_times([run_id]).get(run_id)
            verdict = find_orphan(run.info, run.data.tags, now_ms(), rules, activity)
            if verdict is None:
                state = "alive" if run.info.status is RunStatus.RUNNING else run.info.status.value
                result.refused[run_id] = f"not orphaned ({state})"
                continue
            closed = self.close_orphan(
                run_id,
                end_time=verdict.last_sign_of_life or now_ms(),
                reason=reason or verdict.reason,
                seen_heartbeat=run.info.heartbeat_time,
            )
            if closed:
                result.marked.append(verdict)
            else:
                result.refused[run_id] = "changed while being marked (alive again)"
        return result

    def close_orphan(
        self, run_id: str, end_time: int, reason: str, seen_heartbeat: int | None
    ) -> bool:
        """Set FAILED + end time + reason tag unless the run changed since it was judged
        (status no longer RUNNING, or a newer heartbeat). Returns whether it was closed.

        The default checks, then writes; SQL stores do both in one conditional UPDATE.
        """
        info = self.get_run(run_id).info
        if info.status is not RunStatus.RUNNING or info.heartbeat_time != seen_heartbeat:
            return False
        # Status first: a store may drop the reason tag whenever a status is written (the
        # SQL store does, so that a run its process resumes loses its old reason).
        self.update_run_info(run_id, status=RunStatus.FAILED, end_time=end_time)
        self.log_batch(run_id, tags=[RunTag(key=REASON_TAG, value=reason[:8000])])
        return True

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs search_runs would return in all its pages.

        The default pages through search_runs; SQL stores count in the database.
        Raises InvalidValueError (or FilterSyntaxError) for a bad filter.
        """
        total = 0
        token: str | None = None
        while True:
            page = self.search_runs(
                experiment_ids, filter_string, run_view_type, max_results=1000, page_token=token
            )
            total += len(page)
            token = page.token
            if not token:
                return total

    def get_tag_summaries(
        self,
        experiment_ids: Sequence[str],
        max_values: int = 20,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> list[TagSummary]:
        """Every run tag key of these experiments' runs, sorted by key (see TagSummary).

        The default pages through search_runs; SQL stores aggregate in the database.
        Raises InvalidValueError for a max_values below 1.
        """
        if isinstance(max_values, bool) or not isinstance(max_values, int) or max_values < 1:
            raise InvalidValueError(f"max_values must be an integer >= 1, got {max_values!r}")
        counts: dict[str, dict[str, int]] = {}
        token: str | None = None
        while True:
            page = self.search_runs(
                experiment_ids, None, run_view_type, max_results=1000, page_token=token
            )
            for run in page:
                for key, value in run.data.tags.items():
                    values = counts.setdefault(key, {})
                    values[value] = values.get(value, 0) + 1
            token = page.token
            if not token:
                break
        return [
            TagSummary(
                key=key,
                runs=sum(counts[key].values()),
                distinct_values=len(counts[key]),
                values=sorted(counts[key].items(), key=lambda item: (-item[1], item[0]))[
                    :max_values
                ],
            )
            for key in sorted(counts)
        ]

    def search_experiment_activity(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        page_token: str | None = None,
    ) -> PagedList[ExperimentActivity]:
        """A page of experiments with their runs summed up (see ExperimentActivity), the most
        recently active first, then by name; experiments without runs come last. An active
        experiment counts its active runs, a deleted one every run. `filter_string` is as
        for search_experiments.

        The default asks count_runs and search_runs about every experiment (a few queries
        each) and pages the sorted list; SQL stores aggregate in one query per page.
        Raises InvalidValueError for a bad filter, max_results or page token.
        """
        checked_max_results(max_results)
        start = read_offset_token(page_token)
        experiments: list[Experiment] = []
        token: str | None = None
        while True:
            page = self.search_experiments(view_type, 1000, filter_string, page_token=token)
            experiments.extend(page)
            token = page.token
            if not token:
                break
        found = sorted(
            (self._experiment_activity(experiment) for experiment in experiments),
            key=lambda a: (a.last_activity is None, -(a.last_activity or 0), a.experiment.name),
        )
        end = start + max_results
        return PagedList(found[start:end], offset_token(end) if end < len(found) else None)

    def _experiment_activity(self, experiment: Experiment) -> ExperimentActivity:
        ids = [experiment.experiment_id]
        deleted = experiment.lifecycle_stage == LifecycleStage.DELETED
        view = ViewType.ALL if deleted else ViewType.ACTIVE_ONLY
        running = self.count_runs(ids, "attributes.status = 'RUNNING'", view)
        newest = self.search_runs(ids, None, view, max_results=1)
        ended = self.search_runs(ids, None, view, 1, ["attributes.end_time DESC"])
        beating = self.search_runs(ids, "attributes.status = 'RUNNING'", view) if running else []
        moments = [
            moment
            for run in (*newest, *ended, *beating)
            for moment in (run.info.start_time, run.info.end_time, run.info.heartbeat_time)
            if moment
        ]
        return ExperimentActivity(
            experiment, self.count_runs(ids, None, view), running, max(moments, default=None)
        )

    def artifact_store_for(self, artifact_uri: str) -> ArtifactStore | None:
        """The ArtifactStore for a run's `artifact_uri` when this store serves the files
        itself (e.g. a tracking server's artifact proxy, reached over the same connection);
        None, the default, lets the artifact-store registry open the URI by its scheme."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the store must not be used afterwards."""


class ArtifactStore(ABC):
    """The files of one run, under one root URI. Paths are relative, '/'-separated.

    A path that leaves the root (absolute, or with '..') raises InvalidValueError.
    Every method may raise StoreUnavailableError when the filesystem fails.
    """

    def __init__(self, root_uri: str) -> None:
        self.root_uri = root_uri

    @abstractmethod
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy a local file into the directory `artifact_path` (root when None).

        Raises NotFoundError if the local file does not exist.
        """

    @abstractmethod
    def log_bytes(self, data: bytes, artifact_file: str) -> None:
        """Write `data` as the file `artifact_file`, replacing it if present."""

    @abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The direct children of directory `path`, sorted by path; [] if it is absent."""

    @abstractmethod
    def open_artifact(self, path: str) -> AbstractContextManager[IO[bytes]]:
        """Open a file for binary reading. Raises NotFoundError if it is absent."""

    @abstractmethod
    def delete_artifacts(self, path: str | None = None) -> None:
        """Delete a file or directory tree (everything when None); absent is not an error."""

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a local directory tree under `artifact_path`.

        A symbolic link is copied as what it points to when that is inside `local_dir`.
        Raises NotFoundError if `local_dir` is not a directory, and InvalidValueError, before
        copying anything, naming each link that points outside it, to nothing, or in a loop.
        """
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"local directory {local_dir!r} does not exist")
        base = normalize_artifact_path(artifact_path)
        for local in files_to_upload(local_dir):
            folder = "/".join(p for p in (base, local.relative.rpartition("/")[0]) if p)
            self.log_artifact(local.path, folder or None)

    def walk_files(self, path: str | None = None) -> Iterator[FileInfo]:
        """Every file below `path`, depth first."""
        for info in self.list_artifacts(path):
            if info.is_dir:
                yield from self.walk_files(info.path)
            else:
                yield info

    def read_bytes(self, path: str) -> bytes:
        """The whole content of the artifact file at `path`."""
        with self.open_artifact(path) as handle:
            return handle.read()

    def download_artifacts(self, path: str, dst_path: str) -> str:
        """Copy a file or directory to the local directory `dst_path`; return the local path.

        Raises NotFoundError if `path` names nothing.
        """
        clean = normalize_artifact_path(path)
        os.makedirs(dst_path, exist_ok=True)
        children = self.list_artifacts(clean) if clean else self.list_artifacts()
        local_root = os.path.join(dst_path, *clean.split("/")) if clean else dst_path
        if not children and clean:
            # A file (or nothing at all): open_artifact raises NotFoundError for nothing.
            os.makedirs(os.path.dirname(local_root) or ".", exist_ok=True)
            with self.open_artifact(clean) as source, open(local_root, "wb") as target:
                shutil.copyfileobj(source, target)
            return local_root
        os.makedirs(local_root, exist_ok=True)
        for info in self.walk_files(clean or None):
            local = os.path.join(dst_path, *info.path.split("/"))
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with self.open_artifact(info.path) as source, open(local, "wb") as target:
                shutil.copyfileobj(source, target)
        return local_root
