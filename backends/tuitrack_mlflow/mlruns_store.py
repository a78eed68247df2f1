"""MlrunsStore: tuitrack's TrackingStore over MLflow's legacy file store (`mlruns/`), read
(mlruns_reads) and written in the shape MLflow 3.17 writes it (mlruns_writes; the layout:
mlruns_layout), so that MLflow's own client reads back what tuitrack logs there."""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from tuitrack.core import config
from tuitrack.core.capabilities import EVERY_CAPABILITY, Capability
from tuitrack.core.datasets import DatasetInput, checked_dataset_inputs
from tuitrack.core.default_experiment import DEFAULT_EXPERIMENT_ID
from tuitrack.core.run_creation import CheckedRunCreation, NewRun, refuse_a_deleted_experiment
from tuitrack.core.store import now_ms
from tuitrack.core.validation import (
    run_update_values,
    validate_experiment_name,
    validate_experiment_tag,
    validate_int64,
    validate_key,
    validate_metric,
    validate_param,
    validate_tag,
)
from tuitrack.entities import (
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from tuitrack.errors import (
    AlreadyExistsError,
    InvalidValueError,
    NotFoundError,
    ReadOnlyError,
    StoreLocationError,
    StoreUnavailableError,
)
from tuitrack_mlflow import mlruns_inputs
from tuitrack_mlflow import mlruns_layout as layout
from tuitrack_mlflow import mlruns_writes as writes
from tuitrack_mlflow.locations import absolute_location, child_location
from tuitrack_mlflow.mlruns_reads import MlrunsReads
from tuitrack_mlflow.readonly import (
    PARENT_TAG,
    RUN_NAME_TAG,
    STATUS_CODES,
    USER_TAG,
)

_PREFIXES = ("mlruns://", "file://", "mlruns:", "file:")


def folder_of(store_uri: str) -> Path:
    """The local folder of `mlruns:///path`, `file:///path`, `file:./path` or a plain path."""
    path = store_uri
    for prefix in _PREFIXES:
        if path.lower().startswith(prefix):
            path = urllib.parse.unquote(path[len(prefix) :])
            break
    return Path(os.path.abspath(os.path.expanduser(path)))


def _location_of(folder: Path) -> str:
    """A local folder as MLflow writes an artifact location: an absolute file URI."""
    return "file://" + str(folder)


class MlrunsStore(CheckedRunCreation, MlrunsReads):
    """Opens `file:./mlruns`, `file:///path/to/mlruns`, `mlruns:///path` or a plain path.

    Opened to log (the constructor), a missing or empty folder becomes an MLflow folder as
    MLflow makes one: experiment "0" named Default, and `.trash`. Experiments keep their
    artifacts in the folder, as MLflow's do, unless tuitrack's artifact root was chosen
    (TUITRACK_ARTIFACT_URI, set_artifact_uri). Raises StoreLocationError when the path is
    a file, or a folder with other content than MLflow's.
    """

    kind = "MLflow folder"
    # Files, not a database: searches and thinning read the runs' files.
    capabilities = EVERY_CAPABILITY - {
        Capability.SEARCH_WHERE_STORED,
        Capability.DOWNSAMPLE_WHERE_STORED,
    }

    def __init__(self, store_uri: str, default_artifact_root: str, *, create: bool = True) -> None:
        super().__init__(store_uri, default_artifact_root)
        self.root = folder_of(store_uri)
        self._run_dirs: dict[str, Path] = {}
        # Read-modify-write of one meta.yaml by two threads of this process (the SDK's
        # writer and heartbeat) must not lose either change.
        self._lock = threading.RLock()
        builtin = os.path.abspath(config.data_dir() / "artifacts")
        chosen = os.path.abspath(default_artifact_root) != builtin
        self._artifact_root = (
            absolute_location(default_artifact_root) if chosen else _location_of(self.root)
        )
        if create:
            self._prepare_folder()
        if not self.root.is_dir():
            why = "it is a file" if self.root.exists() else "it does not exist"
            raise StoreLocationError(f"no MLflow folder at {str(self.root)!r}: {why}")
        if not self._experiment_dirs() and not (self.root / layout.TRASH).is_dir():
            raise StoreLocationError(
                f"{str(self.root)!r} is not an MLflow file store: it has no experiment folders "
                "with a meta.yaml (expected mlruns/<experiment id>/meta.yaml)"
            )

    @classmethod
    def open_for_reading(cls, store_uri: str, default_artifact_root: str) -> MlrunsStore:
        """The existing folder, nothing created (not even MLflow's .trash)."""
        return cls(store_uri, default_artifact_root, create=False)

    def _prepare_folder(self) -> None:
        """Make a missing or empty folder an MLflow folder; give an existing one the .trash
        MLflow adds when it opens one."""
        try:
            if not self.root.exists() or (self.root.is_dir() and not any(self.root.iterdir())):
                location = child_location(self._artifact_root, DEFAULT_EXPERIMENT_ID)
                writes.create_store(self.root, location, now_ms())
            elif self.root.is_dir():
                default = self.root / DEFAULT_EXPERIMENT_ID
                if default.is_dir():  # being made by another process: wait for it
                    writes.await_meta(default)
                if self._experiment_dirs():
                    (self.root / layout.TRASH).mkdir(exist_ok=True)
        except (OSError, StoreUnavailableError) as error:
            raise StoreLocationError(
                f"cannot make an MLflow folder at {str(self.root)!r}: {error}"
            ) from None

    # --- experiment writes ---------------------------------------------------------------

    def _active_experiment_dir(self, experiment_id: str) -> Path:
        folder = self._experiment_dir(experiment_id)
        if folder.parent.name == layout.TRASH:
            raise ReadOnlyError(
                f"experiment {experiment_id} is deleted; restore it before changing it"
            )
        return folder

    def _name_taken(self, name: str) -> AlreadyExistsError | None:
        found = self.get_experiment_by_name(name)
        if found is None:
            return None
        if found.lifecycle_stage is LifecycleStage.DELETED:
            return AlreadyExistsError(
                f"experiment {name!r} already exists, deleted ({found.experiment_id}): restore "
                "it, or remove its folder from .trash to use the name again"
            )
        return AlreadyExistsError(f"experiment {name!r} already exists ({found.experiment_id})")

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """An experiment as MLflow's file store creates one: an 18-digit random id, its
        artifact location absolute (by default `<artifact root>/<id>`)."""
        validate_experiment_name(name)
        given = dict(tags or {})
        for key, value in given.items():
            validate_experiment_tag(key, value)
        writes.check_key_set(given, "experiment tag")
        location = absolute_location(artifact_location) if artifact_location else None
        with self._lock, writes.experiments_lock(self.root):
            taken = self._name_taken(name)
            if taken is not None:
                raise taken
            experiment_id = writes.new_experiment_id(self.root)
            location = location or child_location(self._artifact_root, experiment_id)
            meta = writes.experiment_meta(experiment_id, name, location, now_ms())
            writes.create_experiment_folder(self.root, meta, given)
        return experiment_id

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """MLflow's rename: an active experiment only (ReadOnlyError for a deleted one)."""
        validate_experiment_name(new_name)
        with self._lock, writes.experiments_lock(self.root):
            folder = self._active_experiment_dir(experiment_id)
            taken = self._name_taken(new_name)
            if taken is not None and self.get_experiment(experiment_id).name != new_name:
                raise taken
            writes.update_experiment_meta(folder, now_ms(), name=new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark it and its active runs deleted, then move it into .trash, as MLflow does;
        MLflow's default experiment "0" cannot be deleted (InvalidValueError)."""
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            raise InvalidValueError(
                "experiment '0' is MLflow's default experiment, which MLflow reserves: "
                "it cannot be deleted"
            )
        with self._lock:
            folder = self._experiment_dir(experiment_id)
            if folder.parent.name == layout.TRASH:
                return
            moment = now_ms()
            writes.set_runs_stage(self._runs_in(folder).values(), LifecycleStage.DELETED, moment)
            stage = LifecycleStage.DELETED.value
            writes.update_experiment_meta(folder, moment, lifecycle_stage=stage)
            writes.move_folder(folder, self.root / layout.TRASH)

    def restore_experiment(self, experiment_id: str) -> None:
        """Move it back from .trash and mark it and its deleted runs active, as MLflow does."""
        with self._lock:
            folder = self._experiment_dir(experiment_id)
            if folder.parent.name != layout.TRASH:
                return
            folder = writes.move_folder(folder, self.root)
            moment = now_ms()
            writes.set_runs_stage(self._runs_in(folder).values(), LifecycleStage.ACTIVE, moment)
            stage = LifecycleStage.ACTIVE.value
            writes.update_experiment_meta(folder, moment, lifecycle_stage=stage)

    def write_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """MLflow's set_experiment_tag: an active experiment only."""
        folder = self._active_experiment_dir(experiment_id)
        writes.check_key_paths(folder / "tags", [key], "experiment tag")
        writes.write_key_file(folder / "tags", key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag of an active experiment; NotFoundError when it has none by `key`."""
        validate_key(key, "experiment tag key")
        folder = self._active_experiment_dir(experiment_id)
        if not writes.delete_key_file(folder / "tags", key):
            raise NotFoundError(f"experiment {experiment_id} has no tag {key!r}")

    # --- run writes ----------------------------------------------------------------------

    def _active_run_dir(self, run_id: str) -> Path:
        run_dir = self._run_dir(run_id)
        meta = layout.read_meta(run_dir) or {}
        if meta.get("lifecycle_stage", "active") != LifecycleStage.ACTIVE.value:
            raise ReadOnlyError(f"run {run_id} is deleted; restore it before changing it")
        return run_dir

    def insert_run(self, new: NewRun) -> Run:
        """A RUNNING run as MLflow's file store creates one: its name also the
        `mlflow.runName` tag, its parent the `mlflow.parentRunId` tag, its user the
        `mlflow.user` tag's when none is given, else "unknown" (MLflow reads no run without
        a user); tuitrack's host and pid go to a file of the run folder that MLflow does
        not read (its heartbeats too, once recorded)."""
        folder = self._experiment_dir(new.experiment_id)
        experiment = self.get_experiment(new.experiment_id)
        refuse_a_deleted_experiment(
            experiment.lifecycle_stage.value, experiment.name, new.experiment_id
        )
        if new.parent_run_id is not None:
            self._run_dir(new.parent_run_id)
        tags = {tag.key: tag.value for tag in new.tags}
        tags[RUN_NAME_TAG] = name = new.run_name
        if new.parent_run_id is not None:
            tags[PARENT_TAG] = new.parent_run_id
        writes.check_key_set(tags, "tag")
        run_dir = folder / new.run_id
        artifact_uri = child_location(experiment.artifact_location, new.run_id, "artifacts")
        meta = writes.run_meta(
            new.run_id,
            experiment.experiment_id,
            name,
            new.user_id or tags.get(USER_TAG) or "unknown",  # MLflow's client does the same
            new.start_time,
            artifact_uri,
        )
        writes.create_run_folder(run_dir, meta, tags)
        writes.write_liveness(run_dir, new.host, new.pid, None)
        self._run_dirs[new.run_id] = run_dir
        return self.get_run(new.run_id)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """MLflow's update_run_info: a deleted run is refused (ReadOnlyError); a new name
        is meta.yaml's run_name and the mlflow.runName tag."""
        values = run_update_values(status, end_time, run_name)
        with self._lock:
            run_dir = self._active_run_dir(run_id)
            if values:
                self._change_run_meta(run_dir, values)
            if run_name:
                writes.write_key_file(run_dir / "tags", RUN_NAME_TAG, values["name"])
        return self.get_run(run_id).info

    def _change_run_meta(self, run_dir: Path, values: Mapping[str, object]) -> None:
        """Apply run_update_values' `status`, `end_time` and `name` to meta.yaml (of an
        active run: MLflow's rewrite of it drops the `deleted_time: null` of a new run)."""
        meta = layout.read_meta(run_dir) or {}
        meta.pop("deleted_time", None)
        if "status" in values:
            meta["status"] = STATUS_CODES[RunStatus(str(values["status"]))]
        if "end_time" in values:
            meta["end_time"] = values["end_time"]
        if "name" in values:
            meta["run_name"] = values["name"]
        writes.write_meta(run_dir, meta)

    def write_run_end(self, run_id: str, status: RunStatus, end_time: int) -> RunInfo:
        return self.update_run_info(run_id, status, end_time)

    def _set_run_stage(self, run_id: str, stage: LifecycleStage) -> None:
        with self._lock:
            run_dir = self._run_dir(run_id)
            writes.set_runs_stage([run_dir], stage, now_ms())

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    def record_heartbeat(self, run_id: str, heartbeat_time: int | None = None) -> None:
        """Written to the run's liveness file, which MLflow does not read."""
        moment = validate_int64(heartbeat_time, "heartbeat_time") if heartbeat_time else now_ms()
        with self._lock:
            writes.record_heartbeat(self._run_dir(run_id), moment)

    # --- data ----------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        batch_id: str | None = None,  # a local folder loses no reply: nothing is retried
    ) -> None:
        """Everything is checked before anything is written: a bad key or value, a param
        changing its value, a key that clashes with the layout write nothing."""
        for metric in metrics:
            validate_metric(metric)
        for param in params:
            validate_param(param)
        for tag in tags:
            validate_tag(tag)
        run_dir = self._active_run_dir(run_id)
        fresh = writes.new_params(run_dir, run_id, params)
        lines = writes.metric_lines(metrics)
        writes.check_key_paths(run_dir / "metrics", lines, "metric")
        last_tags = {tag.key: tag.value for tag in tags}
        writes.check_key_paths(run_dir / "tags", last_tags, "tag")
        for param in fresh:
            writes.write_key_file(run_dir / "params", param.key, param.value)
        writes.append_metrics(run_dir, lines)
        if last_tags:
            self._write_tags(run_dir, last_tags)

    def _write_tags(self, run_dir: Path, tags: Mapping[str, str]) -> None:
        """Upsert tags; `mlflow.runName` renames the run in meta.yaml too, as in MLflow."""
        with self._lock:
            for key, value in tags.items():
                writes.write_key_file(run_dir / "tags", key, value)
            if RUN_NAME_TAG in tags:
                self._change_run_meta(run_dir, {"name": tags[RUN_NAME_TAG]})

    def write_run_tags(self, run_id: str, tags: Sequence[RunTag]) -> None:
        self.log_batch(run_id, tags=tags)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """MLflow's file-store datasets and inputs (mlruns_inputs): each dataset stored
        once per experiment, each input once per run, as first logged."""
        checked = checked_dataset_inputs(datasets)
        run_dir = self._active_run_dir(run_id)
        mlruns_inputs.write_inputs(run_dir, run_id, checked)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag of an active run; NotFoundError when it has none by `key`."""
        validate_key(key, "tag key")
        run_dir = self._active_run_dir(run_id)
        if not writes.delete_key_file(run_dir / "tags", key):
            raise NotFoundError(f"run {run_id} has no tag {key!r}")
