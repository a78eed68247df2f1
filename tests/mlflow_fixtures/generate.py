"""Write the MLflow fixtures the tuitrack_mlflow tests read, with a pinned MLflow.

Each fixture is a small store written by real MLflow, plus `answers.json`: what MLflow's
own client returns for it (experiments, runs, metric histories, artifact listings and the
runs a few searches find). The tests compare tuitrack's answers with these, so CI needs no
MLflow. Rerun this when MLflow changes its schema, from the repository root:

    python -m venv /tmp/mlflow3 && /tmp/mlflow3/bin/pip install 'mlflow==3.17.2'
    python -m venv /tmp/mlflow2 && /tmp/mlflow2/bin/pip install 'mlflow==2.22.5' 'sqlalchemy<2.1'
    /tmp/mlflow3/bin/python tests/mlflow_fixtures/generate.py sqlite   # -> mlflow3_sqlite/
    /tmp/mlflow2/bin/python tests/mlflow_fixtures/generate.py sqlite   # -> mlflow2_sqlite/
    /tmp/mlflow2/bin/python tests/mlflow_fixtures/generate.py mlruns   # -> mlflow2_mlruns/
    /tmp/mlflow3/bin/pip install psycopg pymysql    # and the same for /tmp/mlflow2
    SERVERS="--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test \
             --mysql mysql+pymysql://root@127.0.0.1:3306/test"
    /tmp/mlflow3/bin/python tests/mlflow_fixtures/generate.py ddl $SERVERS  # -> mlflow3_ddl/
    /tmp/mlflow2/bin/python tests/mlflow_fixtures/generate.py ddl $SERVERS  # -> mlflow2_ddl/

The store is written under a fixed root in /tmp (recorded in answers.json as "root"), so a
regenerated fixture only differs in ids and times; tests copy it and rewrite that root.
Metric histories go to `histories.json`. The SQLite file is committed gzip-compressed:
MLflow's many empty tables compress ~15x.
`ddl` lets MLflow create its schema in a scratch database on each server (the URLs name
an existing database to connect to; `pg_dump` and `mysqldump` must be on PATH) and keeps
the schema alone: the tests create it in a fresh database and copy the rows of the same
major version's SQLite fixture in, so the read tests run on PostgreSQL and MySQL / MariaDB
without MLflow (tests/mlflow/servers.py).
Only MLflow, SQLAlchemy (which MLflow brings) and the standard library are imported here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Metric, Param, ViewType
from mlflow.tracking import MlflowClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

PINNED = {"2": "2.22.5", "3": "3.17.2"}
FIXTURES = Path(__file__).resolve().parent
BUILD_ROOT = Path("/tmp/tuitrack-mlflow-fixtures")
BASE_TIME = 1_700_000_000_000
LONG_HISTORY_STEPS = 2_000
PARENT_TAG = "mlflow.parentRunId"


def _check_version() -> str:
    version: str = mlflow.__version__
    major = version.split(".", maxsplit=1)[0]
    if PINNED.get(major) != version:
        pinned = ", ".join(PINNED.values())
        sys.exit(f"MLflow {version} is not a pinned version ({pinned}); see this file's docstring")
    return major


class Writer:
    """Writes the fixture's experiments and runs through MlflowClient."""

    def __init__(self, client: MlflowClient, artifact_root: Path | None) -> None:
        self.client = client
        self.artifact_root = artifact_root

    def experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        location = None if self.artifact_root is None else str(self.artifact_root / name)
        return self.client.create_experiment(name, artifact_location=location, tags=tags)

    def run(
        self,
        experiment_id: str,
        name: str,
        start: int,
        *,
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        metrics: dict[str, list[tuple[int, float, int]]] | None = None,
        status: str | None = "FINISHED",
        parent: str | None = None,
    ) -> str:
        """A run; `metrics` maps key -> [(step, value, timestamp offset)], `status` None
        leaves it RUNNING."""
        run_tags = dict(tags or {})
        if parent:
            run_tags[PARENT_TAG] = parent
        run = self.client.create_run(experiment_id, start_time=start, tags=run_tags, run_name=name)
        run_id: str = run.info.run_id
        points = [
            Metric(key, value, start + offset, step)
            for key, series in (metrics or {}).items()
            for step, value, offset in series
        ]
        for first in range(0, len(points), 900):
            batch_params = [Param(k, v) for k, v in (params or {}).items()] if first == 0 else []
            self.client.log_batch(run_id, metrics=points[first : first + 900], params=batch_params)
        if not points and params:
            self.client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
        if status is not None:
            self.client.set_terminated(run_id, status, end_time=start + 60_000)
        return run_id


