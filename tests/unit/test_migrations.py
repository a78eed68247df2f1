"""The alembic migrations and the table definitions must describe the same schema."""

from __future__ import annotations

import math
import multiprocessing
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, inspect, select, table, text

from tests.databases import DATABASE_KINDS, fresh_database, skip_reason
from tuitrack_sql import migrate
from tuitrack_sql.engine import make_engine


def test_head_revision_constant_matches_the_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", migrate.MIGRATIONS_DIR)
    assert ScriptDirectory.from_config(config).get_current_head() == migrate.HEAD_REVISION


def test_upgrade_reports_before_and_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"sqlite:///{tmp_path / 'u.db'}"
    assert migrate.upgrade(uri) == (None, migrate.HEAD_REVISION)
    assert migrate.upgrade(uri) == (migrate.HEAD_REVISION, migrate.HEAD_REVISION)
    assert capsys.readouterr().err == ""  # a new store is created silently


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


def test_an_old_database_is_upgraded_on_open_and_keeps_its_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic import command

    from tuitrack.sdk.client import TrackingClient

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

    with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
        said = capsys.readouterr().err
        assert f"from revision 0001 to {migrate.HEAD_REVISION}" in said
        runs = client.search_runs(["1"], filter_string="tags.team = 'cv'")
        assert [run.info.run_id for run in runs] == ["a" * 32]
    engine = make_engine(uri)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
        indexes = {index["name"] for index in inspect(connection).get_indexes("tags")}
        assert "ix_tags_key_value_run_uuid" in indexes
    engine.dispose()


# The metrics table as revisions 0001 to 0003 made it: points named their run and key.
_METRICS_BEFORE_0004 = table(
    "metrics",
    *(column(name) for name in ("run_uuid", "key", "step", "timestamp", "value", "kind")),
)


def _points_logged_before_0003() -> list[tuple[int, float, int]]:
    """(step, value, timestamp): several blocks, negative and extreme steps, NaN, +-inf,
    +-DBL_MAX, -0.0, repeated steps and identical points, logged out of order."""
    points = [(step, 10.0 / (1 + step % 97), step) for step in range(1_000)]
    points[7] = (7, math.nan, 7)
    points[300] = (300, math.inf, 300)
    points[301] = (301, -math.inf, 301)
    points[302] = (302, sys.float_info.max, 302)
    points[303] = (303, -sys.float_info.max, 303)
    points[600] = (600, -0.0, 600)
    points += [(5, -3.0, 1), (5, -3.0, 1), (2, -3.0, 9), (999, 1.0, 999), (999, 0.5, 999)]
    points += [(-1, 1.0, 0), (-256, 2.0, 0), (-257, math.nan, 0)]
    points += [(-(2**63), 3.0, 0), (2**63 - 1, math.nan, 0), (2**63 - 1, 4.0, 0)]
    points += [(400, math.nan, 0), (400, math.nan, 0), (512, math.inf, 0), (513, math.inf, 0)]
    return points[::-1]


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_0003_backfills_the_block_summaries(kind: str, tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import insert

    from tests.contract.block_reference import check_blocks, id_itself
    from tests.contract.history_reference import as_points, reference_downsample
    from tuitrack.entities import Metric
    from tuitrack.sdk.client import TrackingClient
    from tuitrack_sql import schema
    from tuitrack_sql.floats import encode

    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    run_ids = ["a" * 32, "b" * 32]
    with fresh_database(kind, tmp_path) as uri:
        engine = make_engine(uri)
        with engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", migrate.MIGRATIONS_DIR)
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            connection.commit()
            connection.execute(
                insert(schema.experiments).values(
                    name="legacy", artifact_location="/tmp/a", lifecycle_stage="active"
                )
            )
            experiment_id = connection.execute(select(schema.experiments.c.experiment_id))
            experiment = experiment_id.scalar_one()
            for run_id in run_ids:
                connection.execute(
                    insert(schema.runs).values(
                        run_uuid=run_id,
                        experiment_id=experiment,
                        status="FINISHED",
                        artifact_uri="/tmp/a",
                        lifecycle_stage="active",
                    )
                )
            rows = [
                {"run_uuid": run_id, "key": key, "step": step, "timestamp": timestamp}
                | dict(zip(("value", "kind"), encode(value), strict=True))
                for run_id in run_ids
                for key in ("loss", "acc")
                for step, value, timestamp in _points_logged_before_0003()
            ]
            connection.execute(insert(_METRICS_BEFORE_0004), rows)
            connection.commit()
        migrate.ensure_schema(engine)
        assert check_blocks(engine, id_itself) == 2 * 2 * 8  # blocks 0..3, -1, -2 and the extremes

        # Later batches merge into the backfilled blocks.
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            client.log_batch(
                run_ids[0],
                metrics=[
                    Metric(key="loss", value=v, step=s, timestamp=t)
                    for s, v, t in [(5, -3.0, 1), (1, -9.0, 0), (999, 0.5, 999), (3, math.nan, 0)]
                ],
            )
            whole = client.get_metric_history(run_ids[0], "loss")
            for max_points in (5, 20, 100):
                sampled = client.get_metric_history(run_ids[0], "loss", max_points=max_points)
                assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
        check_blocks(engine, None)
        engine.dispose()


def _points_by_id(engine: Engine, revision: str) -> list[tuple[object, ...]]:
    """Every stored point as (id, run, key, step, timestamp, value, kind), by id."""
    key = engine.dialect.identifier_preparer.quote("key")
    if revision < "0004":
        sql = f"SELECT id, run_uuid, {key}, step, timestamp, value, kind FROM metrics"
    else:
        sql = (
            f"SELECT m.id, s.run_uuid, s.{key}, m.step, m.timestamp, m.value, m.kind "
            "FROM metrics m JOIN metric_series s ON s.series_id = m.series_id"
        )
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(text(sql + " ORDER BY id")))


