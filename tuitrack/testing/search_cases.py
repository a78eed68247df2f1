"""Search cases shared by every store: fixture runs as plain data, filters with expected sets.

Each store loads `FIXTURE_RUNS` into one experiment (see `log_fixture_runs`, which uses only
the TrackingStore API), then checks every `(filter_string, expected_run_names)` of
`FILTER_CASES` and every `(order_by, expected_names_in_order)` of `ORDER_CASES`. The Python
evaluator is checked against the same table (the repository's
tests/unit/test_search_evaluate.py).

The runs cover: a metric whose earlier step had another value (filters use the latest), NaN,
+inf and -inf metrics, tied metric values, missing keys, keys that differ only in case, keys
with spaces and dots, Unicode keys, values and run names, numeric-looking and non-numeric
params (" 0.5" with a space is not a number), quotes, backslashes, `%` and `_` inside values,
and a value that looks like SQL injection. Start times are distinct, so every order is fully
determined without relying on run ids (which a store generates).

Compare run names, not ids. Experiment cases compare only among the fixture experiments,
since a store may hold others (such as a default experiment).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Experiment, Metric, Param, Run, RunData, RunInfo, RunStatus, RunTag


@dataclass(frozen=True)
class FixtureRun:
    """One run as plain data. `metrics` maps a key to its history of (step, value) points;
    the point with the highest step is the latest value."""

    name: str
    status: str
    start_time: int
    end_time: int | None
    user: str
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    parent: str | None = None
    """The name of an earlier fixture run this one is nested under."""

    @property
    def latest_metrics(self) -> dict[str, float]:
        return {key: max(points)[1] for key, points in self.metrics.items()}


NAN = math.nan
INF = math.inf

FIXTURE_RUNS: tuple[FixtureRun, ...] = (
    FixtureRun(
        name="alpha",
        status="FINISHED",
        start_time=1000,
        end_time=2000,
        user="ana",
        params={"lr": "0.01", "optimizer": "adam", "batch_size": "32", "model.depth": "12"},
        metrics={
            "acc": ((0, 0.5), (1, 0.91)),
            "loss": ((0, 2.0), (1, 0.3)),
            "val loss": ((1, 0.35),),
        },
        tags={"env": "prod", "team.name": "vision", "note": 'it\'s "quoted"'},
    ),
    FixtureRun(
        name="beta",
        status="FINISHED",
        start_time=2000,
        end_time=3000,
        user="ben",
        params={"lr": "0.001", "optimizer": "sgd", "batch_size": "128"},
        metrics={"acc": ((0, 0.85),), "loss": ((0, 0.1), (5, 0.45)), "val loss": ((0, 0.5),)},
        tags={"env": "dev", "team.name": "nlp"},
    ),
    FixtureRun(
        name="gamma",
        status="FAILED",
        start_time=3000,
        end_time=3500,
        user="ana",
        params={"lr": "1e-3", "optimizer": "Adam"},
        metrics={"acc": ((0, NAN),), "loss": ((0, INF),)},
        tags={"env": "dev", "pct": "100%"},
    ),
    FixtureRun(
        name="delta",
        status="RUNNING",
        start_time=4000,
        end_time=None,
        user="cara",
        params={"lr": "adaptive", "optimizer": "adamw", "batch_size": "64"},
        metrics={"acc": ((3, 0.91),), "loss": ((3, 0.3),)},
        tags={"env": "staging", "ñandú": "日本語 ✓"},
    ),
    FixtureRun(
        name="epsilon",
        status="KILLED",
        start_time=5000,
        end_time=5100,
        user="ben",
        params={"lr": " 0.5"},
        metrics={"loss": ((0, 1.5),), "val loss": ((0, -INF),)},
        tags={"pct": "100x", "path": "C:\\temp\\new", "sql": "'; DROP TABLE runs; --"},
    ),
    FixtureRun(
        name="zeta",
        status="SCHEDULED",
        start_time=6000,
        end_time=None,
        user="dïana",
        parent="delta",
    ),
    FixtureRun(
        name="ラン-7",
        status="FINISHED",
        start_time=7000,
        end_time=8000,
        user="ana",
        params={"lr": "0.1", "batch size": "64", "optimizer": "adam"},
        metrics={"acc": ((0, 0.7),), "val loss": ((0, NAN),)},
        tags={"env": "prod", "team.name": "vision", "q": 'say "hi"'},
    ),
    FixtureRun(
        name="theta",
        status="FINISHED",
        start_time=8000,
        end_time=9000,
        user="cara",
        params={"lr": "-2", "optimizer": "ADAM", "note": "50% off_sale"},
        metrics={"acc": ((0, 1.0),), "loss": ((0, 0.05),), "Acc": ((0, 0.2),)},
        tags={"env": "PROD"},
        parent="alpha",
    ),
)

ALL_RUNS = frozenset(run.name for run in FIXTURE_RUNS)


def _names(*names: str) -> frozenset[str]:
    unknown = set(names) - ALL_RUNS
    assert not unknown, unknown
    return frozenset(names)


A, B, G, D, E, Z, R, T = "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "ラン-7", "theta"

FILTER_CASES: list[tuple[str, frozenset[str]]] = [
    # no filter
    ("", ALL_RUNS),
    ("   ", ALL_RUNS),
    # metrics: latest values, NaN and infinities, ties, missing keys
    ("metrics.acc > 0.9", _names(A, D, T)),
    ("metrics.acc >= 0.91", _names(A, D, T)),
    ("metrics.acc = 0.91", _names(A, D)),
    ("metrics.acc = 0.5", _names()),
    ("metrics.loss < 0.2", _names(T)),
    ("metrics.acc != 0.91", _names(B, G, R, T)),
    ("metrics.acc < 100", _names(A, B, D, R, T)),
    ("metrics.loss > 1e308", _names(G)),
    ("metrics.`val loss` < 0", _names(E)),
    ("metrics.`val loss` <= 0.5", _names(A, B, E)),
    ('metrics."val loss" != 0.35', _names(B, E, R)),
    ("metrics.acc IN (0.91, 0.7)", _names(A, D, R)),
    ("metrics.acc NOT IN (0.91, 0.7)", _names(B, G, T)),
    ("metrics.acc IS NULL", _names(E, Z)),
    ("metrics.acc IS NOT NULL", _names(A, B, G, D, R, T)),
    ("metrics.Acc > 0", _names(T)),
    ("metrics.acc > -1 AND metrics.loss < 1", _names(A, B, D, T)),
    ("NOT metrics.acc > 0.8", _names(G, E, Z, R)),
    ("metric.acc > 0.9 OR metrics.acc IS NULL", _names(A, D, T, E, Z)),
    # params as text
    ("params.optimizer = 'adam'", _names(A, R)),
    ("params.optimizer ILIKE 'adam'", _names(A, G, R, T)),
    ("params.optimizer LIKE 'adam%'", _names(A, D, R)),
    ("params.optimizer != 'adam'", _names(B, G, D, T)),
    ("params.optimizer IN ('sgd', 'adamw')", _names(B, D)),
    ("params.optimizer NOT IN ('sgd', 'adamw')", _names(A, G, R, T)),
    ("params.optimizer IS NULL", _names(E, Z)),
    ("params.lr = '0.001'", _names(B)),
    ("params.lr LIKE '%.%'", _names(A, B, E, R)),
    ("params.lr LIKE '_.%'", _names(A, B, R)),
    ("params.note LIKE '50\\%%'", _names(T)),
    ("params.note LIKE '%\\_%'", _names(T)),
    ("params.`batch size` = '64'", _names(R)),
    ("params.model.depth = '12'", _names(A)),
    # params compared with numbers: only numeric-looking values take part
    ("params.lr < 0.01", _names(B, G, T)),
    ("params.lr = 0.001", _names(B, G)),
    ("params.lr >= 0.01", _names(A, R)),
    ("params.lr != 0.01", _names(B, G, R, T)),
    ("NOT params.lr != 0.01", _names(A, D, E, Z)),
    ("params.lr IN (0.1, -2)", _names(R, T)),
    ("params.lr < 1 AND params.lr > -1", _names(A, B, G, R)),
    ("params.batch_size > 64", _names(B)),
    ("param.batch_size > 50", _names(B, D)),
    ('params."model.depth" = 12', _names(A)),
    # tags: quotes, backslashes, LIKE escapes, Unicode, injection-looking values
    ("tags.env = 'prod'", _names(A, R)),
    ("tags.env ILIKE 'prod'", _names(A, R, T)),
    ("tags.env != 'prod'", _names(B, G, D, T)),
    ("tags.env <> 'prod'", _names(B, G, D, T)),
    ("tags.env IS NULL", _names(E, Z)),
    ("tags.`team.name` = 'vision'", _names(A, R)),
    ("tag.team.name = 'nlp'", _names(B)),
    ("tags.note = 'it''s \"quoted\"'", _names(A)),
    ('tags.note = "it\'s \\"quoted\\""', _names(A)),
    ("tags.q = 'say \"hi\"'", _names(R)),
    ("tags.pct = '100%'", _names(G)),
    ("tags.pct LIKE '100\\%'", _names(G)),
    ("tags.pct LIKE '100%'", _names(G, E)),
    ("tags.path = 'C:\\\\temp\\\\new'", _names(E)),
    ("tags.path = 'C:\\temp\\new'", _names(E)),
    ("tags.sql = '''; DROP TABLE runs; --'", _names(E)),
    ("tags.env = 'x'' OR ''1''=''1'", _names()),
    ("tags.ñandú = '日本語 ✓'", _names(D)),
    ("tags.`ñandú` LIKE '%✓'", _names(D)),
    # attributes
    ("attributes.status = 'FINISHED'", _names(A, B, R, T)),
    ("status = 'failed'", _names(G)),
    ("run.status IN ('RUNNING', 'scheduled')", _names(D, Z)),
    ("attr.status != 'FINISHED'", _names(G, D, E, Z)),
    ("status LIKE 'F%'", _names(A, B, G, R, T)),
    ("attribute.start_time >= 4000", _names(D, E, Z, R, T)),
    ("start_time < 3000 OR start_time > 7000", _names(A, B, T)),
    ("created > 7000", _names(T)),
    ("end_time IS NULL", _names(D, Z)),
    ("end_time <= 3500", _names(A, B, G)),
    ("run_name = 'ラン-7'", _names(R)),
    ("attributes.run_name LIKE '%a'", _names(A, B, G, D, Z, T)),
    ("run_name ILIKE 'ALPHA'", _names(A)),
    ("user_id = 'ana'", _names(A, G, R)),
    ("user_id IN ('ben', 'dïana')", _names(B, E, Z)),
    ("user_id NOT IN ('ana')", _names(B, D, E, Z, T)),
    ("run_id IS NOT NULL", ALL_RUNS),
    ("parent_run_id IS NOT NULL", _names(Z, T)),
    ("attributes.parent_run_id IS NULL AND status = 'RUNNING'", _names(D)),
    ("experiment_id IS NOT NULL AND artifact_uri LIKE '%'", ALL_RUNS),
    # MLflow's tags of a run's name and parent: every store answers them from the run
    ("tags.mlflow.runName = 'alpha'", _names(A)),
    ("tags.`mlflow.runName` LIKE '%ta'", _names(B, D, Z, T)),
    ("tags.\"mlflow.runName\" IN ('beta', 'ラン-7', 'nobody')", _names(B, R)),
    ("tags.mlflow.runName ILIKE 'GAMMA'", _names(G)),
    ("tags.mlflow.runName IS NOT NULL", ALL_RUNS),
    ("tags.mlflow.parentRunId IS NULL", ALL_RUNS - _names(Z, T)),
    ("tags.`mlflow.parentRunId` IS NOT NULL AND status != 'FINISHED'", _names(Z)),
    ("tags.mlflow.runName = 'alpha' OR tags.mlflow.parentRunId IS NOT NULL", _names(A, Z, T)),
    ("NOT tags.mlflow.parentRunId IS NULL", _names(Z, T)),
    # boolean structure
    ("(params.optimizer = 'adam' OR params.optimizer = 'sgd') AND metrics.acc > 0.8", _names(A, B)),
    ("params.optimizer = 'adam' OR params.optimizer = 'sgd' AND metrics.acc > 0.9", _names(A, R)),
    ("NOT (tags.env = 'prod' OR tags.env = 'dev')", _names(D, E, Z, T)),
    ("tags.env = 'prod' and not params.lr < 0.05", _names(R)),
    ("metrics.acc > 0.9 and params.optimizer = 'adam' and tags.env != 'dev'", _names(A)),
    ("NOT NOT status = 'KILLED'", _names(E)),
    ("METRICS.acc > 0.9 AnD Params.optimizer = 'adam'", _names(A)),
    ("metrics.acc > 0.9 AND (tags.env = 'staging' OR tags.env = 'PROD')", _names(D, T)),
    ("((((status = 'KILLED'))))", _names(E)),
]

# (parent run name, the names of its children): filters on `parent_run_id = '<its id>'`,
# since run ids are made by each store.
PARENT_CASES: list[tuple[str, frozenset[str]]] = [
    (D, _names(Z)),
    (A, _names(T)),
    (B, _names()),
]
# The filters of PARENT_CASES, `{id}` standing for the parent's run id: the attribute, and
# MLflow's tag of a run's parent.
PARENT_FILTERS: list[str] = [
    "parent_run_id = '{id}'",
    "tags.mlflow.parentRunId = '{id}'",
    "tags.\"mlflow.parentRunId\" IN ('{id}', 'no-such-run')",
]

# (order_by, every fixture run's name in the expected order)
ORDER_CASES: list[tuple[list[str], list[str]]] = [
    ([], [T, R, Z, E, D, G, B, A]),
    (["metrics.acc DESC"], [T, D, A, B, R, Z, E, G]),
    (["metrics.acc ASC"], [R, B, D, A, T, Z, E, G]),
    (["metrics.loss"], [T, D, A, B, E, G, R, Z]),
    (["metrics.`val loss` ASC"], [E, A, B, T, R, Z, D, G]),
    (["params.lr ASC"], [E, T, B, A, R, G, D, Z]),
    (["tags.env DESC", "start_time ASC"], [D, A, R, B, G, T, E, Z]),
    (["status", "attributes.run_name DESC"], [G, R, T, B, A, E, D, Z]),
    (["end_time DESC"], [T, R, E, G, B, A, Z, D]),
    (["tags.mlflow.runName"], [A, B, D, E, G, T, Z, R]),
    (["tags.`mlflow.runName` DESC"], [R, Z, T, G, E, D, B, A]),
]


def fixture_runs(experiment_id: str = "0") -> list[Run]:
    """The fixture runs as entities, with ids 'run-<index>', for the Python evaluator."""
    runs = []
    index_of = {fixture.name: index for index, fixture in enumerate(FIXTURE_RUNS)}
    for index, fixture in enumerate(FIXTURE_RUNS):
        parent = f"run-{index_of[fixture.parent]}" if fixture.parent else None
        info = RunInfo(
            run_id=f"run-{index}",
            experiment_id=experiment_id,
            run_name=fixture.name,
            user_id=fixture.user,
            status=RunStatus(fixture.status),
            start_time=fixture.start_time,
            end_time=fixture.end_time,
            artifact_uri=f"file:///artifacts/{index}",
            parent_run_id=parent,
        )
        data = RunData(
            metrics=fixture.latest_metrics, params=dict(fixture.params), tags=dict(fixture.tags)
        )
        runs.append(Run(info=info, data=data))
    return runs


def log_fixture_runs(store: TrackingStore, experiment_id: str) -> dict[str, str]:
    """Create the fixture runs in `store` through its public API; return name -> run id."""
    ids: dict[str, str] = {}
    for fixture in FIXTURE_RUNS:
        run = store.create_run(
            experiment_id,
            user_id=fixture.user,
            start_time=fixture.start_time,
            run_name=fixture.name,
            parent_run_id=ids[fixture.parent] if fixture.parent else None,
        )
        run_id = run.info.run_id
        metrics = [
            Metric(key=key, value=value, timestamp=fixture.start_time + step, step=step)
            for key, points in fixture.metrics.items()
            for step, value in points
        ]
        params = [Param(key=key, value=value) for key, value in fixture.params.items()]
        tags = [RunTag(key=key, value=value) for key, value in fixture.tags.items()]
        store.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        if fixture.status != "RUNNING" or fixture.end_time is not None:
            store.update_run_info(
                run_id, status=RunStatus(fixture.status), end_time=fixture.end_time
            )
        ids[fixture.name] = run_id
    return ids


# --- experiments -------------------------------------------------------------------------


@dataclass(frozen=True)
class FixtureExperiment:
    name: str
    tags: Mapping[str, str] = field(default_factory=dict)


FIXTURE_EXPERIMENTS: tuple[FixtureExperiment, ...] = (
    FixtureExperiment("vision-baseline", {"team": "vision"}),
    FixtureExperiment("nlp-bert", {"team": "nlp", "stage": "prod"}),
    FixtureExperiment("Vision-Large", {"team": "vision"}),
    FixtureExperiment("misc"),
    FixtureExperiment("it's 100%", {"note": "a_b"}),
)
ALL_EXPERIMENTS = frozenset(experiment.name for experiment in FIXTURE_EXPERIMENTS)

EXPERIMENT_FILTER_CASES: list[tuple[str, frozenset[str]]] = [
    ("", ALL_EXPERIMENTS),
    ("name = 'nlp-bert'", frozenset({"nlp-bert"})),
    ("attributes.name LIKE 'vision%'", frozenset({"vision-baseline"})),
    ("name ILIKE 'vision%'", frozenset({"vision-baseline", "Vision-Large"})),
    ("name != 'misc'", ALL_EXPERIMENTS - {"misc"}),
    ("name IN ('misc', 'nlp-bert')", frozenset({"misc", "nlp-bert"})),
    ("name = 'it''s 100%'", frozenset({"it's 100%"})),
    ("name LIKE '%100\\%'", frozenset({"it's 100%"})),
    ("tags.team = 'vision'", frozenset({"vision-baseline", "Vision-Large"})),
    ("tags.team IS NULL", frozenset({"misc", "it's 100%"})),
    ("tags.stage = 'prod' OR name LIKE '%Large'", frozenset({"nlp-bert", "Vision-Large"})),
    ("NOT tags.team = 'vision'", frozenset({"nlp-bert", "misc", "it's 100%"})),
    ("tags.note LIKE 'a\\_b'", frozenset({"it's 100%"})),
    ("creation_time IS NOT NULL", ALL_EXPERIMENTS),
]


def fixture_experiments() -> list[Experiment]:
    """The fixture experiments as entities (creation times 1000, 2000, ...)."""
    return [
        Experiment(
            experiment_id=str(index),
            name=fixture.name,
            artifact_location=f"file:///artifacts/{index}",
            tags=dict(fixture.tags),
            creation_time=1000 * (index + 1),
            last_update_time=1000 * (index + 1),
        )
        for index, fixture in enumerate(FIXTURE_EXPERIMENTS)
    ]


def case_id(value: object) -> str:
    """A test id that is the same in every process (a frozenset's order is not)."""
    if isinstance(value, frozenset):
        return "{" + ",".join(sorted(value)) + "}"
    return str(value)[:60]