def write_store(client: MlflowClient, artifact_root: Path | None) -> dict[str, str]:
    """The fixture's content; returns the ids the searches refer to."""
    writer = Writer(client, artifact_root)
    main = writer.experiment("fixture", {"team": "vision", "purpose": "tuitrack tests"})
    second = writer.experiment("second")
    retired = writer.experiment("retired")

    sweep = writer.run(
        main,
        "sweep",
        BASE_TIME,
        params={"optimizer": "adam", "epochs": "3"},
        tags={"team": "vision", "stage": "tune"},
        metrics={"best_acc": [(0, 0.91, 500)]},
    )
    trials = [("0.1", "adam", "vision", "FINISHED"), ("0.01", "sgd", "Vision", "FAILED")]
    trials.append(("1e-3", "adam", "audio", "FINISHED"))
    for index, (lr, optimizer, team, status) in enumerate(trials):
        losses = [1.0 / (index + 2 + step) for step in range(3)]
        writer.run(
            main,
            f"trial-{index}",
            BASE_TIME + 1_000 * (index + 1),
            params={"lr": lr, "optimizer": optimizer},
            tags={"team": team, "note": "naïve ✓" if index == 0 else "plain"},
            metrics={
                "loss": [(step, loss, 10 * step) for step, loss in enumerate(losses)],
                "acc": [(2, 0.6 + 0.15 * index, 30)],
            },
            status=status,
            parent=sweep,
        )
    writer.run(
        main,
        "long",
        BASE_TIME + 5_000,
        params={"lr": "0.5", "optimizer": "adam"},
        metrics={
            "loss": [(s, 1.0 / (1.0 + 0.01 * s), 10 * s) for s in range(LONG_HISTORY_STEPS)],
            # Two points at one step: the later timestamp is the latest value.
            "dup": [(5, 2.0, 1), (5, 1.0, 2), (4, 9.0, 3)],
        },
    )
    writer.run(
        main,
        "special-values",
        BASE_TIME + 6_000,
        params={"lr": "abc"},
        tags={"team": "vision"},
        metrics={
            "loss": [(0, 0.5, 0), (1, math.nan, 10)],
            "grad_norm": [(0, math.inf, 0)],
            "floor": [(0, -math.inf, 0)],
        },
    )
    deleted = writer.run(main, "deleted", BASE_TIME + 7_000, params={"lr": "0.2"})
    client.delete_run(deleted)
    writer.run(
        main,
        "running",
        BASE_TIME + 8_000,
        tags={"team": "vision"},
        metrics={"loss": [(0, 0.7, 0)]},
        status=None,
    )
    with_files = writer.run(main, "artifacts", BASE_TIME + 9_000, params={"lr": "0.3"})
    client.log_text(with_files, "hello from mlflow\n", "notes/readme.txt")
    client.log_dict(with_files, {"lr": 0.3, "layers": [64, 64]}, "config/params.json")
    client.log_text(with_files, "x" * 100, "model.txt")

    for index in range(2):
        writer.run(
            second,
            f"other-{index}",
            BASE_TIME + 10_000 + index,
            params={"lr": str(0.05 * (index + 1))},
            metrics={"loss": [(0, 0.3 + index * 0.4, 0)]},
        )
    writer.run(retired, "old", BASE_TIME - 50_000, metrics={"loss": [(0, 0.9, 0)]})
    client.delete_experiment(retired)
    return {"main": main, "second": second, "sweep": sweep}


