"""`tuitrack import`: copy experiments, runs, params, tags, metric histories and artifacts from
any tracking store (an MLflow database or `mlruns/` folder included) into a tuitrack store.

Everything goes through the TrackingStore / ArtifactStore APIs. Each copied run carries the
tag `tuitrack.imported_from` (the source run id) from the moment it is created, and
`tuitrack.import_complete` once everything in it is copied, so that:

- running the import again copies only runs that are new in the source;
- an interrupted import resumes: a run without the completion tag is continued where it
  stopped (params and tags are idempotent, each metric series continues after the points
  already copied, artifacts already present with the same size are skipped).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from tuitrack.core import config, registry
from tuitrack.core.store import ArtifactStore
from tuitrack.core.validation import validate_param, validate_tag
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from tuitrack.errors import InvalidValueError, TuitrackError
from tuitrack.sdk import store_opening
from tuitrack.sdk.client import TrackingClient
from tuitrack.search.field_tags import PARENT_RUN_TAG

IMPORTED_FROM_TAG = "tuitrack.imported_from"
IMPORT_COMPLETE_TAG = "tuitrack.import_complete"
METRIC_BATCH = 1_000
ITEM_BATCH = 100
PAGE = 1_000

T = TypeVar("T")
EventHook = Callable[[str], None]


@dataclass(frozen=True)
class PlannedRun:
    experiment: str
    source_run_id: str
    run_name: str | None
    resume: bool  # True: a run an interrupted import left incomplete


@dataclass
class ImportReport:
    """What an import copied (or, with dry_run, would copy)."""

    source_uri: str
    into_uri: str
    dry_run: bool
    experiments_created: int = 0
    runs_copied: int = 0
    runs_resumed: int = 0
    runs_already_imported: int = 0
    params: int = 0
    tags: int = 0
    metric_points: int = 0
    artifact_files: int = 0
    planned: list[PlannedRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Lines a person reads after `tuitrack import`."""
        if self.dry_run:
            lines = [
                f"would copy {len(self.planned)} run(s) from {self.source_uri} into {self.into_uri}"
            ]
            lines += [
                f"  {p.experiment}: {p.run_name or '(unnamed)'} {p.source_run_id}"
                + (" (resume)" if p.resume else "")
                for p in self.planned
            ]
        else:
            lines = [
                f"imported {self.runs_copied} new run(s), resumed {self.runs_resumed}, "
                f"{self.runs_already_imported} already imported; {self.experiments_created} "
                f"experiment(s) created, {self.params} params, {self.tags} tags, "
                f"{self.metric_points} metric points, {self.artifact_files} artifact file(s)"
            ]
        lines += [f"warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def _all_pages(fetch: Callable[[str | None], PagedList[T]]) -> Iterator[T]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page
        token = page.token
        if not token:
            return


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parents_first(runs: list[Run]) -> list[Run]:
    """Runs ordered so that a parent comes before its children (oldest first otherwise)."""
    by_id = {run.info.run_id: run for run in runs}
    ordered: list[Run] = []
    placed: set[str] = set()

    def place(run: Run, seen: frozenset[str]) -> None:
        if run.info.run_id in placed:
            return
        parent = by_id.get(run.info.parent_run_id or "")
        if parent is not None and parent.info.run_id not in seen:
            place(parent, seen | {run.info.run_id})
        placed.add(run.info.run_id)
        ordered.append(run)

    for run in sorted(runs, key=lambda r: (r.info.start_time or 0, r.info.run_id)):
        place(run, frozenset())
    return ordered


class _Importer:
    def __init__(
        self,
        source: TrackingClient,
        target: TrackingClient,
        report: ImportReport,
        on_event: EventHook,
    ) -> None:
        self.source = source
        self.target = target
        self.report = report
        self.on_event = on_event
        self.run_ids: dict[str, str] = {}  # source run id -> target run id

    # --- planning ----------------------------------------------------------------------

    def source_experiments(self) -> list[Experiment]:
        return list(
            _all_pages(
                lambda token: self.source.search_experiments(ViewType.ALL, PAGE, page_token=token)
            )
        )

    def source_runs(self, experiment: Experiment) -> list[Run]:
        runs = _all_pages(
            lambda token: self.source.search_runs(
                [experiment.experiment_id],
                run_view_type=ViewType.ALL,
                max_results=PAGE,
                page_token=token,
            )
        )
        return _parents_first(list(runs))

    def imported_runs(self, experiment: Experiment | None) -> dict[str, Run]:
        """Source run id -> the target run already created for it."""
        if experiment is None:
            return {}
        runs = _all_pages(
            lambda token: self.target.search_runs(
                [experiment.experiment_id],
                filter_string=f"tags.`{IMPORTED_FROM_TAG}` IS NOT NULL",
                run_view_type=ViewType.ALL,
                max_results=PAGE,
                page_token=token,
            )
        )
        return {run.data.tags[IMPORTED_FROM_TAG]: run for run in runs}

    # --- copying -----------------------------------------------------------------------

    def target_experiment(self, source: Experiment, existing: Experiment | None) -> str:
        if existing is not None:
            if existing.lifecycle_stage is LifecycleStage.DELETED:
                self.target.restore_experiment(existing.experiment_id)  # deleted again below
            return existing.experiment_id
        tags = {k: v for k, v in source.tags.items() if self._valid_tag(k, v, source.name)}
        tags[IMPORTED_FROM_TAG] = source.experiment_id
        experiment_id = self.target.create_experiment(source.name, tags=tags)
        self.report.experiments_created += 1
        self.on_event("experiment")
        return experiment_id

    def _valid_tag(self, key: str, value: str, owner: str) -> bool:
        try:
            validate_tag(RunTag(key=key, value=value))
        except InvalidValueError as error:
            self.report.warnings.append(f"{owner}: tag skipped: {error}")
            return False
        return True

    def copy_run(self, run: Run, experiment_id: str, existing: Run | None) -> None:
        info = run.info
        label = f"run {info.run_id} ({info.run_name or 'unnamed'})"
        target_parent = self.run_ids.get(info.parent_run_id or "")
        if info.parent_run_id and target_parent is None:
            self.report.warnings.append(f"{label}: parent {info.parent_run_id} not imported")
        if existing is None:
            created = self.target.store.create_run(
                experiment_id,
                user_id=info.user_id,
                start_time=info.start_time,
                tags={IMPORTED_FROM_TAG: info.run_id},
                run_name=info.run_name,
                parent_run_id=target_parent,
                host=info.host,
                pid=info.pid,
            )
            target_id = created.info.run_id
            self.on_event("run")
        else:
            target_id = existing.info.run_id
        self.run_ids[info.run_id] = target_id
        self.copy_params_and_tags(run, target_id, label)
        for key in sorted(run.data.metrics):
            self.copy_metric(run.info.run_id, target_id, key, resuming=existing is not None)
        self.copy_artifacts(run, target_id, label)
        if info.status is not RunStatus.RUNNING or info.end_time is not None:
            self.target.store.update_run_info(target_id, status=info.status, end_time=info.end_time)
        self.target.store.log_batch(target_id, tags=[RunTag(key=IMPORT_COMPLETE_TAG, value="true")])
        if info.lifecycle_stage is LifecycleStage.DELETED:
            self.target.delete_run(target_id)
        self.on_event("finish")

    def copy_params_and_tags(self, run: Run, target_id: str, label: str) -> None:
        params = []
        for key, value in run.data.params.items():
            try:
                param = Param(key=key, value=value)
                validate_param(param)
                params.append(param)
            except (InvalidValueError, ValueError) as error:
                self.report.warnings.append(f"{label}: param skipped: {error}")
        tags = [
            RunTag(key=k, value=v)
            for k, v in run.data.tags.items()
            # MLflow's parent link is carried over as the run's parent_run_id (ids change).
            if k != PARENT_RUN_TAG and self._valid_tag(k, v, label)
        ]
        for chunk in _chunks(params, ITEM_BATCH):
            self.target.store.log_batch(target_id, params=chunk)
        for tag_chunk in _chunks(tags, ITEM_BATCH):
            self.target.store.log_batch(target_id, tags=tag_chunk)
        self.report.params += len(params)
        self.report.tags += len(tags)

    def copy_metric(self, source_id: str, target_id: str, key: str, *, resuming: bool) -> None:
        history = self.source.get_metric_history(source_id, key)
        # Batches are atomic and written in history order, so what an interrupted import
        # left behind is a prefix of the history.
        done = len(self.target.get_metric_history(target_id, key)) if resuming else 0
        remaining: Sequence[Metric] = history[done:]
        for chunk in _chunks(remaining, METRIC_BATCH):
            self.target.store.log_batch(target_id, metrics=chunk)
            self.report.metric_points += len(chunk)
            self.on_event("metrics")

    def copy_artifacts(self, run: Run, target_id: str, label: str) -> None:
        if not run.info.artifact_uri:
            return
        try:
            source_store = self.source.artifact_store(run.info.run_id)
            files = list(source_store.walk_files())
        except TuitrackError as error:
            self.report.warnings.append(f"{label}: artifacts not copied: {error}")
            return
        if not files:
            return
        target_store = self.target.artifact_store(target_id)
        present = {info.path: info.file_size for info in target_store.walk_files()}
        for info in files:
            if info.path in present and present[info.path] == info.file_size:
                continue
            _copy_file(source_store, target_store, info.path)
            self.report.artifact_files += 1
            self.on_event("artifact")


def _copy_file(source: ArtifactStore, target: ArtifactStore, path: str) -> None:
    """Stream one file through a temporary local copy (artifacts may be large)."""
    directory, _, name = path.rpartition("/")
    with tempfile.TemporaryDirectory(prefix="tuitrack-import-") as scratch:
        local = os.path.join(scratch, name)
        with source.open_artifact(path) as reader, open(local, "wb") as writer:
            while chunk := reader.read(1 << 20):
                writer.write(chunk)
        target.log_artifact(local, directory or None)


def _same_store(first: str, second: str) -> bool:
    return registry.resolve_tracking_uri(first) == registry.resolve_tracking_uri(second)


def run_import(
    source_uri: str,
    into_uri: str | None = None,
    dry_run: bool = False,
    progress: bool = True,
    *,
    artifact_uri: str | None = None,
    on_event: EventHook | None = None,
) -> ImportReport:
    """Copy everything in `source_uri` that `into_uri` (default: tuitrack's default store,
    artifacts under `artifact_uri` or the default artifact root) does not have yet.

    `dry_run` lists the runs that would be copied in `ImportReport.planned` and writes
    nothing. `progress` shows a progress bar on stderr. `on_event` is called after each
    committed step ("experiment", "run", "metrics", "artifact", "finish").
    Raises TuitrackError subclasses (e.g. ReadOnlyError if the target cannot be written).
    """
    into = into_uri or config.default_tracking_uri()
    if _same_store(source_uri, into):
        raise InvalidValueError(f"cannot import {source_uri!r} into itself")
    report = ImportReport(source_uri=source_uri, into_uri=into, dry_run=dry_run)
    with (
        store_opening.open_for_browsing(source_uri, None) as source,  # creates nothing
        TrackingClient(into, artifact_uri=artifact_uri) as target,
    ):
        importer = _Importer(source, target, report, on_event or (lambda _event: None))
        plan = [
            _plan_experiment(importer, experiment) for experiment in importer.source_experiments()
        ]
        if not dry_run:
            with _progress_bar(progress, len(report.planned)) as advance:
                for experiment_plan in plan:
                    _import_experiment(importer, experiment_plan, advance)
    return report


@dataclass
class _ExperimentPlan:
    experiment: Experiment
    existing: Experiment | None
    pending: list[tuple[Run, Run | None]]  # (source run, its incomplete copy if any)


def _plan_experiment(importer: _Importer, experiment: Experiment) -> _ExperimentPlan:
    existing = importer.target.get_experiment_by_name(experiment.name)
    imported = importer.imported_runs(existing)
    pending: list[tuple[Run, Run | None]] = []
    for run in importer.source_runs(experiment):
        copy = imported.get(run.info.run_id)
        if copy is not None and IMPORT_COMPLETE_TAG in copy.data.tags:
            importer.report.runs_already_imported += 1
            importer.run_ids[run.info.run_id] = copy.info.run_id
            continue
        pending.append((run, copy))
        importer.report.planned.append(
            PlannedRun(experiment.name, run.info.run_id, run.info.run_name, copy is not None)
        )
    return _ExperimentPlan(experiment, existing, pending)


def _import_experiment(
    importer: _Importer, plan: _ExperimentPlan, advance: Callable[[str], None]
) -> None:
    if plan.existing is not None and not plan.pending:
        return
    experiment_id = importer.target_experiment(plan.experiment, plan.existing)
    for run, copy in plan.pending:
        importer.copy_run(run, experiment_id, copy)
        if copy is None:
            importer.report.runs_copied += 1
        else:
            importer.report.runs_resumed += 1
        advance(f"{plan.experiment.name}: {run.info.run_name or run.info.run_id}")
    if plan.experiment.lifecycle_stage is LifecycleStage.DELETED:
        target = importer.target.get_experiment(experiment_id)
        if target.tags.get(IMPORTED_FROM_TAG) and target.lifecycle_stage is LifecycleStage.ACTIVE:
            importer.target.delete_experiment(experiment_id)


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[str], None]]:
    """A rich progress bar over runs on stderr; a no-op when disabled."""
    if not enabled or total == 0:
        yield lambda _description: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("", total=total)
        yield lambda description: bar.update(task, advance=1, description=description)
