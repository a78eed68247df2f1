"""The alembic migrations and the table definitions must describe the same schema."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tuitrack_sql import migrate
from tuitrack_sql.engine import make_engine


def test_head_revision_constant_matches_the_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", migrate.MIGRATIONS_DIR)
    assert ScriptDirectory.from_config(config).get_current_head() == migrate.HEAD_REVISION


def test_upgrade_reports_before_and_after(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'u.db'}"
    assert migrate.upgrade(uri) == (None, migrate.HEAD_REVISION)
    assert migrate.upgrade(uri) == (migrate.HEAD_REVISION, migrate.HEAD_REVISION)


def _open(uri: str) -> None:
    engine = make_engine(uri)
    migrate.ensure_schema(engine)
    engine.dispose()


def test_many_processes_opening_a_new_database_at_once(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'race.db'}"
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_open, args=(uri,)) for _ in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * 6
    engine = make_engine(uri)
    assert set(inspect(engine).get_table_names()) >= {"runs", "metrics", "alembic_version"}
    engine.dispose()


def test_an_old_database_is_upgraded_on_open_and_keeps_its_runs(tmp_path: Path) -> None:
    from alembic import command

    from tuitrack.client import TrackingClient

    uri = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(uri)
    with engine.connect() as connection:
        config = Config()
        config.set_main_option("script_location", migrate.MIGRATIONS_DIR)
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.commit()
        assert migrate.current_revision(connection) == "0001"
        connection.exec_driver_sql(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage) "
            "VALUES ('legacy', '/tmp/a', 'active')"
        )
        connection.exec_driver_sql(
            "INSERT INTO runs (run_uuid, experiment_id, status, start_time, artifact_uri, "
            "lifecycle_stage) VALUES ('" + "a" * 32 + "', 1, 'FINISHED', 5, '/tmp/a', 'active')"
        )
        connection.exec_driver_sql(
            "INSERT INTO tags (run_uuid, key, value) VALUES ('" + "a" * 32 + "', 'team', 'cv')"
        )
        connection.commit()
    engine.dispose()

    with TrackingClient(uri, str(tmp_path / "artifacts")) as client:
        runs = client.search_runs(["1"], filter_string="tags.team = 'cv'")
        assert [run.info.run_id for run in runs] == ["a" * 32]
    engine = make_engine(uri)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
        indexes = {index["name"] for index in inspect(connection).get_indexes("tags")}
        assert "ix_tags_key_value_run_uuid" in indexes
    engine.dispose()