def searches(ids: dict[str, str]) -> list[dict[str, Any]]:
    """The searches whose results MLflow records: (experiments, filter, order_by, view)."""
    both = [ids["main"], ids["second"]]
    main = [ids["main"]]
    cases: list[tuple[list[str], str, list[str], str]] = [
        (main, "", [], "ACTIVE_ONLY"),
        (main, "", [], "ALL"),
        (main, "", [], "DELETED_ONLY"),
        (both, "", [], "ACTIVE_ONLY"),
        (both, "metrics.loss < 0.3", [], "ACTIVE_ONLY"),
        (both, "metrics.loss >= 0.3", ["metrics.loss ASC"], "ACTIVE_ONLY"),
        (main, "params.optimizer = 'adam'", [], "ACTIVE_ONLY"),
        (main, "params.optimizer != 'adam'", [], "ACTIVE_ONLY"),
        (main, "tags.team LIKE 'vis%'", [], "ACTIVE_ONLY"),
        (main, "tags.team ILIKE 'VIS%'", [], "ACTIVE_ONLY"),
        (main, "attributes.status = 'FAILED'", [], "ACTIVE_ONLY"),
        (main, "attributes.status = 'RUNNING'", [], "ACTIVE_ONLY"),
        (main, "attributes.run_name = 'trial-1'", [], "ACTIVE_ONLY"),
        (main, f"tags.`{PARENT_TAG}` = '{ids['sweep']}'", ["attributes.run_name"], "ACTIVE_ONLY"),
        (main, "tags.note = 'plain'", ["params.lr ASC"], "ACTIVE_ONLY"),
        (main, "metrics.acc > 0.5 AND params.optimizer = 'adam'", ["metrics.acc DESC"], "ALL"),
        (both, f"attributes.start_time >= {BASE_TIME + 5_000}", ["start_time ASC"], "ALL"),
        (both, "", ["params.lr DESC"], "ACTIVE_ONLY"),
        (main, "", ["tags.team ASC"], "ACTIVE_ONLY"),
        (both, "", ["attributes.run_name ASC"], "ALL"),
        (main, "", ["metrics.best_acc DESC"], "ACTIVE_ONLY"),
    ]
    return [{"experiment_ids": e, "filter": f, "order_by": o, "view": v} for e, f, o, v in cases]


def record_answers(client: MlflowClient, ids: dict[str, str]) -> dict[str, Any]:
    experiments = client.search_experiments(view_type=ViewType.ALL, max_results=1000)
    all_ids = [e.experiment_id for e in experiments]
    runs = client.search_runs(all_ids, run_view_type=ViewType.ALL, max_results=1000)
    answers: dict[str, Any] = {
        "experiments": [
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "artifact_location": e.artifact_location,
                "lifecycle_stage": e.lifecycle_stage,
                "tags": dict(sorted(e.tags.items())),
                "creation_time": e.creation_time,
                "last_update_time": e.last_update_time,
            }
            for e in experiments
        ],
        "runs": [],
        "histories": {},
        "artifacts": {},
        "searches": [],
    }
    for run in runs:
        info = run.info
        answers["runs"].append(
            {
                "run_id": info.run_id,
                "experiment_id": info.experiment_id,
                "run_name": info.run_name,
                "user_id": info.user_id,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "artifact_uri": info.artifact_uri,
                "lifecycle_stage": info.lifecycle_stage,
                "params": dict(sorted(run.data.params.items())),
                "tags": dict(sorted(run.data.tags.items())),
                "metrics": dict(sorted(run.data.metrics.items())),
            }
        )
        answers["histories"][info.run_id] = {
            key: [
                [m.step, m.timestamp, m.value] for m in client.get_metric_history(info.run_id, key)
            ]
            for key in sorted(run.data.metrics)
        }
        answers["artifacts"][info.run_id] = _walk_artifacts(client, info.run_id, None)
    for case in searches(ids):
        found = client.search_runs(
            case["experiment_ids"],
            case["filter"],
            run_view_type=getattr(ViewType, case["view"]),
            max_results=1000,
            order_by=case["order_by"],
        )
        answers["searches"].append({**case, "run_ids": [r.info.run_id for r in found]})
    return answers


def _walk_artifacts(client: MlflowClient, run_id: str, path: str | None) -> list[list[Any]]:
    listing: list[list[Any]] = []
    for info in client.list_artifacts(run_id, path):
        listing.append([info.path, info.is_dir, info.file_size])
        if info.is_dir:
            listing.extend(_walk_artifacts(client, run_id, info.path))
    return listing


