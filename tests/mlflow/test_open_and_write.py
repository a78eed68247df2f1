"""Opening MLflow data by URI or plain path, refusing what cannot be read, and tags and
closing runs written in MLflow's format (every other write: test_sql_writes.py and
test_mlruns_writes.py)."""

from __future__ import annotations

import sqlite3
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import yaml

from tests.mlflow.fixtures import NAMES, MlflowFixture, copy_fixture
from tuitrack.core import registry
from tuitrack.entities import Metric, Param, RunStatus, RunTag
from tuitrack.errors import (
    InvalidValueError,
    NotFoundError,
    ReadOnlyError,
    StoreLocationError,
    StoreUnavailableError,
)
from tuitrack.sdk.client import TrackingClient
from tuitrack_mlflow.connect import database_url
from tuitrack_mlflow.mlruns_store import MlrunsStore
from tuitrack_mlflow.schema_versions import SUPPORTED_REVISIONS
from tuitrack_mlflow.sql_store import MlflowSqlStore
from tuitrack_sql.store import SqlTrackingStore


@pytest.fixture
def sqlite_fixture(tmp_path: Path) -> MlflowFixture:
    return copy_fixture("mlflow3_sqlite", tmp_path / "m")


def test_every_way_to_name_an_mlflow_database_opens_it(sqlite_fixture: MlflowFixture) -> None:
    path = sqlite_fixture.uri
    for uri in (path, f"sqlite:///{path}", f"mlflow+sqlite:///{path}"):
        assert registry.tracking_store_class(uri) is MlflowSqlStore
        store = registry.get_tracking_store(uri, "/unused")
        assert store.get_experiment_by_name("fixture") is not None
        store.close()


@pytest.mark.parametrize(
    ("uri", "database"),
    [
        ("mlflow+postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mlflow+postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mlflow+mysql://u@h/db", "mysql+pymysql://u@h/db"),
        ("mlflow+mysql+pymysql://u@h/db", "mysql+pymysql://u@h/db"),
        ("mlflow+mariadb://u@h/db", "mariadb+pymysql://u@h/db"),
        ("mlflow+mariadb+pymysql://u@h/db", "mariadb+pymysql://u@h/db"),
    ],
)
def test_server_uris_name_the_mlflow_backend_with_or_without_the_driver(
    uri: str, database: str
) -> None:
    assert registry.tracking_store_class(uri) is MlflowSqlStore
    assert database_url(uri) == database


def test_tuitrack_databases_are_not_mistaken_for_mlflow(tmp_path: Path) -> None:
    own = tmp_path / "tuitrack.db"
    registry.get_tracking_store(str(own), str(tmp_path / "a")).close()  # creates it
    assert registry.tracking_store_class(str(own)) is SqlTrackingStore
    missing = tmp_path / "new.db"
    assert registry.tracking_store_class(str(missing)) is SqlTrackingStore
    not_a_database = tmp_path / "junk.db"
    not_a_database.write_text("hello")
    assert registry.resolve_tracking_uri(str(not_a_database)).startswith("sqlite:///")


def test_plain_path_and_mlruns_uri_open_the_file_store(tmp_path: Path) -> None:
    fixture = copy_fixture("mlflow2_mlruns", tmp_path / "f")
    for uri in (fixture.uri, f"mlruns://{fixture.uri}", f"file://{fixture.uri}"):
        assert registry.tracking_store_class(uri) is MlrunsStore
        assert registry.get_tracking_store(uri, "/unused").get_experiment_by_name("fixture")


def test_a_folder_that_is_not_mlruns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not MLflow's")
    for create in (True, False):  # a folder with other content is never made an mlruns one
        with pytest.raises(StoreLocationError, match="not an MLflow file store"):
            registry.get_tracking_store(str(tmp_path), "/unused", create=create)
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        registry.get_tracking_store(str(tmp_path / "nope"), "/unused", create=False)
    assert not (tmp_path / "nope").exists()
    with pytest.raises(StoreUnavailableError, match="no MLflow database file"):
        registry.get_tracking_store(f"mlflow+sqlite:///{tmp_path}/nope.db", "/unused")


def test_unsupported_schema_revision_is_refused_naming_the_supported_ones(
    sqlite_fixture: MlflowFixture,
) -> None:
    connection = sqlite3.connect(sqlite_fixture.uri)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed1234'")
    connection.close()
    with pytest.raises(StoreUnavailableError) as caught:
        registry.get_tracking_store(sqlite_fixture.uri, "/unused")
    message = str(caught.value)
    assert "'f00dfeed1234'" in message
    assert SUPPORTED_REVISIONS[0] in message
    assert SUPPORTED_REVISIONS[-1] in message
    assert "mlflow db upgrade" in message


def test_opening_does_not_change_the_database(sqlite_fixture: MlflowFixture) -> None:
    before = Path(sqlite_fixture.uri).read_bytes()
    with TrackingClient(sqlite_fixture.uri) as client:
        client.search_runs(["1"], "metrics.loss < 1", order_by=["metrics.loss"])
    assert Path(sqlite_fixture.uri).read_bytes() == before
    assert not Path(sqlite_fixture.uri + "-wal").exists()


