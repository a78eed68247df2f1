"""Writing MLflow's legacy file store (`mlruns/`) in the shape MLflow 3.17 writes it, so that
MLflow's own client reads back what tuitrack logs there (the layout: mlruns_layout).

Crash and concurrency safety: a small file (meta.yaml, a param, a tag) is written to a
temporary file beside its folder and moved into place with os.replace, so a reader sees the
old content or the new, never half of it; the temporary file lies where MLflow reads
nothing (a run or experiment folder, never params/ or tags/). Metric points are appended
with one write per key and batch on a file opened for appending, so two processes logging
to different runs, or to one, never interleave parts of lines. Experiments are created
under a lock file at the root (MLflow lists only folders there), so that two processes
creating one name make one experiment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import yaml

from tuitrack.core.default_experiment import DEFAULT_EXPERIMENT_ID
from tuitrack.entities import Experiment, LifecycleStage, Metric, Param, RunStatus
from tuitrack.errors import (
    InvalidValueError,
    NotFoundError,
    ParamConflictError,
    StoreUnavailableError,
)
from tuitrack_mlflow import mlruns_layout as layout
from tuitrack_mlflow.readonly import STATUS_CODES

_TEMPORARY_PREFIX = ".tuitrack-tmp-"
_LOCK_FILE = ".tuitrack-experiments.lock"
_LOCK_STALE_SECONDS = 30.0
_LOCK_WAIT_SECONDS = 0.01
_AWAIT_META_SECONDS = 2.0  # making an experiment folder takes far less
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# MLflow's file store draws experiment ids of this many digits, the first one not zero.
EXPERIMENT_ID_DIGITS = 18
# MLflow's SourceType.LOCAL, which its file store writes into every run's meta.yaml.
_SOURCE_TYPE_LOCAL = 4


_P = ParamSpec("_P")
_R = TypeVar("_R")


def disk_errors(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """`function` raising StoreUnavailableError, naming the failure, where the filesystem
    fails (a full disk, a permission, a folder removed meanwhile), not the OS's error."""

    @functools.wraps(function)
    def reported(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return function(*args, **kwargs)
        except OSError as error:
            raise StoreUnavailableError(f"cannot write the MLflow folder: {error}") from error

    return reported


# --- files --------------------------------------------------------------------------------


@disk_errors
def write_atomically(path: Path, text: str, scratch: Path) -> None:
    """Replace `path` with `text`; the temporary file lives in `scratch` (same filesystem)."""
    handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, dir=scratch)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as writer:
            writer.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@disk_errors
def append_text(path: Path, text: str) -> None:
    """Append `text` to `path` (created if missing) with one write on an O_APPEND file."""
    data = text.encode("utf-8")
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        written = os.write(handle, data)
        while written < len(data):  # a short write (a full disk, a signal): finish it
            written += os.write(handle, data[written:])
    finally:
        os.close(handle)


def write_meta(folder: Path, meta: Mapping[str, Any]) -> None:
    """Replace `folder`/meta.yaml as MLflow writes it (keys sorted, block style)."""
    text = yaml.dump(dict(meta), Dumper=_Dumper, default_flow_style=False, allow_unicode=True)
    write_atomically(folder / "meta.yaml", text, folder)


def key_path(folder: Path, key: str) -> Path:
    """The file of `key` below `folder` ('/' in a key is a subfolder, as in MLflow)."""
    return folder.joinpath(*key.split("/"))


def check_key_set(keys: Iterable[str], kind: str) -> None:
    """InvalidValueError when two keys written together clash in MLflow's layout: `a` and
    `a/b` cannot both be keys (a file and a folder of one name)."""
    names = set(keys)
    for key in names:
        parts = key.split("/")
        for end in range(1, len(parts)):
            prefix = "/".join(parts[:end])
            if prefix in names:
                raise InvalidValueError(
                    f"{kind}s {prefix!r} and {key!r} cannot both be stored in an MLflow "
                    f"folder: {prefix!r} would be a file and a folder"
                )


def check_key_paths(folder: Path, keys: Iterable[str], kind: str) -> None:
    """InvalidValueError when a key cannot be a file below `folder`, given the keys stored
    there and those written with it (see check_key_set)."""
    keys = list(keys)
    check_key_set(keys, kind)
    for key in keys:
        path = key_path(folder, key)
        if path.is_dir():
            raise InvalidValueError(
                f"{kind} {key!r} cannot be stored in an MLflow folder: keys starting with "
                f"'{key}/' exist and take that name as a folder"
            )
        parent = path.parent
        while parent != folder:
            if parent.is_file():
                clash = parent.relative_to(folder).as_posix()
                raise InvalidValueError(
                    f"{kind} {key!r} cannot be stored in an MLflow folder: the key {clash!r} "
                    "exists and takes that name as a file"
                )
            parent = parent.parent


