"""tuitrack's SQL store on every database: MLflow's tags of a run's name and parent read
from and written to the runs' columns, and MLflow's Default experiment in a new store.
The filters' answers are compared with real MLflow's for the same runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.entities import RunTag, ViewType
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.tui.queries import load_experiments_page
from tuitrack_sql import schema
from tuitrack_sql.store import SqlTrackingStore

PARENT, NAME = "mlflow.parentRunId", "mlflow.runName"


def _stored_field_tags(store: TrackingStore) -> int:
    engine = store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        query = select(func.count()).where(schema.tags.c.key.in_([PARENT, NAME]))
        return int(connection.execute(query).scalar_one())


def test_name_and_parent_read_as_mlflow_tags(store: TrackingStore, experiment_id: str) -> None:
    parent = store.create_run(experiment_id, run_name="parent")
    child = store.create_run(
        experiment_id, run_name="child", parent_run_id=parent.info.run_id, tags={"k": "v"}
    )
    assert parent.data.tags == {NAME: "parent"}
    assert child.data.tags == {"k": "v", PARENT: parent.info.run_id, NAME: "child"}
    assert store.get_run(child.info.run_id) == child
    assert list(child.data.tags) == sorted(child.data.tags)
    store.update_run_info(child.info.run_id, run_name="renamed")
    assert store.get_run(child.info.run_id).data.tags[NAME] == "renamed"
    assert _stored_field_tags(store) == 0


def test_setting_the_tags_sets_the_columns(store: TrackingStore, experiment_id: str) -> None:
    first, second = (store.create_run(experiment_id).info.run_id for _ in range(2))
    child = store.create_run(experiment_id).info.run_id
    store.log_batch(
        child,
        tags=[
            RunTag(key=PARENT, value=first),
            RunTag(key=NAME, value="nested"),
            RunTag(key="x", value="1"),
        ],
    )
    run = store.get_run(child)
    assert (run.info.parent_run_id, run.info.run_name) == (first, "nested")
    assert run.data.tags == {"x": "1", PARENT: first, NAME: "nested"}
    store.set_tag(child, RunTag(key=PARENT, value=second))  # moved under another parent
    assert store.get_run(child).info.parent_run_id == second
    found = store.search_runs([experiment_id], f"parent_run_id = '{second}'")
    assert [r.info.run_id for r in found] == [child]
    assert _stored_field_tags(store) == 0


def test_an_unknown_parent_is_not_found_and_nothing_is_written(
    store: TrackingStore, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    unknown = "f" * 32
    with pytest.raises(NotFoundError, match=unknown):
        store.log_batch(
            run_id, tags=[RunTag(key="kept", value="no"), RunTag(key=PARENT, value=unknown)]
        )
    with pytest.raises(NotFoundError, match="not-a-run"):
        store.set_tag(run_id, RunTag(key=PARENT, value="not-a-run"))
    run = store.get_run(run_id)
    assert run.info.parent_run_id is None
    assert "kept" not in run.data.tags
    with pytest.raises(NotFoundError, match=unknown):
        store.create_run(experiment_id, tags={PARENT: unknown})


def test_a_run_cannot_be_its_own_ancestor(store: TrackingStore, experiment_id: str) -> None:
    top = store.create_run(experiment_id).info.run_id
    middle = store.create_run(experiment_id, parent_run_id=top).info.run_id
    bottom = store.create_run(experiment_id, parent_run_id=middle).info.run_id
    for parent in (top, bottom):
        with pytest.raises(InvalidValueError, match="cannot have run"):
            store.set_tag(top, RunTag(key=PARENT, value=parent))
    assert store.get_run(top).info.parent_run_id is None


def test_run_creation_takes_the_parent_tag(store: TrackingStore, experiment_id: str) -> None:
    parent = store.create_run(experiment_id).info.run_id
    other = store.create_run(experiment_id).info.run_id
    child = store.create_run(experiment_id, tags={PARENT: parent, NAME: "tagged"})
    assert (child.info.parent_run_id, child.info.run_name) == (parent, "tagged")
    with pytest.raises(InvalidValueError, match="differ"):
        store.create_run(experiment_id, parent_run_id=other, tags={PARENT: parent})


def test_a_run_name_tag_is_checked_as_a_run_name(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id, run_name="before").info.run_id
    with pytest.raises(InvalidValueError, match="run name"):
        store.set_tag(run_id, RunTag(key=NAME, value="n" * 251))
    assert store.get_run(run_id).info.run_name == "before"


def test_deleting_the_tags_empties_the_columns(store: TrackingStore, experiment_id: str) -> None:
    parent = store.create_run(experiment_id).info.run_id
    child = store.create_run(experiment_id, run_name="named", parent_run_id=parent).info.run_id
    store.delete_tag(child, PARENT)
    store.delete_tag(child, NAME)
    run = store.get_run(child)
    assert (run.info.parent_run_id, run.info.run_name, run.data.tags) == (None, None, {})
    with pytest.raises(NotFoundError, match=PARENT):
        store.delete_tag(child, PARENT)


# --- compared with real MLflow ------------------------------------------------------------

_FILTERS = [
    "tags.mlflow.parentRunId = '{parent}'",
    "tags.`mlflow.parentRunId` != '{other}'",
    "tags.mlflow.runName ILIKE 'CHILD-%'",
    "tags.mlflow.runName = 'child-b'",
    "tags.mlflow.runName LIKE 'child%'",
    "tags.\"mlflow.runName\" != 'top'",
]


def _log_family(client: object, experiment_id: str) -> dict[str, str]:
    """The same calls through MLflow's client or tuitrack's: a parent, two nested runs
    (one made nested by setting the tag by hand), and an unrelated run."""
    top = client.create_run(experiment_id, run_name="top").info.run_id  # type: ignore[attr-defined]
    other = client.create_run(experiment_id, run_name="other").info.run_id  # type: ignore[attr-defined]
    a = client.create_run(  # type: ignore[attr-defined]
        experiment_id, run_name="child-a", tags={PARENT: top}
    ).info.run_id
    b = client.create_run(experiment_id, run_name="child-b").info.run_id  # type: ignore[attr-defined]
    client.set_tag(b, PARENT, top)  # type: ignore[attr-defined]
    return {"top": top, "other": other, "child-a": a, "child-b": b}


def test_filters_on_the_tags_answer_as_mlflow_does(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    from tuitrack.sdk.client import TrackingClient

    answers = []
    mlflow_client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    ours = TrackingClient(
        f"sqlite:///{tmp_path / 'tuitrack.db'}", artifact_uri=str(tmp_path / "artifacts")
    )
    try:
        for client in (mlflow_client, ours):
            experiment_id = client.create_experiment("family")
            ids = _log_family(client, experiment_id)
            names = {run_id: name for name, run_id in ids.items()}
            answer: list[object] = []
            for template in _FILTERS:
                text = template.format(parent=ids["top"], other=ids["other"])
                runs = client.search_runs([experiment_id], text, max_results=100)
                answer.append(sorted(names[run.info.run_id] for run in runs))
            ordered = client.search_runs([experiment_id], order_by=["tags.mlflow.runName DESC"])
            answer.append([names[run.info.run_id] for run in ordered])
            child = client.get_run(ids["child-b"])
            answer.append(sorted((k, names.get(v, v)) for k, v in child.data.tags.items()))
            answers.append(answer)
    finally:
        ours.close()
    assert answers[0] == answers[1]


# --- the Default experiment ---------------------------------------------------------------


@pytest.fixture(params=DATABASE_KINDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlTrackingStore]:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with fresh_database(request.param, tmp_path) as uri:
        store = registry.get_tracking_store(uri, str(tmp_path / "artifacts"))
        assert isinstance(store, SqlTrackingStore)
        yield store
        store.close()


def test_a_new_store_has_the_default_experiment(
    new_store: SqlTrackingStore, tmp_path: Path
) -> None:
    default = new_store.get_experiment("0")
    assert (default.name, default.lifecycle_stage.value) == ("Default", "active")
    assert default.artifact_location == f"{tmp_path / 'artifacts'}/0"
    assert new_store.get_experiment(0) == default  # type: ignore[arg-type]
    assert new_store.get_experiment_by_name("Default") == default
    assert [e.experiment_id for e in new_store.search_experiments()] == ["0"]
    assert new_store.create_experiment("next") == "1"
    for experiment_id in ("0", 0):
        run = new_store.create_run(experiment_id)  # type: ignore[arg-type]
        assert run.info.experiment_id == "0"
        assert run.info.artifact_uri.startswith(f"{default.artifact_location}/")
    with pytest.raises(NotFoundError, match="whole numbers"):
        new_store.get_experiment("-1")


def test_listings_hide_the_default_experiment_while_it_has_no_runs(
    new_store: SqlTrackingStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tuitrack.cli.main import main
    from tuitrack.sdk.client import TrackingClient

    new_store.create_experiment("mine")
    uri = new_store.store_uri

    def listed(*options: str) -> list[str]:
        assert main(["--uri", uri, "experiments", "list", "--json", *options]) == 0
        return [e["name"] for e in json.loads(capsys.readouterr().out)]

    def shown() -> list[str]:
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            page = load_experiments_page(client, now=0)
        return [summary.experiment.name for summary in page.summaries]

    assert shown() == ["mine"]
    assert listed() == ["mine"]
    assert sorted(listed("--all")) == ["Default", "mine"]
    activity = new_store.search_experiment_activity(ViewType.ALL)
    assert sorted(a.experiment.name for a in activity) == ["Default", "mine"]
    new_store.create_run("0")
    assert sorted(shown()) == ["Default", "mine"]
    assert sorted(listed()) == ["Default", "mine"]
