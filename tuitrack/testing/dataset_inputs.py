from __future__ import annotations

import threading

import pytest

from tuitrack.core.datasets import CONTEXT_TAG, Dataset, DatasetInput, InputTag, RunInputs
from tuitrack.core.store import TrackingStore
from tuitrack.errors import InvalidValueError, NotFoundError, ReadOnlyError

TRAIN = Dataset(
    "train",
    "a1b2c3d4",
    "local",
    '{"uri": "/data/train.csv"}',
    '{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}]}',
    '{"num_rows": 3, "num_elements": 3}',
)
EVAL = Dataset("eval", "e5f6a7b8", "http", '{"url": "https://example.com/eval.csv"}')


def _used_for(dataset: Dataset, context: str, *tags: InputTag) -> DatasetInput:
    return DatasetInput(dataset, [InputTag(CONTEXT_TAG, context), *tags])


def _by_name(inputs: RunInputs) -> dict[str, DatasetInput]:
    return {i.dataset.name: i for i in inputs.dataset_inputs}


@pytest.fixture
def run_id(store: TrackingStore, experiment_id: str) -> str:
    return store.create_run(experiment_id).info.run_id


def test_inputs_round_trip(store: TrackingStore, experiment_id: str, run_id: str) -> None:
    assert store.get_run(run_id).inputs == RunInputs([])
    store.log_inputs(
        run_id,
        [_used_for(TRAIN, "training", InputTag("split", "80%")), _used_for(EVAL, "eval")],
    )
    found = _by_name(store.get_run(run_id).inputs)
    assert found["train"].dataset == TRAIN
    assert found["eval"].dataset == EVAL  # no schema or profile: None
    tags = {tag.key: tag.value for tag in found["train"].tags}
    assert tags == {CONTEXT_TAG: "training", "split": "80%"}
    assert [(t.key, t.value) for t in found["eval"].tags] == [(CONTEXT_TAG, "eval")]
    listed = store.search_runs([experiment_id])
    assert _by_name(listed[0].inputs) == found


def test_a_dataset_is_stored_once_and_an_input_once_per_run(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    other = store.create_run(experiment_id).info.run_id
    store.log_inputs(run_id, [_used_for(TRAIN, "training"), _used_for(TRAIN, "eval")])
    store.log_inputs(run_id, [_used_for(TRAIN, "testing")])
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1  # the first input of the dataset is kept, with its tags
    assert [(t.key, t.value) for t in inputs[0].tags] == [(CONTEXT_TAG, "training")]
    # The same name and digest in another run of the experiment is the stored dataset.
    renamed_source = Dataset(TRAIN.name, TRAIN.digest, "s3", '{"uri": "s3://b/train.csv"}')
    store.log_inputs(other, [_used_for(renamed_source, "eval")])
    (shared,) = store.get_run(other).inputs.dataset_inputs
    assert shared.dataset == TRAIN
    assert [(t.key, t.value) for t in shared.tags] == [(CONTEXT_TAG, "eval")]
    # Another digest is another dataset.
    changed = Dataset(TRAIN.name, "ffff0000", "local", TRAIN.source)
    store.log_inputs(run_id, [DatasetInput(changed)])
    digests = sorted(i.dataset.digest for i in store.get_run(run_id).inputs.dataset_inputs)
    assert digests == sorted([TRAIN.digest, "ffff0000"])


def test_inputs_of_runs_are_their_own(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    bare = store.create_run(experiment_id).info.run_id
    store.log_inputs(run_id, [DatasetInput(EVAL)])
    store.log_inputs(run_id, [])
    runs = {run.info.run_id: run for run in store.search_runs([experiment_id])}
    assert runs[bare].inputs.dataset_inputs == []
    assert [i.dataset for i in runs[run_id].inputs.dataset_inputs] == [EVAL]
    assert runs[run_id].inputs.dataset_inputs[0].tags == []


def test_unknown_and_deleted_runs_are_refused(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(NotFoundError):
        store.log_inputs("0" * 32, [DatasetInput(TRAIN)])
    store.delete_run(run_id)
    with pytest.raises(ReadOnlyError):
        store.log_inputs(run_id, [DatasetInput(TRAIN)])
    store.restore_run(run_id)
    assert store.get_run(run_id).inputs.dataset_inputs == []


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (Dataset("x" * 501, "d", "local", "{}"), "dataset name"),
        (Dataset("n", "d" * 37, "local", "{}"), "digest"),
        (Dataset("n", "d", "local", None), "source"),  # type: ignore[arg-type]
        (Dataset("n", "d", "local", "{}", schema=5), "schema"),  # type: ignore[arg-type]
        ("not an input", "DatasetInput"),
    ],
    ids=["long name", "long digest", "no source", "schema not text", "not an input"],
)
def test_bad_inputs_are_refused_by_name_and_nothing_is_stored(
    store: TrackingStore, run_id: str, bad: object, named: str
) -> None:
    given = DatasetInput(bad) if isinstance(bad, Dataset) else bad
    with pytest.raises(InvalidValueError, match=named):
        store.log_inputs(run_id, [DatasetInput(TRAIN), given])  # type: ignore[list-item]
    long_tag = DatasetInput(TRAIN, [InputTag("k", "v" * 501)])
    with pytest.raises(InvalidValueError, match="input tag 'k'"):
        store.log_inputs(run_id, [long_tag])
    assert store.get_run(run_id).inputs.dataset_inputs == []


def test_concurrent_writers_store_a_dataset_once(store: TrackingStore, experiment_id: str) -> None:
    """Writers logging the same dataset to runs of one experiment at once: every run has
    it, as one dataset (the stored one), and no writer fails on the others' rows."""
    run_ids = [store.create_run(experiment_id).info.run_id for _ in range(4)]
    failures: list[BaseException] = []

    def write(run_id: str) -> None:
        try:
            for context in ("training", "eval", "training"):
                store.log_inputs(run_id, [_used_for(TRAIN, context), DatasetInput(EVAL)])
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for run_id in run_ids:
        found = _by_name(store.get_run(run_id).inputs)
        assert {name: i.dataset for name, i in found.items()} == {"train": TRAIN, "eval": EVAL}
        assert [(t.key, t.value) for t in found["train"].tags] == [(CONTEXT_TAG, "training")]
