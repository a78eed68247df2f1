"""The writes every store takes unless opened read-only (run and experiment tags, closing a
run as FAILED or KILLED), and ReadOnlyError for each write its capabilities leave out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tuitrack.core.capabilities import WRITE_CAPABILITIES, Capability
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, Param, Run, RunStatus, RunTag, ViewType
from tuitrack.errors import ReadOnlyError
from tuitrack.testing.plugin import FILLING


def _open_run(store: TrackingStore) -> Run:
    """An active run to write to: a new one, or the first the store holds."""
    if store.read_only is not None:
        pytest.skip(f"{type(store).__name__} was opened read-only: {store.read_only}")
    if all(capability in store.capabilities for capability in FILLING):
        experiment_id = store.create_experiment("marking")
        return store.create_run(experiment_id, run_name="marked", start_time=1_000)
    ids = [e.experiment_id for e in store.search_experiments(max_results=1000)]
    runs = store.search_runs(ids, max_results=1)
    if not runs:
        pytest.skip(f"{type(store).__name__} holds no active run to write to")
    return runs[0]


def test_run_and_experiment_tags_last_write_wins(any_store: TrackingStore) -> None:
    run = _open_run(any_store)
    run_id = run.info.run_id
    any_store.set_tag(run_id, RunTag(key="contract.note", value="first"))
    any_store.log_batch(run_id, tags=[RunTag(key="contract.note", value="second ü")])
    assert any_store.get_run(run_id).data.tags["contract.note"] == "second ü"
    found = any_store.search_runs(
        [run.info.experiment_id], "tags.`contract.note` = 'second ü'", ViewType.ALL
    )
    assert [r.info.run_id for r in found] == [run_id]

    experiment_id = run.info.experiment_id
    any_store.set_experiment_tag(experiment_id, "contract.owner", "a")
    any_store.set_experiment_tag(experiment_id, "contract.owner", "b")
    assert any_store.get_experiment(experiment_id).tags["contract.owner"] == "b"


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.KILLED])
def test_closing_a_run(any_store: TrackingStore, status: RunStatus) -> None:
    run = _open_run(any_store)
    end_time = (run.info.start_time or 0) + 5_000
    info = any_store.update_run_info(run.info.run_id, status=status, end_time=end_time)
    assert (info.status, info.end_time) == (status, end_time)
    stored = any_store.get_run(run.info.run_id).info
    assert (stored.status, stored.end_time) == (status, end_time)
    closed = any_store.search_runs(
        [run.info.experiment_id], f"attributes.status = '{status.value}'", ViewType.ALL, 1000
    )
    assert run.info.run_id in {r.info.run_id for r in closed}


def test_writes_outside_its_capabilities_are_refused(any_store: TrackingStore) -> None:
    store = any_store
    missing = WRITE_CAPABILITIES - store.capabilities - {Capability.OPEN_BY_URI}
    if not missing:
        pytest.skip(f"{type(store).__name__} declares every write capability")
    run = _open_run(store)
    run_id, experiment_id = run.info.run_id, run.info.experiment_id
    attempts: dict[Capability, list[Callable[[], object]]] = {
        Capability.CREATE_EXPERIMENTS: [
            lambda: store.create_experiment("refused"),
            lambda: store.rename_experiment(experiment_id, "renamed"),
            lambda: store.delete_experiment(experiment_id),
        ],
        Capability.CREATE_RUNS: [
            lambda: store.create_run(experiment_id),
            lambda: store.update_run_info(run_id, run_name="renamed"),
            lambda: store.delete_run(run_id),
            lambda: store.record_heartbeat(run_id),
        ],
        Capability.LOG_METRICS: [
            lambda: store.log_batch(run_id, metrics=[Metric(key="m", value=1.0, timestamp=1)]),
            lambda: store.log_batch(run_id, params=[Param(key="p", value="v")]),
        ],
    }
    experiments = store.search_experiments(ViewType.ALL, max_results=1000)
    runs = store.count_runs([e.experiment_id for e in experiments], None, ViewType.ALL)
    for capability in sorted(missing):
        for attempt in attempts[capability]:
            with pytest.raises(ReadOnlyError):
                attempt()
    after = store.search_experiments(ViewType.ALL, max_results=1000)
    assert after == experiments
    assert store.count_runs([e.experiment_id for e in after], None, ViewType.ALL) == runs
    assert store.get_run(run_id).info == run.info