def generate(kind: str) -> Path:
    major = _check_version()
    name = f"mlflow{major}_{kind}"
    root = BUILD_ROOT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    os.chdir(root)
    if kind == "sqlite":
        uri = f"sqlite:///{root / 'mlflow.db'}"
        artifact_root: Path | None = root / "artifacts"
    else:
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        uri = (root / "mlruns").as_uri()
        artifact_root = None
    client = MlflowClient(tracking_uri=uri)
    ids = write_store(client, artifact_root)
    answers = {"mlflow_version": mlflow.__version__, "kind": kind, "root": str(root)}
    answers.update(record_answers(client, ids))
    target = FIXTURES / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    for child in root.iterdir():
        if child.name == "mlflow.db":
            with open(child, "rb") as source, gzip.open(target / "mlflow.db.gz", "wb") as out:
                shutil.copyfileobj(source, out)
        elif child.is_dir():
            shutil.copytree(child, target / child.name)
    # Histories are most of the data: kept compact and apart from the readable answers.
    histories = answers.pop("histories")
    compact = json.dumps(histories, separators=(",", ":"), sort_keys=True)
    (target / "histories.json").write_text(compact + "\n", encoding="utf-8")
    text = json.dumps(answers, indent=1, ensure_ascii=False, sort_keys=True)
    (target / "answers.json").write_text(text + "\n", encoding="utf-8")
    return target


@contextmanager
def scratch_database(server: str) -> Iterator[URL]:
    """A new empty database on the server of `server`, dropped afterwards."""
    url = make_url(server)
    name = f"mlflow_ddl_{uuid.uuid4().hex[:8]}"
    quote = '"' if url.get_backend_name() == "postgresql" else "`"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    try:
        yield url.set(database=name)
    finally:
        # MLflow's engine keeps its connections open: PostgreSQL (13+) is told to end them.
        force = " WITH (FORCE)" if quote == '"' else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()


def _dump(url: URL) -> list[str]:
    """The schema-only dump's lines, without data, owners, grants or dump-tool comments."""
    host, port = url.host or "127.0.0.1", str(url.port or "")
    env = dict(os.environ)
    if url.get_backend_name() == "postgresql":
        command = ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-h", host]
        command += ["-p", port or "5432", "-U", url.username or "postgres", str(url.database)]
        env["PGPASSWORD"] = url.password or ""
        noise = ("--", "\\")  # comments; psql meta-commands (\restrict ...)
    else:
        command = ["mysqldump", "--no-data", "--compact", "--skip-triggers", "-h", host]
        command += ["-P", port or "3306", "-u", url.username or "root", str(url.database)]
        env["MYSQL_PWD"] = url.password or ""
        noise = ("/*",)  # version-gated SET statements and MariaDB's sandbox marker
    dump = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    lines = [line.rstrip() for line in dump.splitlines() if not line.startswith(noise)]
    return [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]


def generate_ddl(servers: dict[str, str]) -> Path:
    """mlflow{major}_ddl/<dialect>.sql: MLflow's schema as MLflow creates it on each server."""
    major = _check_version()
    target = FIXTURES / f"mlflow{major}_ddl"
    target.mkdir(exist_ok=True)
    for dialect, server in servers.items():
        with scratch_database(server) as url:
            uri = url.render_as_string(hide_password=False)
            MlflowClient(tracking_uri=uri).search_experiments()  # MLflow creates its tables
            engine = create_engine(url)
            with engine.connect() as connection:
                version = str(connection.execute(text("SELECT version()")).scalar())
            engine.dispose()
            version = version.partition(" on ")[0]  # PostgreSQL adds the build platform
            lines = _dump(url)
        header = [
            f"-- MLflow {mlflow.__version__}'s schema as MLflow created it on {version},",
            "-- dumped without data by tests/mlflow_fixtures/generate.py ddl.",
        ]
        text_out = "\n".join(header + lines).rstrip() + "\n"
        (target / f"{dialect}.sql").write_text(text_out, encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["sqlite", "mlruns", "ddl"])
    parser.add_argument("--postgres", help="ddl: a PostgreSQL URL MLflow can use")
    parser.add_argument("--mysql", help="ddl: a MySQL / MariaDB URL MLflow can use")
    args = parser.parse_args()
    if args.kind != "ddl":
        print(generate(args.kind))
        return
    servers = {"postgresql": args.postgres, "mysql": args.mysql}
    if not all(servers.values()):
        parser.error("ddl needs --postgres and --mysql")
    print(generate_ddl(servers))


if __name__ == "__main__":
    main()
