"""The datasets runs were given, read and written once for both SQL schemas: each keeps
them in MLflow's tables `datasets`, `inputs` and `input_tags`, with MLflow's columns.

MLflow's rules: a dataset is one row per experiment and (name, digest), whoever logged it
first; an input links a dataset (source type DATASET) to a run (destination type RUN) once,
and its tags are those given when the link was made.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, MetaData, Table, select

from tuitrack.core.datasets import Dataset, DatasetInput, InputTag, RunInputs
from tuitrack_sqlkit.upsert import insert_new

DATASET_SOURCE = "DATASET"
RUN_DESTINATION = "RUN"
_DATASET_KEY = ("experiment_id", "name", "digest")
_INPUT_KEY = ("source_type", "source_id", "destination_type", "destination_id")
_CHUNK = 1000  # values per IN list


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    found = metadata.tables
    return found["datasets"], found["inputs"], found["input_tags"]


def read_run_inputs(
    connection: Connection, metadata: MetaData, run_ids: Sequence[str]
) -> dict[str, RunInputs]:
    """The inputs of those of `run_ids` that have some: datasets by name then digest, the
    tags of each by key."""
    datasets, inputs, tags = _tables(metadata)
    found: dict[str, dict[str, DatasetInput]] = {}
    any_input = select(inputs.c.input_uuid).where(inputs.c.destination_type == RUN_DESTINATION)
    if not run_ids or connection.execute(any_input.limit(1)).first() is None:
        return {}  # the common case of a store without datasets: one cheap query
    for chunk in chunks(run_ids):
        query = (
            select(
                inputs.c.destination_id,
                inputs.c.input_uuid,
                datasets.c.name,
                datasets.c.digest,
                datasets.c.dataset_source_type,
                datasets.c.dataset_source,
                datasets.c.dataset_schema,
                datasets.c.dataset_profile,
                tags.c.name,
                tags.c.value,
            )
            .select_from(inputs)
            .join(datasets, datasets.c.dataset_uuid == inputs.c.source_id)
            .outerjoin(tags, tags.c.input_uuid == inputs.c.input_uuid)
            .where(
                inputs.c.destination_type == RUN_DESTINATION,
                inputs.c.destination_id.in_(chunk),
                inputs.c.source_type == DATASET_SOURCE,
            )
            .order_by(inputs.c.destination_id, datasets.c.name, datasets.c.digest, tags.c.name)
        )
        for run_id, input_id, *dataset, tag_key, tag_value in connection.execute(query):
            run_inputs = found.setdefault(run_id, {})
            dataset_input = run_inputs.get(input_id)
            if dataset_input is None:
                name, digest, source_type, source, schema, profile = dataset
                dataset_input = DatasetInput(
                    Dataset(name, digest, source_type, source or "", schema, profile)
                )
                run_inputs[input_id] = dataset_input
            if tag_key is not None:
                dataset_input.tags.append(InputTag(tag_key, tag_value or ""))
    return {run_id: RunInputs(list(by_id.values())) for run_id, by_id in found.items()}


def write_run_inputs(
    connection: Connection,
    metadata: MetaData,
    experiment_key: int,
    run_id: str,
    dataset_inputs: Sequence[DatasetInput],
) -> None:
    """Link the run to each dataset (stored once per experiment), with the input's tags when
    the link is new; `dataset_inputs` are checked and one per (name, digest)."""
    if not dataset_inputs:
        return
    datasets, inputs, tags = _tables(metadata)
    wanted = {(i.dataset.name, i.dataset.digest): i for i in dataset_inputs}
    insert_new(
        connection,
        datasets,
        [
            {
                "dataset_uuid": uuid.uuid4().hex,
                "experiment_id": experiment_key,
                "name": name,
                "digest": digest,
                "dataset_source_type": dataset_input.dataset.source_type,
                "dataset_source": dataset_input.dataset.source,
                "dataset_schema": dataset_input.dataset.schema,
                "dataset_profile": dataset_input.dataset.profile,
            }
            for (name, digest), dataset_input in wanted.items()
        ],
        _DATASET_KEY,
    )
    dataset_ids = _dataset_ids(connection, datasets, experiment_key, list(wanted))
    new_inputs = {dataset_ids[key]: uuid.uuid4().hex for key in wanted}
    insert_new(
        connection,
        inputs,
        [
            {
                "input_uuid": input_id,
                "source_type": DATASET_SOURCE,
                "source_id": dataset_id,
                "destination_type": RUN_DESTINATION,
                "destination_id": run_id,
            }
            for dataset_id, input_id in new_inputs.items()
        ],
        _INPUT_KEY,
    )
    stored = _input_ids(connection, inputs, run_id, list(new_inputs))
    tag_rows = [
        {"input_uuid": new_inputs[dataset_ids[key]], "name": tag.key, "value": tag.value}
        for key, dataset_input in wanted.items()
        if stored.get(dataset_ids[key]) == new_inputs[dataset_ids[key]]  # linked just now
        for tag in {tag.key: tag for tag in dataset_input.tags}.values()
    ]
    if tag_rows:
        connection.execute(tags.insert(), tag_rows)


def _dataset_ids(
    connection: Connection, datasets: Table, experiment_key: int, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(name, digest) -> dataset_uuid of the experiment's datasets among `keys`. A database
    whose text compares loosely (MLflow's MySQL tables ignore case and trailing spaces) may
    hold a key as first logged in another spelling: that row is the dataset."""
    stored: dict[tuple[str, str], str] = {}
    names = sorted({name for name, _ in keys})
    for chunk in chunks(names):
        query = select(datasets.c.name, datasets.c.digest, datasets.c.dataset_uuid).where(
            datasets.c.experiment_id == experiment_key, datasets.c.name.in_(chunk)
        )
        stored.update(
            ((name, digest), dataset_id) for name, digest, dataset_id in connection.execute(query)
        )
    loose = {_loose(key): dataset_id for key, dataset_id in stored.items()}
    return {key: stored.get(key) or loose[_loose(key)] for key in keys}


def _loose(key: tuple[str, str]) -> tuple[str, str]:
    return key[0].rstrip(" ").casefold(), key[1].rstrip(" ").casefold()


def _input_ids(
    connection: Connection, inputs: Table, run_id: str, dataset_ids: list[str]
) -> dict[str, str]:
    """dataset_uuid -> input_uuid of the run's links to these datasets."""
    found: dict[str, str] = {}
    for chunk in chunks(dataset_ids):
        query = select(inputs.c.source_id, inputs.c.input_uuid).where(
            inputs.c.source_type == DATASET_SOURCE,
            inputs.c.source_id.in_(chunk),
            inputs.c.destination_type == RUN_DESTINATION,
            inputs.c.destination_id == run_id,
        )
        found.update((source_id, input_id) for source_id, input_id in connection.execute(query))
    return found
