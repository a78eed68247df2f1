"""The MLflow stores made by tests/mlflow_fixtures/generate.py, copied where a test wants
them, with MLflow's recorded answers rewritten to the copy's location."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "mlflow_fixtures"
NAMES = ("mlflow3_sqlite", "mlflow2_sqlite", "mlflow2_mlruns")
DBL_MAX = sys.float_info.max


@dataclass(frozen=True)
class MlflowFixture:
    name: str
    root: Path  # where the copy lives
    uri: str  # how a user names it: a plain path to mlflow.db or to mlruns/
    answers: dict[str, Any]
    histories: dict[str, dict[str, list[list[float]]]]

    @property
    def is_sqlite(self) -> bool:
        return self.name.endswith("_sqlite")

    @property
    def is_sql(self) -> bool:
        """MLflow's SQL schema (on SQLite or a server), not the mlruns folder."""
        return not self.name.endswith("_mlruns")

    @property
    def mlflow_major(self) -> int:
        return int(self.answers["mlflow_version"].split(".", 1)[0])

    def run(self, name: str) -> dict[str, Any]:
        return next(r for r in self.answers["runs"] if r["run_name"] == name)

    def experiment(self, name: str) -> dict[str, Any]:
        return next(e for e in self.answers["experiments"] if e["name"] == name)


def copy_fixture(name: str, destination: Path) -> MlflowFixture:
    """Copy fixture `name` into `destination` and point its stored paths there."""
    source = FIXTURES / name
    old_root = json.loads((source / "answers.json").read_text(encoding="utf-8"))["root"]
    new_root = str(destination)
    shutil.copytree(source, destination, dirs_exist_ok=True)
    answers = json.loads(
        (source / "answers.json").read_text(encoding="utf-8").replace(old_root, new_root)
    )
    histories = json.loads((source / "histories.json").read_text(encoding="utf-8"))
    packed = destination / "mlflow.db.gz"
    if packed.exists():
        database = destination / "mlflow.db"
        with gzip.open(packed) as reader, open(database, "wb") as writer:
            shutil.copyfileobj(reader, writer)
        packed.unlink()
        _relocate_database(database, old_root, new_root)
        uri = str(database)
    else:
        for meta in (destination / "mlruns").rglob("meta.yaml"):
            meta.write_text(meta.read_text(encoding="utf-8").replace(old_root, new_root))
        uri = str(destination / "mlruns")
    return MlflowFixture(name, destination, uri, answers, histories)


def _relocate_database(database: Path, old_root: str, new_root: str) -> None:
    connection = sqlite3.connect(database)
    with connection:
        for table, column in (("runs", "artifact_uri"), ("experiments", "artifact_location")):
            connection.execute(
                f"UPDATE {table} SET {column} = replace({column}, ?, ?)", (old_root, new_root)
            )
    connection.close()


def as_logged(value: float) -> float:
    """MLflow's SQL store answers +-inf as +-DBL_MAX (what it stores); tuitrack restores
    the infinities, as MLflow's file store does."""
    if value >= DBL_MAX:
        return math.inf
    if value <= -DBL_MAX:
        return -math.inf
    return value


def same_float(first: float, second: float) -> bool:
    return (math.isnan(first) and math.isnan(second)) or first == second
