"""A run's dataset inputs in an mlruns folder, read and written as MLflow's file store keeps
them, so that MLflow's client shows what tuitrack's log_input records and the other way:

mlruns/<experiment id>/datasets/<dataset id>/meta.yaml   name, digest, source_type, source,
                                                         schema, profile (the first logged)
mlruns/<experiment id>/<run id>/inputs/<input id>/meta.yaml   source_type DATASET,
                                                         source_id <dataset id>, tags {...}

A dataset's id is the MD5 of its name then digest, an input's the MD5 of the dataset's id
then the run's id (hex): a dataset logged again, by any run of the experiment, and an input
logged again by its run, name folders that exist, and the first one stays. A folder is
filled under a temporary name in the run's folder (where MLflow lists nothing) and renamed
into place, so that a reader never meets one without its meta.yaml.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tuitrack.core.datasets import Dataset, DatasetInput, InputTag, RunInputs
from tuitrack_mlflow import mlruns_layout as layout
from tuitrack_mlflow import mlruns_writes as writes

_DATASET = "DATASET"  # MLflow's InputVertexType names, as its file store writes them
_RUN = "RUN"


def _md5(*parts: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def dataset_id(dataset: Dataset) -> str:
    return _md5(dataset.name, dataset.digest)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _dataset(meta: dict[str, Any]) -> Dataset:
    return Dataset(
        str(meta.get("name", "")),
        str(meta.get("digest", "")),
        str(meta.get("source_type", "")),
        str(meta.get("source", "")),
        _text_or_none(meta.get("schema")),
        _text_or_none(meta.get("profile")),
    )


def read_inputs(run_dir: Path) -> RunInputs:
    """The run's dataset inputs, by input folder name (MLflow gives no order); inputs of
    logged models, and inputs whose dataset is missing, are left out as MLflow does."""
    inputs_dir = run_dir / "inputs"
    if not inputs_dir.is_dir():
        return RunInputs()
    datasets_dir = run_dir.parent / "datasets"
    found = []
    for folder in sorted(inputs_dir.iterdir()):
        meta = layout.read_meta(folder)
        if meta is None or meta.get("source_type") != _DATASET:
            continue
        dataset_meta = layout.read_meta(datasets_dir / str(meta.get("source_id")))
        if dataset_meta is None:
            continue
        tags = meta.get("tags")
        pairs = tags.items() if isinstance(tags, dict) else ()
        found.append(
            DatasetInput(_dataset(dataset_meta), [InputTag(str(k), str(v)) for k, v in pairs])
        )
    return RunInputs(found)


@writes.disk_errors
def _place_folder(target: Path, meta: dict[str, Any], scratch: Path) -> None:
    """Make `target` holding meta.yaml unless it exists (the first one stays)."""
    if target.exists():
        return
    staged = Path(tempfile.mkdtemp(prefix=".tuitrack-tmp-", dir=scratch))
    try:
        writes.write_meta(staged, meta)
        target.parent.mkdir(exist_ok=True)
        try:
            os.rename(staged, target)
        except OSError:
            if not target.is_dir():  # else another writer placed it first: it stays
                raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def write_inputs(run_dir: Path, run_id: str, dataset_inputs: Sequence[DatasetInput]) -> None:
    """Record checked inputs (one per dataset) of the run in `run_dir`."""
    datasets_dir = run_dir.parent / "datasets"
    for dataset_input in dataset_inputs:
        dataset = dataset_input.dataset
        identity = dataset_id(dataset)
        _place_folder(datasets_dir / identity, dataset.to_dictionary(), run_dir)
        input_meta = {
            "destination_id": identity,  # what MLflow's file store writes here
            "destination_type": _RUN,
            "source_id": identity,
            "source_type": _DATASET,
            "tags": {tag.key: tag.value for tag in dataset_input.tags},
        }
        _place_folder(run_dir / "inputs" / _md5(identity, run_id), input_meta, run_dir)
