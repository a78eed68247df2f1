"""The on-disk layout of MLflow's legacy file store (an `mlruns/` folder), read and written.

mlruns/<experiment id>/meta.yaml           name, artifact_location, lifecycle_stage, times
mlruns/<experiment id>/tags/<key>          one file per tag; '/' in a key is a subfolder
mlruns/<experiment id>/<run id>/meta.yaml  run info; status is MLflow's number (1..5)
mlruns/<experiment id>/<run id>/params/<key>, tags/<key>
mlruns/<experiment id>/<run id>/metrics/<key>   lines "timestamp value step"
mlruns/<experiment id>/<run id>/.tuitrack-liveness.yaml   tuitrack's host, pid, heartbeat
                                            (MLflow reads no other file of a run folder)
mlruns/.trash/<experiment id>/...          deleted experiments, same shape

Writing it: mlruns_writes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tuitrack.core.datasets import RunInputs
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)
from tuitrack.errors import StoreUnavailableError
from tuitrack_mlflow.readonly import PARENT_TAG, RUN_NAME_TAG, STATUS_BY_CODE, STATUS_CODES

TRASH = ".trash"
LIVENESS_FILE = ".tuitrack-liveness.yaml"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Liveness:
    """What tuitrack records of a run's process: where it ran and when it last beat."""

    host: str | None = None
    pid: int | None = None
    heartbeat_time: int | None = None


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The parsed meta.yaml of `folder`, or None if it has none (or it is not a mapping)."""
    try:
        text = (folder / "meta.yaml").read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise StoreUnavailableError(f"cannot read {folder / 'meta.yaml'}: {error}") from None
    try:
        meta = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise StoreUnavailableError(f"{folder / 'meta.yaml'} is not valid YAML: {error}") from None
    return meta if isinstance(meta, dict) else None


def read_key_files(folder: Path) -> dict[str, str]:
    """{key: file content} for every file below `folder` (params or tags)."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for directory, _subdirs, files in os.walk(folder):
        relative = os.path.relpath(directory, folder).replace(os.sep, "/")
        for name in files:
            key = name if relative == "." else f"{relative}/{name}"
            found[key] = (Path(directory) / name).read_text(encoding="utf-8")
    return dict(sorted(found.items()))


def read_key_paths(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if folder.is_dir():
        for directory, _subdirs, files in os.walk(folder):
            relative = os.path.relpath(directory, folder).replace(os.sep, "/")
            for name in files:
                found[name if relative == "." else f"{relative}/{name}"] = Path(directory) / name
    return found


def _points(path: Path) -> Iterator[tuple[int, int, float]]:
    """(step, timestamp, value) per line of a metric file, in file order."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) < 2:
                continue
            step = int(fields[2]) if len(fields) > 2 else 0
            yield step, int(fields[0]), float(fields[1])


def metric_history(run_dir: Path, key: str) -> list[Metric]:
    path = read_key_paths(run_dir / "metrics").get(key)
    if path is None:
        return []
    points = sorted(_points(path), key=lambda p: (p[0], p[1]))
    construct = Metric.model_construct
    return [construct(key=key, value=v, timestamp=ts, step=step) for step, ts, v in points]


def latest_metrics(run_dir: Path) -> dict[str, float]:
    """Each key's value at the highest step, then latest timestamp (later lines win ties)."""
    latest: dict[str, float] = {}
    for key, path in sorted(read_key_paths(run_dir / "metrics").items()):
        best: tuple[int, int] | None = None
        value = math.nan
        for step, timestamp, point in _points(path):
            if best is None or (step, timestamp) >= best:
                best, value = (step, timestamp), point
        if best is not None:
            latest[key] = value
    return latest


def last_metric_time(run_dir: Path) -> int | None:
    """The latest timestamp of any metric point of the run, or None without metrics."""
    times = [
        ts for path in read_key_paths(run_dir / "metrics").values() for _, ts, _ in _points(path)
    ]
    return max(times, default=None)


def _status(value: object) -> RunStatus:
    if isinstance(value, int) and value in STATUS_BY_CODE:
        return STATUS_BY_CODE[value]
    return RunStatus(str(value).upper())


def status_code(status: RunStatus) -> int:
    return STATUS_CODES[status]


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).strip() else None


def read_experiment(folder: Path, meta: dict[str, Any]) -> Experiment:
    in_trash = folder.parent.name == TRASH
    stage = meta.get("lifecycle_stage") or (
        LifecycleStage.DELETED.value if in_trash else LifecycleStage.ACTIVE.value
    )
    return Experiment(
        experiment_id=str(meta["experiment_id"]),
        name=str(meta.get("name", "")),
        artifact_location=str(meta.get("artifact_location") or ""),
        lifecycle_stage=LifecycleStage(stage),
        tags=read_key_files(folder / "tags"),
        creation_time=_int_or_none(meta.get("creation_time")),
        last_update_time=_int_or_none(meta.get("last_update_time")),
    )


def run_id_of(meta: dict[str, Any]) -> str | None:
    run_id = meta.get("run_id") or meta.get("run_uuid")
    return str(run_id) if run_id else None


def read_liveness(run_dir: Path) -> Liveness:
    """The run's liveness file (none for runs MLflow logged: every field None)."""
    try:
        values = yaml.load((run_dir / LIVENESS_FILE).read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return Liveness()
    if not isinstance(values, dict):
        return Liveness()
    host = values.get("host")
    return Liveness(
        host=host if isinstance(host, str) else None,
        pid=_int_or_none(values.get("pid")),
        heartbeat_time=_int_or_none(values.get("heartbeat_time")),
    )


def read_run(run_dir: Path, meta: dict[str, Any], inputs: RunInputs) -> Run:
    """The run in `run_dir` (its meta.yaml parsed: `meta`), given its inputs."""
    tags = read_key_files(run_dir / "tags")
    liveness = read_liveness(run_dir)
    info = RunInfo.model_construct(
        run_id=run_id_of(meta) or run_dir.name,
        experiment_id=str(meta.get("experiment_id", run_dir.parent.name)),
        run_name=meta.get("run_name") or tags.get(RUN_NAME_TAG),
        user_id=meta.get("user_id"),
        status=_status(meta.get("status", STATUS_CODES[RunStatus.RUNNING])),
        start_time=_int_or_none(meta.get("start_time")),
        end_time=_int_or_none(meta.get("end_time")),
        artifact_uri=str(meta.get("artifact_uri") or ""),
        lifecycle_stage=LifecycleStage(meta.get("lifecycle_stage") or "active"),
        parent_run_id=tags.get(PARENT_TAG),
        host=liveness.host,
        pid=liveness.pid,
        heartbeat_time=liveness.heartbeat_time,
    )
    data = RunData.model_construct(
        metrics=latest_metrics(run_dir),
        params=read_key_files(run_dir / "params"),
        tags=tags,
    )
    return Run.model_construct(info=info, data=data, inputs=inputs)