@disk_errors
def make_key_parent(folder: Path, path: Path) -> None:
    """Make the folders of a key's file below `folder` (params/, tags/, metrics/), but
    never the run or experiment folder holding `folder`: when that is gone (deleted, or
    moved to .trash by another process), NotFoundError, not a stray copy of it."""
    if not folder.parent.is_dir():
        raise NotFoundError(f"{folder.parent} is gone: deleted or moved meanwhile")
    path.parent.mkdir(parents=True, exist_ok=True)


def write_key_file(folder: Path, key: str, value: str) -> None:
    """Write one param or tag file below `folder` (a run's or experiment's params/ or
    tags/); the value as given, no newline added, as MLflow writes it."""
    path = key_path(folder, key)
    make_key_parent(folder, path)
    write_atomically(path, value, folder.parent)


@disk_errors
def delete_key_file(folder: Path, key: str) -> bool:
    """Remove the file of `key` below `folder`; False when there is none."""
    path = key_path(folder, key)
    if not path.is_file():
        return False
    path.unlink()
    return True


# --- experiments -------------------------------------------------------------------------


@contextlib.contextmanager
def experiments_lock(root: Path) -> Iterator[None]:
    """Hold the root's lock file while an experiment name is checked and claimed. A lock
    older than _LOCK_STALE_SECONDS was left by a process that died holding it: taken over."""
    lock = root / _LOCK_FILE
    while True:
        try:
            handle = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - lock.stat().st_mtime > _LOCK_STALE_SECONDS:
                    lock.unlink()
            time.sleep(_LOCK_WAIT_SECONDS)
            continue
        except OSError as error:
            raise StoreUnavailableError(f"cannot lock the MLflow folder: {error}") from error
        os.close(handle)
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def new_experiment_id(root: Path) -> str:
    """An id as MLflow's file store draws one (EXPERIMENT_ID_DIGITS random digits), not
    used by an active or deleted experiment."""
    while True:
        low = 10 ** (EXPERIMENT_ID_DIGITS - 1)
        candidate = str(low + secrets.randbelow(9 * low))
        if not (root / candidate).exists() and not (root / layout.TRASH / candidate).exists():
            return candidate


def experiment_meta(
    experiment_id: str, name: str, artifact_location: str, created: int
) -> dict[str, Any]:
    """The meta.yaml of a new experiment, with the keys MLflow 3.17 writes."""
    return {
        "artifact_location": artifact_location,
        "creation_time": created,
        "effective_trace_archival_retention": None,
        "experiment_id": experiment_id,
        "last_update_time": created,
        "lifecycle_stage": LifecycleStage.ACTIVE.value,
        "name": name,
        "trace_location": None,
        "workspace": "default",
    }


@disk_errors
def create_experiment_folder(root: Path, meta: Mapping[str, Any], tags: Mapping[str, str]) -> Path:
    """Make `root`/<id> with its meta.yaml and tags; the meta comes last, so that a
    half-made experiment is no experiment to a reader."""
    folder = root / str(meta["experiment_id"])
    folder.mkdir()
    for key, value in tags.items():
        write_key_file(folder / "tags", key, value)
    write_meta(folder, meta)
    return folder


def create_store(root: Path, artifact_location: str, created: int) -> None:
    """Make an MLflow folder as MLflow does: experiment "0" named Default, and .trash.
    Two processes opening one new folder at once both open it: one makes "0", the other
    waits for its meta.yaml (await_meta)."""
    root.mkdir(parents=True, exist_ok=True)
    meta = experiment_meta(
        DEFAULT_EXPERIMENT_ID, Experiment.DEFAULT_EXPERIMENT_NAME, artifact_location, created
    )
    try:
        create_experiment_folder(root, meta, {})
    except StoreUnavailableError as error:
        if not isinstance(error.__cause__, FileExistsError):
            raise
        await_meta(root / DEFAULT_EXPERIMENT_ID)
    (root / layout.TRASH).mkdir(exist_ok=True)


def await_meta(folder: Path) -> None:
    """Wait (briefly) for the process making the experiment `folder` to write its
    meta.yaml (create_experiment_folder writes it last)."""
    deadline = time.monotonic() + _AWAIT_META_SECONDS
    while not (folder / "meta.yaml").is_file() and time.monotonic() < deadline:
        time.sleep(_LOCK_WAIT_SECONDS)


def update_experiment_meta(folder: Path, moment: int, **changes: Any) -> None:
    """Change keys of an experiment's meta.yaml and its last_update_time."""
    meta = layout.read_meta(folder)
    if meta is None:
        raise StoreUnavailableError(f"{folder / 'meta.yaml'} vanished while being changed")
    meta.update(changes, last_update_time=moment)
    write_meta(folder, meta)


