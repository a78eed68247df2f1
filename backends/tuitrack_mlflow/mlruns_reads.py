"""The reading half of MlrunsStore: MLflow's legacy file store (`mlruns/`) as tuitrack's
TrackingStore reads it (the layout: mlruns_layout; the writes: mlruns_store).

The folder has no index, so searches read the runs of the asked experiments and filter,
sort and page them with tuitrack's Python evaluator (the same semantics as the SQL stores).
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from pathlib import Path

from tuitrack.core.downsampling import downsample_history
from tuitrack.core.history_request import HistoryRequest
from tuitrack.core.history_store import RequestedHistoryStore
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.paged_search import ExperimentQuery, PagedSearchStore, RunQuery
from tuitrack.core.paging import decode_token, encode_token, fingerprint, page_of
from tuitrack.core.validation import stored_id
from tuitrack.entities import Experiment, PagedList, Run
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.search import (
    matches,
    matches_experiment,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
)
from tuitrack_mlflow import mlruns_layout as layout
from tuitrack_mlflow.mlruns_inputs import read_inputs
from tuitrack_mlflow.readonly import MlflowReadOnlyStore

# A run is a folder: a longer name could not be one (and would make the OS raise).
_RUN_ID_LENGTH = 255


def page_after(
    runs: Sequence[Run], max_results: int, page_token: str | None, scope: str
) -> PagedList[Run]:
    """One page of `runs` (sorted), resuming after the run that ended the previous page:
    runs logged between two page requests shift no page (the folder is read anew for
    each). The token holds that run's id, and its offset for when it is gone."""
    start = 0
    if page_token:
        offset, last = decode_token(page_token, scope, 2)
        if not isinstance(offset, int) or not isinstance(last, str):
            raise InvalidValueError(f"page token {page_token[:40]!r} is not valid")
        ids = [run.info.run_id for run in runs]
        start = ids.index(last) + 1 if last in ids else offset
    end = start + max_results
    page = list(runs[start:end])
    more = end < len(runs) and page
    return PagedList(page, encode_token([end, page[-1].info.run_id], scope) if more else None)


class MlrunsReads(PagedSearchStore, RequestedHistoryStore, MlflowReadOnlyStore):
    """Reads the MLflow folder `root`; `_run_dirs` caches where each run was found."""

    root: Path
    _run_dirs: dict[str, Path]

    # --- experiments -------------------------------------------------------------------

    def _experiment_dirs(self) -> dict[str, Path]:
        """Experiment id -> folder, active ones and those in .trash."""
        found: dict[str, Path] = {}
        for parent in (self.root, self.root / layout.TRASH):
            if not parent.is_dir():
                continue
            for child in sorted(parent.iterdir()):
                if child.name.startswith(".") or not child.is_dir():
                    continue
                meta = layout.read_meta(child)
                if meta is not None and "experiment_id" in meta and "name" in meta:
                    found.setdefault(str(meta["experiment_id"]), child)
        return found

    def _experiments(self) -> list[Experiment]:
        experiments = []
        for folder in self._experiment_dirs().values():
            meta = layout.read_meta(folder)
            if meta is not None:
                experiments.append(layout.read_experiment(folder, meta))
        return experiments

    def _experiment_dir(self, experiment_id: str) -> Path:
        folder = self._experiment_dirs().get(str(experiment_id))
        if folder is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return folder

    def get_experiment(self, experiment_id: str) -> Experiment:
        folder = self._experiment_dir(experiment_id)
        meta = layout.read_meta(folder)
        if meta is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return layout.read_experiment(folder, meta)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self._experiments() if e.name == name), None)

    def experiment_page(self, query: ExperimentQuery) -> PagedList[Experiment]:
        stages = query.view_type.stages()
        node = parse_experiment_filter(query.filter_string)
        found = [
            e
            for e in self._experiments()
            if e.lifecycle_stage in stages and matches_experiment(node, e)
        ]
        ordered = sort_experiments(found, parse_experiment_order_by(query.order_by))
        scope = fingerprint(
            "mlruns", query.filter_string or "", str(query.view_type), list(query.order_by or [])
        )
        return page_of(ordered, query.max_results, query.page_token, scope)

    # --- runs --------------------------------------------------------------------------

    def _runs_in(self, experiment_dir: Path) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for child in sorted(experiment_dir.iterdir()):
            if not child.is_dir() or child.name in ("tags", "datasets", "traces", "models"):
                continue
            meta = layout.read_meta(child)
            run_id = None if meta is None else layout.run_id_of(meta)
            if run_id:
                found[run_id] = child
        self._run_dirs.update(found)
        return found

    def _run_dir(self, run_id: str) -> Path:
        if stored_id(run_id, _RUN_ID_LENGTH) is None:  # no folder has that name
            raise NotFoundError(f"no run with id {reprlib.repr(run_id)}")
        folder = self._run_dirs.get(run_id)
        if folder is None or not (folder / "meta.yaml").is_file():
            for experiment_dir in self._experiment_dirs().values():
                if (experiment_dir / str(run_id) / "meta.yaml").is_file():
                    self._runs_in(experiment_dir)
            folder = self._run_dirs.get(run_id)
        if folder is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return folder

    def _load(self, run_dir: Path) -> Run:
        meta = layout.read_meta(run_dir)
        if meta is None:
            raise NotFoundError(f"no run in {run_dir}")
        return layout.read_run(run_dir, meta, read_inputs(run_dir))

    def get_run(self, run_id: str) -> Run:
        return self._load(self._run_dir(run_id))

    def run_page(self, query: RunQuery) -> PagedList[Run]:
        node = parse_filter(query.filter_string)
        order_keys = parse_order_by(query.order_by)
        stages = query.view_type.stages()
        folders = self._experiment_dirs()
        found = []
        for experiment_id in dict.fromkeys(str(i) for i in query.experiment_ids):
            if experiment_id not in folders:
                continue
            for run_dir in self._runs_in(folders[experiment_id]).values():
                run = self._load(run_dir)
                if run.info.lifecycle_stage in stages and matches(node, run):
                    found.append(run)
        scope = fingerprint(
            "mlruns",
            sorted(str(i) for i in query.experiment_ids),
            query.filter_string or "",
            str(query.view_type),
            list(query.order_by or []),
        )
        return page_after(sort_runs(found, order_keys), query.max_results, query.page_token, scope)

    def read_history(self, run_id: str, key: str, request: HistoryRequest) -> MetricHistory:
        history = layout.metric_history(self._run_dir(run_id), key)
        in_range = [m for m in history if request.start_step <= m.step <= request.end_step]
        return downsample_history(MetricHistory.of(key, in_range), request.max_points)

    def last_activity_times(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Latest metric timestamp per run (MLflow has no heartbeat; see the SQL store)."""
        found: dict[str, int] = {}
        for run_id in run_ids:
            latest = layout.last_metric_time(self._run_dir(run_id))
            if latest is not None:
                found[run_id] = latest
        return found