def _migrate(engine: Engine, revision: str, downgrade: bool = False) -> None:
    from alembic import command

    with engine.connect() as connection:
        config = Config()
        config.set_main_option("script_location", migrate.MIGRATIONS_DIR)
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)
        connection.commit()


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_0004_moves_points_to_series_ids_and_back_keeping_every_point(
    kind: str, tmp_path: Path
) -> None:
    from tuitrack.entities import Metric
    from tuitrack.sdk.client import TrackingClient

    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    points = [(step, value, timestamp) for step, value, timestamp in _points_logged_before_0003()]
    with fresh_database(kind, tmp_path) as uri:
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            experiment = client.create_experiment("series")
            run_ids = [client.create_run(experiment).info.run_id for _ in range(2)]
            for run_id in run_ids:
                for key in ("loss", "acc"):
                    client.log_batch(
                        run_id,
                        metrics=[
                            Metric(key=key, value=v, step=s, timestamp=t) for s, v, t in points
                        ],
                    )
            before = {run_id: client.get_metric_history(run_id, "loss") for run_id in run_ids}
        engine = make_engine(uri)
        stored = _points_by_id(engine, migrate.HEAD_REVISION)
        assert len(stored) == 2 * 2 * len(points)

        _migrate(engine, "0003", downgrade=True)
        assert _points_by_id(engine, "0003") == stored
        _migrate(engine, migrate.HEAD_REVISION)
        assert _points_by_id(engine, migrate.HEAD_REVISION) == stored
        engine.dispose()

        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            for run_id in run_ids:
                assert client.get_metric_history(run_id, "loss") == before[run_id]
            # New points get ids after the copied ones (PostgreSQL's sequence restarted).
            client.log_batch(
                run_ids[0], metrics=[Metric(key="loss", value=1.0, step=5, timestamp=2)]
            )
            after = client.get_metric_history(run_ids[0], "loss")
            assert len(after) == len(before[run_ids[0]]) + 1
        engine = make_engine(uri)
        assert _points_by_id(engine, migrate.HEAD_REVISION)[:-1] == stored
        assert _points_by_id(engine, migrate.HEAD_REVISION)[-1][0] > stored[-1][0]  # type: ignore[operator]
        engine.dispose()


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_0005_packs_every_series_into_chunks(kind: str, tmp_path: Path) -> None:
    from sqlalchemy import func

    from tests.contract.history_reference import as_points
    from tuitrack.entities import Metric
    from tuitrack.sdk.client import TrackingClient
    from tuitrack_sql import schema
    from tuitrack_sql.packed import CHUNK_POINTS

    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    long = [(step, 1.0 / (1 + step), step) for step in range(2 * CHUNK_POINTS + 10)]
    batches = [long, _points_logged_before_0003(), long[:50]]  # the last ties with the first
    ranges = [(None, None), (0, 10), (CHUNK_POINTS - 2, CHUNK_POINTS + 2), (-300, 5)]
    with fresh_database(kind, tmp_path) as uri:
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            experiment = client.create_experiment("chunks")
            run_ids = [client.create_run(experiment).info.run_id for _ in range(2)]
            for run_id in run_ids:
                for batch in batches:
                    client.log_batch(
                        run_id,
                        metrics=[
                            Metric(key=key, value=v, step=s, timestamp=t)
                            for s, v, t in batch
                            for key in ("loss", "acc")
                        ],
                    )
            before = [
                client.get_metric_history(run_id, key, start_step=lo, end_step=hi)
                for run_id in run_ids
                for key in ("loss", "acc")
                for lo, hi in ranges
            ]
        engine = make_engine(uri)
        _migrate(engine, "0004", downgrade=True)
        _migrate(engine, migrate.HEAD_REVISION)
        with engine.connect() as connection:
            packed = connection.execute(select(func.sum(schema.metric_chunks.c.points))).scalar()
            chunks = connection.execute(select(func.count()).select_from(schema.metric_chunks))
            per_series = sum(map(len, batches))
            assert chunks.scalar() == 2 * 2 * -(-per_series // CHUNK_POINTS)
        assert packed == len(_points_by_id(engine, migrate.HEAD_REVISION))
        engine.dispose()
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            after = [
                client.get_metric_history(run_id, key, start_step=lo, end_step=hi)
                for run_id in run_ids
                for key in ("loss", "acc")
                for lo, hi in ranges
            ]
        assert [as_points(history) for history in after] == [as_points(h) for h in before]
        assert all(after)


class _Interrupted(Exception):
    """Stands for a process killed before it sent a statement."""


@pytest.mark.parametrize(
    "interrupted_at",
    [
        ("DROP", "TABLE", "metrics"),  # 0004: the points are in the copy only
        ("CREATE", "INDEX", "ix_metrics_series_id_step"),  # new table, points not back yet
    ],
)
def test_an_upgrade_cut_short_on_mysql_is_completed_keeping_every_point(
    interrupted_at: tuple[str, ...], tmp_path: Path
) -> None:
    """MySQL/MariaDB commit each DDL statement: an upgrade that stops midway leaves what it
    did, and the next open completes it from there."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import event

    from tuitrack.entities import Metric
    from tuitrack.sdk.client import TrackingClient
    from tuitrack_sql import schema

    reason = skip_reason("mysql")
    if reason:
        pytest.skip(reason)
    with fresh_database("mysql", tmp_path) as uri:
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            run_id = client.create_run(client.create_experiment("cut")).info.run_id
            client.log_batch(
                run_id,
                metrics=[
                    Metric(key=key, value=v, step=s, timestamp=t)
                    for s, v, t in _points_logged_before_0003()[-300:]
                    for key in ("loss", "acc")
                ],
            )
            before = client.get_metric_history(run_id, "loss")
        engine = make_engine(uri)
        stored = _points_by_id(engine, migrate.HEAD_REVISION)
        _migrate(engine, "0003", downgrade=True)

        def cut_short(*args: object) -> None:
            statement = str(args[2])
            if tuple(statement.split()[:3]) == interrupted_at:
                raise _Interrupted(statement)

        event.listen(engine, "before_cursor_execute", cut_short)
        with pytest.raises(_Interrupted):
            migrate.ensure_schema(engine)
        event.remove(engine, "before_cursor_execute", cut_short)
        migrate.ensure_schema(engine)
        assert _points_by_id(engine, migrate.HEAD_REVISION) == stored
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, schema.metadata) == []
        engine.dispose()
        with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
            assert client.get_metric_history(run_id, "loss") == before


def _insert_rows(engine: Engine, rows: dict[str, list[dict[str, object]]]) -> None:
    from sqlalchemy import insert

    from tuitrack_sql import schema

    with engine.begin() as connection:
        for name, values in rows.items():
            for row in values:
                connection.execute(insert(schema.metadata.tables[name]).values(**row))


_PARENT, _CHILD, _LONE = "a" * 32, "b" * 32, "c" * 32


def _tag(run_id: str, key: str, value: str) -> dict[str, object]:
    return {"run_uuid": run_id, "key": key, "value": value}


def _fill_before_0007(engine: Engine, default_taken: bool) -> int:
    """Experiment 'legacy' (its id returned), maybe one named 'Default', and three runs
    with the tags tuitrack wrote before 0007 and hand-set name and parent tags."""
    from tuitrack_sql import schema

    experiment = {"artifact_location": "/tmp/a", "lifecycle_stage": "active"}
    names = ["legacy", "Default"] if default_taken else ["legacy"]
    _insert_rows(engine, {"experiments": [{**experiment, "name": name} for name in names]})
    with engine.connect() as connection:
        legacy = connection.execute(
            select(schema.experiments.c.experiment_id).where(schema.experiments.c.name == "legacy")
        ).scalar_one()
    run = {"status": "FINISHED", "artifact_uri": "/tmp/a", "lifecycle_stage": "active"}
    _insert_rows(
        engine,
        {
            "runs": [
                {**run, "run_uuid": _PARENT, "experiment_id": legacy, "name": None},
                {**run, "run_uuid": _CHILD, "experiment_id": legacy, "name": "kept"},
                {**run, "run_uuid": _LONE, "experiment_id": legacy, "name": "lone"},
            ],
            "tags": [
                _tag(_PARENT, "tuitrack.user", "ana"),
                _tag(_PARENT, "tuitrack.source.name", "train.py"),
                _tag(_PARENT, "tuitrack.git.commit", "abc123"),
                _tag(_PARENT, "tuitrack.git.branch", "main"),
                _tag(_PARENT, "tuitrack.description", "first try"),
                _tag(_PARENT, "mlflow.runName", "from-tag"),
                _tag(_CHILD, "tuitrack.user", "ben"),
                _tag(_CHILD, "mlflow.user", "bob"),
                _tag(_CHILD, "mlflow.runName", "stale"),
                _tag(_CHILD, "mlflow.parentRunId", _PARENT),
                _tag(_LONE, "mlflow.parentRunId", "f" * 32),
            ],
        },
    )
    return int(legacy)


def _experiment_ids(engine: Engine) -> list[int]:
    from tuitrack_sql import schema

    with engine.connect() as connection:
        return list(connection.execute(select(schema.experiments.c.experiment_id)).scalars())


@pytest.mark.parametrize("kind", DATABASE_KINDS)
@pytest.mark.parametrize("default_taken", [False, True], ids=["new", "named-default-exists"])
def test_0007_adds_the_default_experiment_and_mlflow_tag_names(
    kind: str, default_taken: bool, tmp_path: Path
) -> None:
    from tuitrack.core import registry
    from tuitrack_sql import schema

    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    with fresh_database(kind, tmp_path) as uri:
        engine = make_engine(uri)
        _migrate(engine, "0006")
        legacy = _fill_before_0007(engine, default_taken)
        _migrate(engine, "0007")
        with engine.connect() as connection:
            default = connection.execute(
                select(schema.experiments).where(schema.experiments.c.experiment_id == 0)
            ).one()
            stored_keys = connection.execute(
                select(schema.tags.c.key).where(schema.tags.c.key.like("mlflow.%Run%"))
            ).all()
        assert default.name == ("Default (id 0)" if default_taken else "Default")
        assert (default.lifecycle_stage, default.artifact_location) == ("active", "")
        assert stored_keys == []  # the name and parent tags live in the columns only
        engine.dispose()

        artifacts = str(tmp_path / "artifacts")
        store = registry.get_tracking_store(uri, artifacts)
        try:
            assert store.get_experiment("0").artifact_location == f"{artifacts}/0"
            assert store.get_experiment(0).name == default.name  # type: ignore[arg-type]
            assert store.get_run(_PARENT).data.tags == {
                "mlflow.note.content": "first try",
                "mlflow.runName": "from-tag",
                "mlflow.source.git.commit": "abc123",
                "mlflow.source.git.branch": "main",
                "mlflow.source.name": "train.py",
                "mlflow.user": "ana",
            }
            assert store.get_run(_CHILD).data.tags == {
                "mlflow.parentRunId": _PARENT,
                "mlflow.runName": "kept",
                "mlflow.user": "bob",
                "tuitrack.user": "ben",
            }
            assert store.get_run(_LONE).data.tags == {"mlflow.runName": "lone"}
            assert store.get_run(_LONE).info.parent_run_id is None
            found = store.search_runs([str(legacy)], f"tags.mlflow.parentRunId = '{_PARENT}'")
            assert [r.info.run_id for r in found] == [_CHILD]
            assert int(store.create_experiment("after")) > legacy  # ids go on, not from 0
            in_default = store.create_run("0")
            assert in_default.info.artifact_uri.startswith(f"{artifacts}/0/")
        finally:
            store.close()

        # Downgrading keeps experiment 0 while it holds runs, and removes it once empty.
        engine = make_engine(uri)
        _migrate(engine, "0006", downgrade=True)
        assert 0 in _experiment_ids(engine)
        with engine.begin() as connection:
            connection.execute(schema.runs.delete().where(schema.runs.c.experiment_id == 0))
        _migrate(engine, "0007")
        _migrate(engine, "0006", downgrade=True)
        assert 0 not in _experiment_ids(engine)
        _migrate(engine, "0007")
        assert 0 in _experiment_ids(engine)
        engine.dispose()