def set_runs_stage(run_dirs: Iterable[Path], stage: LifecycleStage, moment: int) -> None:
    """Mark the runs deleted (at `moment`) or active again, as MLflow does along with
    their experiment: only runs in the other stage change."""
    for run_dir in run_dirs:
        meta = layout.read_meta(run_dir)
        if meta is None or meta.get("lifecycle_stage", "active") == stage.value:
            continue
        write_meta(run_dir, staged_run_meta(meta, stage, moment))


@disk_errors
def move_folder(folder: Path, parent: Path) -> Path:
    """Move an experiment folder into `parent` (.trash, or back to the root)."""
    parent.mkdir(exist_ok=True)
    target = parent / folder.name
    if target.exists():
        raise StoreUnavailableError(f"cannot move {folder} to {target}: it already exists")
    shutil.move(str(folder), str(target))
    return target


# --- runs --------------------------------------------------------------------------------


def run_meta(
    run_id: str,
    experiment_id: str,
    run_name: str,
    user_id: str | None,
    start_time: int,
    artifact_uri: str,
) -> dict[str, Any]:
    """The meta.yaml of a new RUNNING run, with the keys MLflow 3.17 writes."""
    return {
        "artifact_uri": artifact_uri,
        "deleted_time": None,
        "end_time": None,
        "entry_point_name": "",
        "experiment_id": experiment_id,
        "lifecycle_stage": LifecycleStage.ACTIVE.value,
        "run_id": run_id,
        "run_name": run_name,
        "source_name": "",
        "source_type": _SOURCE_TYPE_LOCAL,
        "source_version": "",
        "start_time": start_time,
        "status": STATUS_CODES[RunStatus.RUNNING],
        "tags": [],
        "user_id": user_id,
    }


def staged_run_meta(meta: Mapping[str, Any], stage: LifecycleStage, moment: int) -> dict[str, Any]:
    """A run's meta.yaml deleted at `moment`, or restored (MLflow drops deleted_time then)."""
    changed = dict(meta, lifecycle_stage=stage.value)
    if stage is LifecycleStage.DELETED:
        changed["deleted_time"] = moment
    else:
        changed.pop("deleted_time", None)
    return changed


@disk_errors
def create_run_folder(run_dir: Path, meta: Mapping[str, Any], tags: Mapping[str, str]) -> None:
    """Make a run folder as MLflow does: meta.yaml, metrics/, params/, artifacts/, tags/
    (MLflow's reader requires the first three folders of every run)."""
    run_dir.mkdir()
    for name in ("metrics", "params", "artifacts"):
        (run_dir / name).mkdir()
    for key, value in tags.items():
        write_key_file(run_dir / "tags", key, value)
    write_meta(run_dir, meta)


def write_liveness(run_dir: Path, host: str | None, pid: int | None, heartbeat: int | None) -> None:
    """Record tuitrack's sign of life of a run in a file MLflow never reads."""
    values = {"host": host, "pid": pid, "heartbeat_time": heartbeat}
    text = yaml.dump(values, Dumper=_Dumper, default_flow_style=False)
    write_atomically(run_dir / layout.LIVENESS_FILE, text, run_dir)


def record_heartbeat(run_dir: Path, heartbeat: int) -> None:
    """Move a run's heartbeat on, keeping the host and pid recorded with it."""
    known = layout.read_liveness(run_dir)
    write_liveness(run_dir, known.host, known.pid, heartbeat)


def new_params(run_dir: Path, run_id: str, params: Sequence[Param]) -> list[Param]:
    """The params of a batch the run does not have yet, after checking that none changes
    a stored value (ParamConflictError names it) or cannot be a file."""
    folder = run_dir / "params"
    wanted: dict[str, str] = {}
    for param in params:
        if wanted.setdefault(param.key, param.value) != param.value:
            raise ParamConflictError(run_id, param.key, wanted[param.key], param.value)
    check_key_paths(folder, wanted, "param")
    new = []
    for key, value in wanted.items():
        path = key_path(folder, key)
        if path.is_file():
            stored = path.read_text(encoding="utf-8")
            if stored != value:
                raise ParamConflictError(run_id, key, stored, value)
            continue
        new.append(Param.model_construct(key=key, value=value))
    return new


def metric_lines(metrics: Sequence[Metric]) -> dict[str, str]:
    """Each key's lines "timestamp value step" in logging order, as MLflow writes them
    (Python's float text: nan, inf and -inf included)."""
    lines: dict[str, list[str]] = {}
    for metric in metrics:
        line = f"{metric.timestamp} {float(metric.value)!r} {metric.step}\n"
        lines.setdefault(metric.key, []).append(line)
    return {key: "".join(text) for key, text in lines.items()}


def append_metrics(run_dir: Path, lines: Mapping[str, str]) -> None:
    """Append each key's lines with one write to its file."""
    folder = run_dir / "metrics"
    for key, text in lines.items():
        path = key_path(folder, key)
        make_key_parent(folder, path)
        append_text(path, text)
