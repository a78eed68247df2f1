"""The TUI's store queries and column defaults, against a real store."""

from __future__ import annotations

from tests.tui.conftest import FIXED_NOW, DemoStore
from tuitrack.core.orphans import OrphanPolicy
from tuitrack.entities import FileInfo, Run, RunData, RunInfo
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.preview import render_artifact
from tuitrack.tui.queries import (
    RunsQuery,
    count_runs,
    default_columns,
    load_experiment_summaries,
    load_judged_page,
    load_orphans,
    load_run_detail,
    load_runs_page,
    order_clause,
)


def _run(run_id: str, **params: str) -> Run:
    return Run(
        info=RunInfo(run_id=run_id, experiment_id="1"),
        data=RunData(params=params, metrics={"loss": 1.0}),
    )


def test_default_columns_prefer_params_that_vary_but_are_not_unique() -> None:
    runs = [
        _run("a", lr="0.1", seed="1", optimizer="adam", depth="3"),
        _run("b", lr="0.1", seed="2", optimizer="adam", depth="4"),
        _run("c", lr="0.01", seed="3", optimizer="adam", depth="5"),
        _run("d", lr="0.01", seed="4", optimizer="adam", depth="5"),
    ]
    choice = default_columns(runs, max_params=2)
    assert choice.params == ("depth", "lr")
    assert default_columns(runs).params == ("depth", "lr", "seed")
    assert choice.metrics == ("loss",)


def test_order_clause_quotes_keys_that_are_not_identifiers() -> None:
    assert order_clause("metrics", "loss", True) == "metrics.loss ASC"
    assert order_clause("metrics", "val/loss", False) == "metrics.`val/loss` DESC"


def test_experiment_summaries_count_runs_and_live_runs(
    client: TrackingClient, demo_store: DemoStore
) -> None:
    summaries = {s.experiment.name: s for s in load_experiment_summaries(client, FIXED_NOW)}
    assert "scratch" not in summaries  # deleted
    assert summaries["gpt-pretrain"].run_count == 3
    assert summaries["gpt-pretrain"].running_count == 2  # the orphan is not counted
    assert summaries["cifar10-resnet-sweep"].run_count == 2 + 2 * 4
    with_deleted = load_experiment_summaries(client, FIXED_NOW, show_deleted=True)
    assert "scratch" in {s.experiment.name for s in with_deleted}


def test_runs_page_and_run_detail(client: TrackingClient) -> None:
    experiment = client.get_experiment_by_name("cifar10-resnet-sweep")
    assert experiment is not None
    page = load_runs_page(client, RunsQuery((experiment.experiment_id,), page_size=4))
    assert len(page) == 4
    assert page.token
    sweep = next(
        r
        for r in load_runs_page(client, RunsQuery((experiment.experiment_id,)))
        if r.info.run_name == "sweep-0"
    )
    detail = load_run_detail(client, sweep.info.run_id, FIXED_NOW, OrphanPolicy())
    assert sorted(c.info.run_name or "" for c in detail.children) == [
        f"trial-0-{i:02d}" for i in range(4)
    ]
    child = load_run_detail(client, detail.children[0].info.run_id, FIXED_NOW, OrphanPolicy())
    assert child.parent is not None
    assert child.parent.info.run_id == sweep.info.run_id
    loss = next(m for m in child.metrics if m.key == "val/loss")
    history = client.get_metric_history(child.run.info.run_id, "val/loss")
    values = [m.value for m in history if m.value == m.value]
    assert loss.count == len(history) == 40
    assert loss.step == 39
    assert (loss.min_value, loss.max_value) == (min(values), max(values))
    assert loss.latest == history[-1].value
    # The sparkline reads the whole series, downsampled by the store.
    assert 0 < len(child.trends["val/loss"]) <= 40


def test_previews_render_text_json_yaml_csv_and_refuse_binary() -> None:
    csv_preview = render_artifact(
        FileInfo(path="m.csv", is_dir=False, file_size=10), b"a,b\n1,2\n", False
    )
    assert type(csv_preview).__name__ == "Table"
    json_preview = render_artifact(
        FileInfo(path="x.json", is_dir=False, file_size=8), b'{"a": 1}', False
    )
    assert "Syntax" in type(json_preview).__name__
    binary = render_artifact(
        FileInfo(path="w.bin", is_dir=False, file_size=2048), b"\x00\x01", False
    )
    assert "binary file, 2.0 KB" in str(binary)
    text = render_artifact(FileInfo(path="notes.txt", is_dir=False, file_size=5), b"hello", True)
    assert "showing the first" in str(text)


def test_orphans_and_counts_of_an_experiment(client: TrackingClient, demo_store: DemoStore) -> None:
    experiment = client.get_experiment_by_name("gpt-pretrain")
    assert experiment is not None
    ids = (experiment.experiment_id,)
    orphaned = load_orphans(client, ids, FIXED_NOW, OrphanPolicy())
    assert [o.run.info.run_id for o in orphaned] == [demo_store.summary.orphaned_run_id]
    assert orphaned[0].orphan.reason == "heartbeat stale 8h"
    assert count_runs(client, RunsQuery(ids)) == 3
    assert count_runs(client, RunsQuery(ids, "attributes.status = 'RUNNING'")) == 3
    page = load_judged_page(client, RunsQuery(ids), FIXED_NOW, OrphanPolicy())
    assert set(page.orphans) == {demo_store.summary.orphaned_run_id}
