"""MLflow's names: the Default experiment (id 0), MLflow's system tags

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

- Experiment 0 is created, named "Default" as MLflow names it; where an experiment named
  "Default" exists already, experiment 0 is named "Default (id 0)" instead. Its artifact
  location is left empty here (a migration does not know the store's artifact root): the
  store sets it, as for any experiment, to "<default artifact root>/0" when it is next
  opened for writing.
- Tags that tuitrack wrote before under its own names are renamed to MLflow's, on each run
  that has no tag under the MLflow name yet (where it has one, both are kept as they are):
  tuitrack.user -> mlflow.user, tuitrack.source.name -> mlflow.source.name,
  tuitrack.git.commit -> mlflow.source.git.commit, tuitrack.git.branch ->
  mlflow.source.git.branch, tuitrack.description -> mlflow.note.content.
- A run's name and parent are kept in its columns only; reading makes its mlflow.runName
  and mlflow.parentRunId tags from them. Stored tags of those keys are moved there: a
  mlflow.runName tag names a run that has no name yet (the name column wins otherwise; a
  value over the column's 250 characters is dropped), a mlflow.parentRunId tag becomes the
  parent of a run that has none if it names another run of this store (one that names no
  run is dropped: nothing could show it). Then the tags of both keys are deleted.

Downgrade removes experiment 0 if no run was ever started in it and leaves the tags under
MLflow's names (older tuitrack reads them as plain tags); moved names and parents stay in
their columns, where older tuitrack reads them.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DEFAULT_ID = 0
_DEFAULT_NAME = "Default"
_TAKEN_NAME = "Default (id 0)"
_TAG_RENAMES = (
    ("tuitrack.user", "mlflow.user"),
    ("tuitrack.source.name", "mlflow.source.name"),
    ("tuitrack.git.commit", "mlflow.source.git.commit"),
    ("tuitrack.git.branch", "mlflow.source.git.branch"),
    ("tuitrack.description", "mlflow.note.content"),
)
_RUN_NAME_TAG = "mlflow.runName"
_PARENT_TAG = "mlflow.parentRunId"
_MAX_RUN_NAME = 250
_RUN_ID_LENGTH = 32
_CHUNK = 500

_experiments = sa.table(
    "experiments",
    sa.column("experiment_id"),
    sa.column("name"),
    sa.column("artifact_location"),
    sa.column("lifecycle_stage"),
    sa.column("creation_time"),
    sa.column("last_update_time"),
)
_runs = sa.table("runs", sa.column("run_uuid"), sa.column("experiment_id"), sa.column("name"))
_runs_parent = sa.table("runs", sa.column("run_uuid"), sa.column("parent_run_id"))
_tags = sa.table("tags", sa.column("run_uuid"), sa.column("key"), sa.column("value"))


def _is_mysql(connection: sa.Connection) -> bool:
    return connection.dialect.name in ("mysql", "mariadb")


def _add_default_experiment(connection: sa.Connection) -> None:
    found = sa.select(_experiments.c.experiment_id)
    if connection.execute(found.where(_experiments.c.experiment_id == _DEFAULT_ID)).first():
        return
    taken = connection.execute(found.where(_experiments.c.name == _DEFAULT_NAME)).first()
    now = int(time.time() * 1000)
    insert = _experiments.insert().values(
        experiment_id=_DEFAULT_ID,
        name=_TAKEN_NAME if taken else _DEFAULT_NAME,
        artifact_location="",
        lifecycle_stage="active",
        creation_time=now,
        last_update_time=now,
    )
    if not _is_mysql(connection):
        connection.execute(insert)
        return
    # An explicit 0 in an AUTO_INCREMENT column means "the next id" unless this mode is on.
    mode = connection.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar_one()
    connection.exec_driver_sql(
        "SET SESSION sql_mode = %s", (",".join([*mode.split(","), "NO_AUTO_VALUE_ON_ZERO"]),)
    )
    try:
        connection.execute(insert)
    finally:
        connection.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))


def _rename_tag(connection: sa.Connection, old: str, new: str) -> None:
    """Rename the tag `old` to `new` on the runs that have no tag `new`."""
    if _is_mysql(connection):
        # MySQL refuses a subquery on the table an UPDATE changes; a join is allowed.
        quote = connection.dialect.identifier_preparer.quote
        key = quote("key")
        connection.exec_driver_sql(
            f"UPDATE tags AS renamed LEFT JOIN tags AS named "
            f"ON named.run_uuid = renamed.run_uuid AND named.{key} = %s "
            f"SET renamed.{key} = %s WHERE renamed.{key} = %s AND named.run_uuid IS NULL",
            (new, new, old),
        )
        return
    named = _tags.alias("named")
    has_new = (
        sa.select(named.c.run_uuid)
        .where(named.c.run_uuid == _tags.c.run_uuid, named.c.key == new)
        .exists()
    )
    connection.execute(_tags.update().where(_tags.c.key == old, ~has_new).values(key=new))


def _move_run_names(connection: sa.Connection) -> None:
    length = sa.func.length if connection.dialect.name == "sqlite" else sa.func.char_length
    name_tag = _tags.alias("name_tag")
    value = (
        sa.select(name_tag.c.value)
        .where(name_tag.c.run_uuid == _runs.c.run_uuid, name_tag.c.key == _RUN_NAME_TAG)
        .scalar_subquery()
    )
    named = sa.select(_tags.c.run_uuid).where(
        _tags.c.key == _RUN_NAME_TAG, length(_tags.c.value) <= _MAX_RUN_NAME
    )
    connection.execute(
        _runs.update().where(_runs.c.name.is_(None), _runs.c.run_uuid.in_(named)).values(name=value)
    )
    connection.execute(_tags.delete().where(_tags.c.key == _RUN_NAME_TAG))


def _move_parents(connection: sa.Connection) -> None:
    """Hand-set parent tags are few: they are matched to runs here, in Python."""
    tagged = connection.execute(
        sa.select(_tags.c.run_uuid, _tags.c.value).where(_tags.c.key == _PARENT_TAG)
    ).all()
    candidates = sorted({p for _, p in tagged if 0 < len(p) <= _RUN_ID_LENGTH})
    known: set[str] = set()
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        query = sa.select(_runs_parent.c.run_uuid).where(_runs_parent.c.run_uuid.in_(chunk))
        known.update(connection.execute(query).scalars())
    for run_id, parent in tagged:
        if parent in known and parent != run_id:
            connection.execute(
                _runs_parent.update()
                .where(_runs_parent.c.run_uuid == run_id, _runs_parent.c.parent_run_id.is_(None))
                .values(parent_run_id=parent)
            )
    connection.execute(_tags.delete().where(_tags.c.key == _PARENT_TAG))


def upgrade() -> None:
    connection = op.get_bind()
    _add_default_experiment(connection)
    for old, new in _TAG_RENAMES:
        _rename_tag(connection, old, new)
    _move_run_names(connection)
    _move_parents(connection)


def downgrade() -> None:
    connection = op.get_bind()
    used = sa.select(_runs.c.run_uuid).where(_runs.c.experiment_id == _DEFAULT_ID).exists()
    connection.execute(
        _experiments.delete().where(_experiments.c.experiment_id == _DEFAULT_ID, ~used)
    )
