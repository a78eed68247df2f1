"""The writes MLflow data accepts (tags, closing a dead run) on MLflow's schema on
PostgreSQL and MySQL / MariaDB: upserts of tags and the status update, as MLflow reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.mlflow.servers import SERVER_NAMES, server_fixture, server_skip_reason
from tuitrack.core import registry
from tuitrack.entities import RunStatus, RunTag
from tuitrack_mlflow.connect import database_url


@pytest.mark.parametrize("name", list(SERVER_NAMES))
def test_tags_and_marking_failed_on_a_server(name: str, tmp_path: Path) -> None:
    reason = server_skip_reason(name)
    if reason:
        pytest.skip(reason)
    with server_fixture(name, tmp_path / name) as fixture:
        store = registry.get_tracking_store(fixture.uri, "/unused")
        run_id = fixture.run("running")["run_id"]
        experiment_id = fixture.experiment("fixture")["experiment_id"]
        store.set_tag(run_id, RunTag(key="team", value="Orbit"))  # replaces 'vision'
        store.set_tag(run_id, RunTag(key="tuitrack.orphan_reason", value="no activity ✓"))
        store.set_experiment_tag(experiment_id, "team", "vision-2")  # replaces 'vision'
        info = store.update_run_info(run_id, status=RunStatus.FAILED, end_time=1_700_000_008_500)
        assert (info.status, info.end_time) == (RunStatus.FAILED, 1_700_000_008_500)
        store.close()

        reopened = registry.get_tracking_store(fixture.uri, "/unused")
        run = reopened.get_run(run_id)
        assert run.data.tags["team"] == "Orbit"
        assert run.data.tags["tuitrack.orphan_reason"] == "no activity ✓"
        assert reopened.get_experiment(experiment_id).tags["team"] == "vision-2"
        found = reopened.search_runs([experiment_id], "tags.team = 'Orbit'")
        assert [r.info.run_id for r in found] == [run_id]
        assert not reopened.search_runs([experiment_id], "tags.team = 'orbit'")
        reopened.close()

        engine = create_engine(database_url(fixture.uri))
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT status, end_time FROM runs WHERE run_uuid = :id"), {"id": run_id}
            ).one()
            count = connection.execute(
                text("SELECT COUNT(*) FROM tags WHERE run_uuid = :id AND tags.key = 'team'"),
                {"id": run_id},
            ).scalar()
        engine.dispose()
        assert tuple(row) == ("FAILED", 1_700_000_008_500)
        assert count == 1