def test_writes_to_deleted_runs_and_bad_keys_are_refused_in_mlruns(tmp_path: Path) -> None:
    fixture = copy_fixture("mlflow2_mlruns", tmp_path / "mlruns")
    store = registry.get_tracking_store(fixture.uri, "/unused")
    run_id = fixture.run("running")["run_id"]
    deleted = fixture.run("deleted")["run_id"]
    with pytest.raises(ReadOnlyError, match="deleted"):
        store.set_tag(deleted, RunTag(key="k", value="v"))
    with pytest.raises(ReadOnlyError, match="deleted"):
        store.log_batch(deleted, metrics=[Metric(key="m", value=1.0, timestamp=1)])
    with pytest.raises(NotFoundError):
        store.set_tag("0" * 32, RunTag(key="k", value="v"))
    with pytest.raises(InvalidValueError):
        store.set_tag(run_id, RunTag(key="../escape", value="v"))
    with pytest.raises(InvalidValueError, match=r"'loss/x'.*'loss'"):
        store.log_batch(run_id, metrics=[Metric(key="loss/x", value=1.0, timestamp=1)])
    with pytest.raises(InvalidValueError, match="cannot both be stored"):
        store.log_batch(run_id, params=[Param(key="a", value="1"), Param(key="a/b", value="2")])
    assert "a" not in store.get_run(run_id).data.params


@pytest.mark.parametrize("name", NAMES)
def test_tags_and_marking_failed_are_written_as_mlflow_writes_them(
    name: str, tmp_path: Path
) -> None:
    fixture = copy_fixture(name, tmp_path / name)
    store = registry.get_tracking_store(fixture.uri, "/unused")
    run_id = fixture.run("running")["run_id"]
    experiment_id = fixture.experiment("fixture")["experiment_id"]
    store.set_tag(run_id, RunTag(key="tuitrack.orphan_reason", value="no activity for 2y"))
    store.set_tag(run_id, RunTag(key="nested/key", value="v"))
    store.set_experiment_tag(experiment_id, "reviewed", "yes")
    info = store.update_run_info(run_id, status=RunStatus.FAILED, end_time=1_700_000_008_500)
    assert (info.status, info.end_time) == (RunStatus.FAILED, 1_700_000_008_500)

    reopened = registry.get_tracking_store(fixture.uri, "/unused")
    run = reopened.get_run(run_id)
    assert run.data.tags["tuitrack.orphan_reason"] == "no activity for 2y"
    assert run.data.tags["nested/key"] == "v"
    assert run.info.status == RunStatus.FAILED
    assert reopened.get_experiment(experiment_id).tags["reviewed"] == "yes"
    assert reopened.search_runs([experiment_id], "attributes.status = 'FAILED'")
    if fixture.is_sqlite:
        connection = sqlite3.connect(fixture.uri)
        row = connection.execute(
            "SELECT status, end_time FROM runs WHERE run_uuid = ?", (run_id,)
        ).fetchone()
        tag = connection.execute(
            "SELECT value FROM tags WHERE run_uuid = ? AND key = 'nested/key'", (run_id,)
        ).fetchone()
        connection.close()
        assert row == ("FAILED", 1_700_000_008_500)
        assert tag == ("v",)
    else:
        run_dir = next(Path(fixture.uri).glob(f"*/{run_id}"))
        meta = yaml.safe_load((run_dir / "meta.yaml").read_text())
        assert (meta["status"], meta["end_time"]) == (4, 1_700_000_008_500)  # MLflow's FAILED
        assert (run_dir / "tags" / "nested" / "key").read_text() == "v"
        killed = fixture.run("trial-0")["run_id"]
        store.update_run_info(killed, status=RunStatus.KILLED, end_time=5)
        killed_dir = next(Path(fixture.uri).glob(f"*/{killed}"))
        assert yaml.safe_load((killed_dir / "meta.yaml").read_text())["status"] == 5


def test_db_upgrade_is_not_offered_for_mlflow_databases(sqlite_fixture: MlflowFixture) -> None:
    # `tuitrack db upgrade` looks for `<backend package>.migrate`; MLflow's schema is MLflow's.
    package = registry.tracking_store_class(sqlite_fixture.uri).__module__.split(".")[0]
    assert package == "tuitrack_mlflow"
    with pytest.raises(ImportError):
        __import__(f"{package}.migrate")


def test_fixtures_stay_small() -> None:
    root = Path(__file__).resolve().parent.parent / "mlflow_fixtures"
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.suffix != ".py")
    assert total < 1_000_000


def test_a_broken_detector_warns_and_the_store_still_opens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = registry._entry_points

    def with_broken(group: str) -> list[EntryPoint]:
        extra = []
        if group == registry.DETECTOR_GROUP:
            extra = [EntryPoint(name="bad", value="tuitrack_no_such_module:detect", group=group)]
        return extra + real(group)

    monkeypatch.setattr(registry, "_entry_points", with_broken)
    fixture = copy_fixture("mlflow3_sqlite", tmp_path / "m")
    assert registry.tracking_store_class(fixture.uri) is MlflowSqlStore
    assert "tuitrack_no_such_module" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_orphaned_mlflow_run_is_found_by_last_activity_and_marked_failed(
    name: str, tmp_path: Path
) -> None:
    fixture = copy_fixture(name, tmp_path / name)
    store = registry.get_tracking_store(fixture.uri, "/unused")
    running = fixture.run("running")
    experiment_id = fixture.experiment("fixture")["experiment_id"]
    last_point = fixture.histories[running["run_id"]]["loss"][-1][1]
    assert store.last_activity_times([running["run_id"]]) == {running["run_id"]: last_point}
    orphans = store.find_orphans([experiment_id])
    assert [o.run_id for o in orphans] == [running["run_id"]]
    result = store.mark_failed([running["run_id"]])
    assert [o.run_id for o in result.marked] == [running["run_id"]]
    run = registry.get_tracking_store(fixture.uri, "/unused").get_run(running["run_id"])
    assert run.info.status == RunStatus.FAILED
    assert run.info.end_time == orphans[0].last_sign_of_life
    assert "tuitrack.orphan_reason" in run.data.tags
