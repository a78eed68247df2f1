"""MLflow's schema on PostgreSQL and MySQL / MariaDB without MLflow: a fresh database gets
the DDL MLflow created there (tests/mlflow_fixtures/mlflow<major>_ddl, see generate.py ddl)
and the rows of the mlflow<major>_sqlite fixture, so the read tests run on each server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, MetaData, create_engine, select, text

from tests.databases import fresh_database, skip_reason
from tests.mlflow.fixtures import FIXTURES, MlflowFixture, copy_fixture

# Fixture name -> (the MLflow major version, the server kind of tests/databases.py).
SERVER_NAMES = {
    f"mlflow{major}_{kind}": (major, kind) for major in (3, 2) for kind in ("postgresql", "mysql")
}


def server_skip_reason(name: str) -> str | None:
    return skip_reason(SERVER_NAMES[name][1])


def _statements(major: int, kind: str) -> list[str]:
    """The dump's statements. PostgreSQL's may have functions whose bodies hold semicolons,
    so it runs as one script; MySQL's is plain CREATE TABLEs, one per `;` line end."""
    script = (FIXTURES / f"mlflow{major}_ddl" / f"{kind}.sql").read_text(encoding="utf-8")
    if kind == "postgresql":
        return [script]
    return [part for part in script.split(";\n") if part.strip()]


def _create_schema(uri: str, major: int, kind: str) -> None:
    engine = create_engine(uri)
    # A connection of its own, closed after: the dump's SETs (search_path '') change it.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if kind == "mysql":  # tables come in name order, before the ones they refer to
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        for statement in _statements(major, kind):
            cursor.execute(statement)
        cursor.close()
        connection.commit()
    finally:
        connection.invalidate()
        engine.dispose()


def _copy_rows(source: Connection, target: Connection) -> None:
    """Every row of the SQLite database into the server's tables of the same names."""
    server = MetaData()
    server.reflect(target)
    sqlite = MetaData()
    sqlite.reflect(source)
    for table in server.sorted_tables:
        origin = sqlite.tables.get(table.name)
        if origin is None:
            continue
        rows = [dict(row) for row in source.execute(select(origin)).mappings()]
        if rows:
            target.execute(table.insert(), rows)


@contextmanager
def server_fixture(name: str, destination: Path) -> Iterator[MlflowFixture]:
    """The mlflow<major>_sqlite fixture on a fresh database of the server of `name`."""
    major, kind = SERVER_NAMES[name]
    fixture = copy_fixture(f"mlflow{major}_sqlite", destination)
    with fresh_database(kind, destination) as uri:
        _create_schema(uri, major, kind)
        source_engine = create_engine(f"sqlite:///{fixture.uri}")
        target_engine = create_engine(uri)
        try:
            with source_engine.connect() as source, target_engine.begin() as target:
                if kind == "mysql":
                    target.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
                    # Keep MLflow's Default experiment at id 0 (not the next auto id).
                    target.execute(
                        text("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
                    )
                _copy_rows(source, target)
        finally:
            source_engine.dispose()
            target_engine.dispose()
        # As a user names it: mlflow+postgresql://..., mlflow+mysql://... (default drivers).
        scheme, rest = uri.split("://", 1)
        mlflow_uri = f"mlflow+{scheme.split('+')[0]}://{rest}"
        yield MlflowFixture(name, fixture.root, mlflow_uri, fixture.answers, fixture.histories)
