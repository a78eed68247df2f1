"""`tuitrack import` from MLflow data: everything copied, nothing twice, and an interrupted
or killed import resumes to the same result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.mlflow.fixtures import NAMES, MlflowFixture, copy_fixture, same_float
from tuitrack.cli.importer import IMPORT_COMPLETE_TAG, IMPORTED_FROM_TAG, ImportReport, run_import
from tuitrack.entities import Run, ViewType
from tuitrack.sdk.client import TrackingClient

PARENT_TAG = "mlflow.parentRunId"
REPO = Path(__file__).resolve().parent.parent.parent


class Target:
    def __init__(self, folder: Path) -> None:
        self.uri = f"sqlite:///{folder / 'tuitrack.db'}"
        self.artifacts = str(folder / "artifacts")

    def run_import(
        self, source: str, dry_run: bool = False, on_event: Callable[[str], None] | None = None
    ) -> ImportReport:
        return run_import(
            source,
            self.uri,
            dry_run,
            progress=False,
            artifact_uri=self.artifacts,
            on_event=on_event,
        )

    def client(self) -> TrackingClient:
        return TrackingClient(self.uri, artifact_uri=self.artifacts)


def _runs(client: TrackingClient) -> list[Run]:
    ids = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
    return list(client.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000))


def assert_same_content(source_uri: str, target: Target) -> None:
    """Every experiment, run, param, tag, metric point and artifact of the source, once."""
    with TrackingClient(source_uri) as source, target.client() as copy:
        source_experiments = {e.name: e for e in source.search_experiments(ViewType.ALL)}
        copied_experiments = {e.name: e for e in copy.search_experiments(ViewType.ALL)}
        assert set(copied_experiments) == set(source_experiments)
        for name, experiment in source_experiments.items():
            twin = copied_experiments[name]
            assert twin.lifecycle_stage == experiment.lifecycle_stage
            assert {k: v for k, v in twin.tags.items() if k != IMPORTED_FROM_TAG} == experiment.tags
        originals = {run.info.run_id: run for run in _runs(source)}
        copies = {run.data.tags[IMPORTED_FROM_TAG]: run for run in _runs(copy)}
        assert len(copies) == len(_runs(copy)) == len(originals)  # no duplicates
        for run_id, original in originals.items():
            copied = copies[run_id]
            for field in ("run_name", "user_id", "status", "start_time", "end_time"):
                assert getattr(copied.info, field) == getattr(original.info, field), field
            assert copied.info.lifecycle_stage == original.info.lifecycle_stage
            assert copied.data.params == original.data.params
            expected_tags = {k: v for k, v in original.data.tags.items() if k != PARENT_TAG}
            expected_tags |= {IMPORTED_FROM_TAG: run_id, IMPORT_COMPLETE_TAG: "true"}
            # The copy's parent tag names the copied parent (checked below by the run's field).
            assert {k: v for k, v in copied.data.tags.items() if k != PARENT_TAG} == expected_tags
            parent = original.info.parent_run_id
            assert copied.info.parent_run_id == (copies[parent].info.run_id if parent else None)
            assert sorted(copied.data.metrics) == sorted(original.data.metrics)
            for key, value in original.data.metrics.items():
                assert same_float(copied.data.metrics[key], value)
                theirs = source.get_metric_history(run_id, key)
                ours = copy.get_metric_history(copied.info.run_id, key)
                assert [(m.step, m.timestamp) for m in ours] == [
                    (m.step, m.timestamp) for m in theirs
                ]
                assert all(same_float(a.value, b.value) for a, b in zip(ours, theirs, strict=True))
            source_files = {f.path: f for f in source.artifact_store(run_id).walk_files()}
            copied_store = copy.artifact_store(copied.info.run_id)
            assert {f.path for f in copied_store.walk_files()} == set(source_files)
            for path in source_files:
                expected = source.artifact_store(run_id).read_bytes(path)
                assert copied_store.read_bytes(path) == expected


@pytest.mark.parametrize("name", NAMES)
def test_import_copies_everything_once(name: str, tmp_path: Path) -> None:
    fixture = copy_fixture(name, tmp_path / name)
    target = Target(tmp_path / "into")
    report = target.run_import(fixture.uri)
    assert report.runs_copied == len(fixture.answers["runs"])
    # MLflow's Default experiment goes into the Default every tuitrack store has.
    created = [e for e in fixture.answers["experiments"] if e["name"] != "Default"]
    assert report.experiments_created == len(created)
    assert report.artifact_files == 3
    assert report.warnings == []
    assert_same_content(fixture.uri, target)

    again = target.run_import(fixture.uri)
    assert (again.runs_copied, again.runs_resumed, again.experiments_created) == (0, 0, 0)
    assert (again.metric_points, again.artifact_files) == (0, 0)
    assert again.runs_already_imported == len(fixture.answers["runs"])
    assert_same_content(fixture.uri, target)


def test_dry_run_lists_and_writes_nothing(tmp_path: Path) -> None:
    fixture = copy_fixture("mlflow2_mlruns", tmp_path / "f")
    target = Target(tmp_path / "into")
    report = target.run_import(fixture.uri, dry_run=True)
    assert {p.source_run_id for p in report.planned} == {
        r["run_id"] for r in fixture.answers["runs"]
    }
    assert report.runs_copied == 0
    assert report.summary().startswith(f"would copy {len(fixture.answers['runs'])} run(s)")
    with target.client() as client:
        assert _runs(client) == []
        assert [e.name for e in client.search_experiments(ViewType.ALL)] == ["Default"]


def _stop_after(metric_batches: int) -> Callable[[str], None]:
    """An event hook that interrupts the import right after that many metric batches."""
    seen: list[str] = []

    def hook(event: str) -> None:
        seen.append(event)
        if seen.count("metrics") == metric_batches and event == "metrics":
            raise KeyboardInterrupt

    return hook


def _incomplete_runs(target: Target) -> list[Run]:
    with target.client() as client:
        return [r for r in _runs(client) if IMPORT_COMPLETE_TAG not in r.data.tags]


def _partial_long_history(target: Target, fixture: MlflowFixture) -> int:
    with target.client() as client:
        for run in _runs(client):
            if run.data.tags[IMPORTED_FROM_TAG] == fixture.run("long")["run_id"]:
                return len(client.get_metric_history(run.info.run_id, "loss"))
    return 0


@pytest.mark.parametrize("stop_at", [1, 12])
def test_interrupted_import_resumes(stop_at: int, tmp_path: Path) -> None:
    fixture = copy_fixture("mlflow3_sqlite", tmp_path / "m")
    target = Target(tmp_path / "into")
    with pytest.raises(KeyboardInterrupt):
        target.run_import(fixture.uri, on_event=_stop_after(stop_at))
    assert len(_incomplete_runs(target)) == 1  # stopped in the middle of a run
    if stop_at == 12:  # inside the 2,000-point history, after its first batch
        assert _partial_long_history(target, fixture) == 1_000

    report = target.run_import(fixture.uri)
    assert report.runs_resumed == 1
    assert report.runs_copied + report.runs_resumed + report.runs_already_imported == len(
        fixture.answers["runs"]
    )
    assert _incomplete_runs(target) == []
    assert_same_content(fixture.uri, target)


def test_killed_import_resumes(tmp_path: Path) -> None:
    fixture = copy_fixture("mlflow2_mlruns", tmp_path / "f")
    target = Target(tmp_path / "into")
    script = textwrap.dedent(
        f"""
        import os, signal
        from tuitrack.cli.importer import run_import
        batches = []
        def hook(event):
            batches.append(event)
            if batches.count("metrics") == 12 and event == "metrics":
                os.kill(os.getpid(), signal.SIGKILL)
        run_import({fixture.uri!r}, {target.uri!r}, progress=False,
                   artifact_uri={target.artifacts!r}, on_event=hook)
        """
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, timeout=120, check=False
    )
    assert done.returncode == -signal.SIGKILL
    assert _partial_long_history(target, fixture) == 1_000

    report = target.run_import(fixture.uri)
    assert report.runs_resumed == 1
    assert_same_content(fixture.uri, target)


def test_import_into_a_new_mlruns_folder_writes_what_mlflow_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for it
    source = copy_fixture("mlflow3_sqlite", tmp_path / "f")
    into = tmp_path / "mlruns"  # made by the import, as MLflow makes one
    report = run_import(source.uri, str(into), progress=False)
    assert report.runs_copied == len(source.answers["runs"])
    client = mlflow.MlflowClient(f"file://{into}")
    every = mlflow.entities.ViewType.ALL
    experiments = client.search_experiments(every)
    runs = client.search_runs([e.experiment_id for e in experiments], run_view_type=every)
    assert sorted(r.info.run_name for r in runs) == sorted(
        r["run_name"] for r in source.answers["runs"]
    )
