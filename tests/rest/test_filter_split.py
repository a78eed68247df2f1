"""Which filters a plain MLflow server evaluates, and proof that it evaluates them exactly.

The pure tests pin how filters split. The server tests fill a real `mlflow server` with
MLflow's own client and check that every filter text the split sends gives the same runs
(and experiments) through MLflow's MlflowClient as tuitrack's Python evaluator gives over the
same runs read from the server; that the server's orders tuitrack relies on are tuitrack's;
and that an order tuitrack sorts itself really differs on MLflow (so sorting here is needed).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import RunTag as MlflowRunTag
from mlflow.utils.search_utils import SearchExperimentsUtils, SearchUtils

from tests.rest.mlflow_server import MlflowServer
from tuitrack.core.wire.mlflow_json import experiment_from_json, runs_from_json
from tuitrack.entities import Experiment, Run, RunData
from tuitrack.errors import FilterSyntaxError
from tuitrack.search import (
    matches,
    matches_experiment,
    parse_experiment_filter,
    parse_filter,
    parse_order_by,
    sort_runs,
)
from tuitrack.testing.search_cases import (
    EXPERIMENT_FILTER_CASES,
    FILTER_CASES,
    FIXTURE_EXPERIMENTS,
    FIXTURE_RUNS,
    case_id,
    fixture_runs,
)
from tuitrack_rest import searching
from tuitrack_rest.filters import (
    SplitFilter,
    server_metric_order,
    server_order_by,
    split_experiment_filter,
    split_run_filter,
)

# --- how filters split (pure) --------------------------------------------------------------

SPLITS: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("", None, ()),
    ("metrics.acc > 0.9", "metrics.`acc` > 0.9", ()),
    ("metrics.`val loss` != -1.5e20", "metrics.`val loss` != -1.5e20", ()),
    ("metrics.acc >= 1e-05", "metrics.`acc` >= 1e-05", ()),
    ("metrics.loss < 1.7976931348623157e308", None, ("metric bounds beyond MLflow's precision",)),
    ("metrics.step > 9007199254740993", None, ("metric bounds beyond MLflow's precision",)),
    ("metrics.acc IN (1, 2)", None, ("IN on metrics",)),
    ("metrics.loss < 0.1", "metrics.`loss` < 0.1", ("metric tests on NaN",)),
    ("metrics.acc = 0", "metrics.`acc` = 0", ("metric tests on NaN",)),
    ("metrics.acc >= -2", "metrics.`acc` >= -2", ("metric tests on NaN",)),
    ("metrics.acc <= -2", "metrics.`acc` <= -2", ()),
    ("metrics.acc != 0", None, ("metric tests on NaN",)),
    ("params.opt = 'adam'", "params.`opt` = 'adam'", ()),
    ("params.`batch size` LIKE '6%'", "params.`batch size` LIKE '6%'", ()),
    ("params.lr < 0.1", None, ("numeric comparison of params",)),
    ("params.opt IN ('a', 'b')", None, ("IN on params",)),
    ("params.opt ILIKE 'adam'", None, ("ILIKE",)),
    ("tags.note LIKE '100\\%'", None, ("text with quotes or backslashes",)),
    ("tags.note = 'it''s'", None, ("text with quotes or backslashes",)),
    ("tags.env IS NULL", None, ("IS NULL",)),
    ("tags.env IS NOT NULL", None, ("IS NOT NULL",)),
    ("tags.`a,b` = 'x'", None, ("keys MLflow's filter syntax cannot name",)),
    ("tags.mlflow.runName = 'x'", None, ("run names",)),
    ("run_name LIKE 'x%'", None, ("run names",)),
    ("experiment_id = '1'", None, ("a run's experiment_id",)),
    ("parent_run_id = 'abc'", "tags.`mlflow.parentRunId` = 'abc'", ()),
    ("status = 'finished'", "attributes.status = 'FINISHED'", ()),
    ("status IN ('FINISHED')", None, ("IN on status",)),
    ("run_id IN ('a', 'b')", "attributes.run_id IN ('a', 'b')", ()),
    ("run_id NOT IN ('a')", "attributes.run_id NOT IN ('a')", ()),
    ("user_id = 'ana'", "attributes.user_id = 'ana'", ()),
    ("user_id != 'ana'", None, ("user_id where '' would match",)),
    ("user_id LIKE '%'", None, ("user_id where '' would match",)),
    ("created >= 5", "attributes.start_time >= 5", ()),
    ("start_time < 1.5", None, ("fractional start_time",)),
    ("end_time > 10", "attributes.end_time > 10", ()),
    ("end_time < 10", None, ("end_time where 0 would match",)),
    (
        "metrics.acc > 0.9 AND (params.opt = 'adam' AND tags.env = 'prod')",
        "metrics.`acc` > 0.9 AND params.`opt` = 'adam' AND tags.`env` = 'prod'",
        (),
    ),
    (
        "metrics.acc > 0.9 AND (params.opt = 'a' OR tags.x IS NULL) AND NOT status = 'FAILED'",
        "metrics.`acc` > 0.9",
        ("OR", "NOT"),
    ),
    ("metrics.a > 1 OR metrics.b > 1", None, ("OR",)),
    (
        "tags.a IS NULL AND tags.b IS NULL AND params.c < 1",
        None,
        ("IS NULL", "numeric comparison of params"),
    ),
]

EXPERIMENT_SPLITS: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("name = 'a'", "attribute.name = 'a'", ()),
    ("attributes.name LIKE 'a%'", "attribute.name LIKE 'a%'", ()),
    ("name ILIKE 'a%'", None, ("ILIKE",)),
    ("name IN ('a')", None, ("IN on name",)),
    ("experiment_id = '12'", "attribute.experiment_id = '12'", ()),
    ("experiment_id IN ('1', '0')", "attribute.experiment_id IN ('1', '0')", ()),
    ("experiment_id = '012'", None, ("experiment_id other than = != IN on plain ids",)),
    ("experiment_id LIKE '1%'", None, ("experiment_id other than = != IN on plain ids",)),
    ("creation_time > 5", "attribute.creation_time > 5", ()),
    ("last_update_time <= 5", None, ("last_update_time where 0 would match",)),
    ("tags.team != 'x'", "tags.`team` != 'x'", ()),
    ("tags.team IS NULL OR name = 'a'", None, ("OR",)),
]


@pytest.mark.parametrize(("filter_string", "server_text", "reasons"), SPLITS, ids=case_id)
def test_run_filters_split_as_expected(
    filter_string: str, server_text: str | None, reasons: tuple[str, ...]
) -> None:
    split = split_run_filter(filter_string)
    assert (split.server_text, split.reasons) == (server_text, reasons)
    assert split.scan == (parse_filter(filter_string) if reasons else None)


@pytest.mark.parametrize(
    ("filter_string", "server_text", "reasons"), EXPERIMENT_SPLITS, ids=case_id
)
def test_experiment_filters_split_as_expected(
    filter_string: str, server_text: str | None, reasons: tuple[str, ...]
) -> None:
    split = split_experiment_filter(filter_string)
    assert (split.server_text, split.reasons) == (server_text, reasons)
    assert split.scan == (parse_experiment_filter(filter_string) if reasons else None)


@pytest.mark.parametrize("filter_string", [case for case, _ in FILTER_CASES], ids=case_id)
def test_mlflow_parses_every_server_text_and_tuitrack_reads_it_the_same(
    filter_string: str,
) -> None:
    split = split_run_filter(filter_string)
    if split.server_text is None:
        return
    SearchUtils.parse_search_filter(split.server_text)  # type: ignore[no-untyped-call]
    # The server text, read by tuitrack, means what the comparisons it came from mean.
    server_part = parse_filter(split.server_text)
    for run in fixture_runs():
        if split.scan is None:
            assert matches(server_part, run) == matches(parse_filter(filter_string), run)
        elif matches(split.scan, run):
            assert matches(server_part, run)


def _nan_read_as_zero(run: Run) -> Run:
    metrics = {k: 0.0 if math.isnan(v) else v for k, v in run.data.metrics.items()}
    data = RunData(metrics=metrics, params=run.data.params, tags=run.data.tags)
    return Run(info=run.info, data=data)


@pytest.mark.parametrize(
    "filter_string",
    [
        f"metrics.acc {op} {value}"
        for op in ("=", "!=", "<", "<=", ">", ">=")
        for value in ("0", "0.5", "-0.5", "0.91")
    ]
    + [case for case, _ in FILTER_CASES if "metric" in case.lower()],
    ids=case_id,
)
def test_metric_tests_stay_exact_on_servers_that_read_nan_as_zero(filter_string: str) -> None:
    """MLflow servers before its fix of September 2026 compare a NaN metric as 0: what the
    split sends them, then the scan, must still be tuitrack's answer."""
    runs = fixture_runs()
    split = split_run_filter(filter_string)
    if split.server_text is None:
        sent = {run.info.run_id for run in runs}
    else:
        server_part = parse_filter(split.server_text)
        sent = {r.info.run_id for r in map(_nan_read_as_zero, runs) if matches(server_part, r)}
    answer = {r.info.run_id for r in runs if r.info.run_id in sent and matches(split.scan, r)}
    node = parse_filter(filter_string)
    assert answer == {run.info.run_id for run in runs if matches(node, run)}


@pytest.mark.parametrize("filter_string", [c for c, _ in EXPERIMENT_FILTER_CASES], ids=case_id)
def test_mlflow_parses_every_experiment_server_text(filter_string: str) -> None:
    split = split_experiment_filter(filter_string)
    if split.server_text is not None:
        SearchExperimentsUtils.parse_search_filter(split.server_text)  # type: ignore[no-untyped-call]


def test_a_bad_filter_is_refused_with_tuitracks_error() -> None:
    with pytest.raises(FilterSyntaxError, match="expected a number or a quoted string"):
        split_run_filter("metrics.acc >")


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["metrics.loss"], ["metrics.`loss` ASC"]),
        (
            ["metrics.`val loss` DESC", "created"],
            ["metrics.`val loss` DESC", "attributes.start_time ASC"],
        ),
        (["metrics.loss", "params.lr"], None),
        (["metrics.`a,b`"], None),
        (["start_time"], None),
        ([], None),
    ],
    ids=case_id,
)
def test_an_order_by_one_metric_goes_to_the_server_up_to_its_tail(
    order_by: list[str], expected: list[str] | None
) -> None:
    found = server_metric_order(order_by)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, []),
        ([], []),
        (["start_time"], ["attributes.start_time ASC"]),
        (["created DESC"], ["attributes.start_time DESC"]),
        (["start_time DESC", "attributes.start_time ASC"], ["attributes.start_time DESC"]),
        (["metrics.acc DESC"], None),
        (["params.lr"], None),
        (["tags.env"], None),
        (["status"], None),
        (["end_time"], None),
        (["start_time", "metrics.acc"], None),
    ],
    ids=case_id,
)
def test_only_orders_mlflow_sorts_exactly_go_to_the_server(
    order_by: list[str] | None, expected: list[str] | None
) -> None:
    assert server_order_by(order_by) == expected


# --- against a real `mlflow server` -----------------------------------------------------------

# Runs beside the shared fixture runs, for what MLflow's server might read differently:
# (name, user, start_time, params, metrics, tags). Three share a start time, so the run id
# breaks their tie.
EDGE_RUNS: list[tuple[str, str, int, dict[str, str], dict[str, float], dict[str, str]]] = [
    (
        "edge",
        "Ana",
        4500,
        {"p": "", "optimizer": "ADAM ", "lr": "0.01"},
        {"z": 0.0, "neg": -0.0, "big": float(2**53), "loss": 1e300},
        {
            "t": "Hello\nWorld",
            "u": "É",
            "x": "a;b -- c",
            "a b/c:d-e": "v",
            "env": "Prod",
            "w": "a AND b OR (c)",
            "k AND v": "x",
        },
    ),
    ("blank-user", "", 4500, {"optimizer": "adam"}, {"acc": 0.91}, {"env": "prod", "u": "é"}),
    ("nameless", "ana", 4500, {"optimizer": "sgd"}, {"loss": math.nan}, {"env": ""}),
]

# Filters beyond the shared cases, for those runs; `{id:NAME}` stands for a run's id.
EXTRA_RUN_FILTERS = [
    "params.p = ''",
    "params.p != 'x'",
    "params.p LIKE '%'",
    "params.optimizer = 'ADAM '",
    "params.optimizer LIKE 'ADAM'",
    "params.optimizer LIKE 'a_am'",
    "tags.t = 'Hello\nWorld'",
    "tags.t LIKE 'Hello%'",
    "tags.t LIKE '%World'",
    "tags.t LIKE 'Hello_World'",
    "tags.u = 'é'",
    "tags.u LIKE '_'",
    "tags.x = 'a;b -- c'",
    "tags.`a b/c:d-e` = 'v'",
    "tags.w = 'a AND b OR (c)'",
    "tags.w LIKE '% OR (%'",
    "tags.`k AND v` = 'x'",
    "tags.env = ''",
    "tags.env != ''",
    "tags.env LIKE 'P%'",
    "metrics.z = 0",
    "metrics.neg = 0",
    "metrics.z >= -0.0",
    "metrics.big = 9007199254740992",
    "metrics.big > 9007199254740991",
    "metrics.loss > 1e299",
    "metrics.loss != 0.3",
    "metrics.loss < 1",
    "user_id = 'ana'",
    "user_id = 'Ana'",
    "user_id LIKE 'a%'",
    "user_id LIKE '_na'",
    "artifact_uri LIKE 'mlflow-artifacts:%'",
    "artifact_uri != 'x'",
    "status != 'RUNNING'",
    "status LIKE '%ED'",
    "start_time = 4500",
    "start_time != 4500 AND start_time <= 5000",
    "end_time >= 3500",
    "end_time > 0",
    "run_id = '{id:edge}'",
    "run_id != '{id:edge}'",
    "run_id IN ('{id:edge}', '{id:alpha}', 'missing')",
    "run_id NOT IN ('{id:edge}')",
    "run_id LIKE '{prefix:edge}%'",
    "parent_run_id = '{id:alpha}'",
    "parent_run_id != '{id:alpha}'",
    "parent_run_id LIKE '%'",
    "tags.mlflow.parentRunId = '{id:delta}'",
    "metrics.acc > 0.5 AND params.optimizer LIKE 'a%' AND tags.env != 'dev'",
]

# Each comparison shape the split may send, over several fields and literals.
GRID_FIELDS = {
    "metric": ["metrics.acc", "metrics.loss", "metrics.`val loss`", "metrics.z", "metrics.Acc"],
    "text": ["params.optimizer", "params.lr", "params.p", "tags.env", "tags.u", "status"],
}
GRID_LITERALS = {
    "metric": ["0", "0.91", "-1", "1e308", "0.3", "-1e308", "1"],
    "text": ["'adam'", "'Adam'", "''", "'0.01'", "'a%'", "'%a%'", "'_dam'", "'%'", "'prod'"],
}
GRID_OPS = {"metric": ["=", "!=", "<", "<=", ">", ">="], "text": ["=", "!=", "LIKE"]}


def grid_filters() -> list[str]:
    found = []
    for family, fields in GRID_FIELDS.items():
        for field, op, literal in itertools.product(
            fields, GRID_OPS[family], GRID_LITERALS[family]
        ):
            if field == "status" and op != "LIKE":
                continue  # status = 'adam' is refused by tuitrack's parser
            found.append(f"{field} {op} {literal}")
    return found


EXTRA_EXPERIMENT_FILTERS = [
    "experiment_id = '{id:misc}'",
    "experiment_id != '{id:misc}'",
    "experiment_id IN ('{id:misc}', '0', '99999')",
    "experiment_id NOT IN ('{id:misc}')",
    "creation_time > 0",
    "last_update_time >= 1",
    "creation_time != 5",
    "name LIKE 'Vision%'",
    "name LIKE '%-%'",
    "name = 'Default'",
    "tags.team != 'nlp'",
    "tags.team LIKE 'v_s%'",
    "tags.note = 'a_b'",
    "tags.team = 'vision' AND name != 'misc'",
]


@dataclass
class Filled:
    """The server's content as MLflow's client and tuitrack each read it."""

    url: str
    client: MlflowClient
    experiment_id: str
    runs: list[Run]
    run_ids: dict[str, str]
    experiments: list[Experiment]
    experiment_ids: dict[str, str]

    def run_filter(self, template: str) -> str:
        text = template
        for name, run_id in self.run_ids.items():
            text = text.replace(f"{{id:{name}}}", run_id).replace(f"{{prefix:{name}}}", run_id[:6])
        return text

    def experiment_filter(self, template: str) -> str:
        text = template
        for name, experiment_id in self.experiment_ids.items():
            text = text.replace(f"{{id:{name}}}", experiment_id)
        return text


@pytest.fixture(scope="module")
def filled(mlflow_server: MlflowServer) -> Iterator[Filled]:
    mlflow_server.empty()
    client = MlflowClient(tracking_uri=mlflow_server.url)
    with httpx.Client(base_url=mlflow_server.url, timeout=30) as http:
        experiment_id = client.create_experiment("split-check")
        run_ids = _log_runs(client, http, experiment_id)
        experiment_ids = {
            fixture.name: client.create_experiment(fixture.name, tags=dict(fixture.tags))
            for fixture in FIXTURE_EXPERIMENTS
        }
        experiment_ids["Default"] = "0"
        answer = _post(
            http, "runs/search", {"experiment_ids": [experiment_id], "max_results": 1000}
        )
        runs = runs_from_json(answer.get("runs", []))
        answer = _post(http, "experiments/search", {"max_results": 1000})
        experiments = [experiment_from_json(e) for e in answer.get("experiments", [])]
    yield Filled(
        mlflow_server.url, client, experiment_id, runs, run_ids, experiments, experiment_ids
    )
    mlflow_server.empty()


def _post(http: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(f"/api/2.0/mlflow/{endpoint}", json=body)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def _log_runs(client: MlflowClient, http: httpx.Client, experiment_id: str) -> dict[str, str]:
    ids: dict[str, str] = {}

    def create(name: str, user: str, start: int, tags: dict[str, str]) -> str:
        body = {
            "experiment_id": experiment_id,
            "user_id": user,
            "start_time": start,
            "run_name": name,
            "tags": [{"key": key, "value": value} for key, value in tags.items()],
        }
        run_id: str = _post(http, "runs/create", body)["run"]["info"]["run_id"]
        ids[name] = run_id
        return run_id

    def log(
        run_id: str,
        params: dict[str, str],
        metrics: dict[str, list[tuple[int, float]]],
        tags: dict[str, str],
        start: int,
    ) -> None:
        client.log_batch(
            run_id,
            metrics=[
                MlflowMetric(key, value, start + step, step)
                for key, points in metrics.items()
                for step, value in points
            ],
            params=[MlflowParam(key, value) for key, value in params.items()],
            tags=[MlflowRunTag(key, value) for key, value in tags.items()],
        )

    for fixture in FIXTURE_RUNS:
        parent = {"mlflow.parentRunId": ids[fixture.parent]} if fixture.parent else {}
        run_id = create(fixture.name, fixture.user, fixture.start_time, parent)
        history = {key: list(points) for key, points in fixture.metrics.items()}
        log(run_id, dict(fixture.params), history, dict(fixture.tags), fixture.start_time)
        if fixture.status != "RUNNING":
            update: dict[str, Any] = {"run_id": run_id, "status": fixture.status}
            if fixture.end_time is not None:
                update["end_time"] = fixture.end_time
            _post(http, "runs/update", update)
    for name, user, start, params, latest, tags in EDGE_RUNS:
        run_id = create(name, user, start, {})
        log(run_id, params, {key: [(0, value)] for key, value in latest.items()}, tags, start)
    # A run that lost its name tag keeps its name: MLflow's server filters on the tag.
    client.delete_tag(ids["nameless"], "mlflow.runName")
    return ids


def _server_run_ids(filled: Filled, server_text: str) -> set[str]:
    found = filled.client.search_runs([filled.experiment_id], server_text, max_results=1000)
    return {run.info.run_id for run in found}


def _check_run_filter(filled: Filled, filter_string: str) -> SplitFilter:
    split = split_run_filter(filter_string)
    if split.server_text is not None:
        expected = parse_filter(split.server_text)
        tuitrack = {run.info.run_id for run in filled.runs if matches(expected, run)}
        assert _server_run_ids(filled, split.server_text) == tuitrack, split.server_text
    return split


ALL_RUN_FILTERS = [case for case, _ in FILTER_CASES] + EXTRA_RUN_FILTERS


@pytest.mark.parametrize("filter_string", ALL_RUN_FILTERS, ids=case_id)
def test_mlflow_answers_what_is_sent_exactly_as_tuitrack(
    filled: Filled, filter_string: str
) -> None:
    filter_string = filled.run_filter(filter_string)
    split = _check_run_filter(filled, filter_string)
    # The server's answer, then the scan, is tuitrack's answer over every run.
    sent = (
        _server_run_ids(filled, split.server_text)
        if split.server_text is not None
        else {run.info.run_id for run in filled.runs}
    )
    node = parse_filter(filter_string)
    everything = {run.info.run_id for run in filled.runs if matches(node, run)}
    scanned = {
        run.info.run_id
        for run in filled.runs
        if run.info.run_id in sent and matches(split.scan, run)
    }
    assert scanned == everything


def test_every_comparison_shape_sent_agrees_with_tuitrack(filled: Filled) -> None:
    sent = 0
    for filter_string in grid_filters():
        split = _check_run_filter(filled, filter_string)
        sent += split.server_text is not None
    assert sent > 200  # the grid exercises the server, not only the scan


def test_the_run_name_filter_tuitrack_scans_is_wrong_on_mlflow(filled: Filled) -> None:
    """Why run names scan: MLflow's server misses a run without its mlflow.runName tag."""
    nameless = filled.run_ids["nameless"]
    assert nameless not in _server_run_ids(filled, "attributes.run_name = 'nameless'")
    assert any(
        r.info.run_id == nameless
        for r in filled.runs
        if matches(parse_filter("run_name = 'nameless'"), r)
    )


@pytest.mark.parametrize(
    "order_by", [[], ["start_time"], ["start_time DESC"], ["created ASC"]], ids=case_id
)
def test_orders_sent_to_the_server_are_tuitracks(filled: Filled, order_by: list[str]) -> None:
    server_order = server_order_by(order_by)
    assert server_order is not None
    found = filled.client.search_runs(
        [filled.experiment_id], order_by=server_order, max_results=1000
    )
    expected = sort_runs(filled.runs, parse_order_by(order_by))
    assert [run.info.run_id for run in found] == [run.info.run_id for run in expected]


@pytest.mark.parametrize(
    "order_by",
    [["metrics.loss"], ["metrics.acc DESC"], ["metrics.`val loss`", "start_time"]],
    ids=case_id,
)
def test_metric_orders_are_tuitracks_up_to_the_first_run_without_the_metric(
    filled: Filled, order_by: list[str]
) -> None:
    """MLflow orders runs by a metric as tuitrack does until the first run without a value
    of it; then it puts every NaN before every missing value, where tuitrack mixes both by
    the keys that follow: searching orders that tail itself."""
    assert server_order_by(order_by) is None
    metric_order = server_metric_order(order_by)
    assert metric_order is not None
    clauses, metric = metric_order
    found = filled.client.search_runs([filled.experiment_id], order_by=clauses, max_results=1000)
    expected = [run.info.run_id for run in sort_runs(filled.runs, parse_order_by(order_by))]
    lacking = {
        run.info.run_id
        for run in filled.runs
        if math.isnan(run.data.metrics.get(metric.key, math.nan))
    }
    head = len(filled.runs) - len(lacking)
    assert [run.info.run_id for run in found][:head] == expected[:head]
    assert set(expected[head:]) == lacking
    assert [run.info.run_id for run in found] != expected  # the tail needs tuitrack's order


ALL_EXPERIMENT_FILTERS = [case for case, _ in EXPERIMENT_FILTER_CASES] + EXTRA_EXPERIMENT_FILTERS


@pytest.mark.parametrize("filter_string", ALL_EXPERIMENT_FILTERS, ids=case_id)
def test_mlflow_answers_experiment_filters_sent_exactly_as_tuitrack(
    filled: Filled, filter_string: str
) -> None:
    filter_string = filled.experiment_filter(filter_string)
    split = split_experiment_filter(filter_string)
    node = parse_experiment_filter(filter_string)
    everything = {e.experiment_id for e in filled.experiments if matches_experiment(node, e)}
    if split.server_text is None:
        sent = {e.experiment_id for e in filled.experiments}
    else:
        found = filled.client.search_experiments(filter_string=split.server_text, max_results=1000)
        sent = {experiment.experiment_id for experiment in found}
        expected = parse_experiment_filter(split.server_text)
        assert sent == {
            e.experiment_id for e in filled.experiments if matches_experiment(expected, e)
        }
    scanned = {
        e.experiment_id
        for e in filled.experiments
        if e.experiment_id in sent and matches_experiment(split.scan, e)
    }
    assert scanned == everything


PIPELINE_CASES: list[tuple[str, list[str]]] = [
    ("", ["metrics.loss"]),
    ("", ["metrics.acc DESC"]),
    ("tags.env IS NULL OR metrics.acc > 0.5", ["metrics.`val loss` DESC", "start_time"]),
    ("metrics.acc > 0.5", []),
    ("params.lr < 0.05", []),
    ("tags.env IS NULL OR metrics.acc > 0.9", ["start_time"]),
    ("params.optimizer LIKE 'a%' AND NOT tags.env = 'dev'", ["created DESC"]),
    ("params.optimizer LIKE 'a%'", ["metrics.acc DESC"]),
    ("NOT status = 'FINISHED'", ["tags.env", "params.lr DESC"]),
    ("", ["start_time ASC"]),
]


@pytest.mark.parametrize(("filter_string", "order_by"), PIPELINE_CASES, ids=case_id)
def test_pages_from_a_real_server_join_up_to_tuitracks_answer(
    filled: Filled, monkeypatch: pytest.MonkeyPatch, filter_string: str, order_by: list[str]
) -> None:
    monkeypatch.setattr(searching, "SCAN_PAGE_SIZE", 3)  # several of the server's pages
    split = split_run_filter(filter_string)
    with httpx.Client(base_url=filled.url, timeout=30) as http:

        def fetch(
            server_filter: str | None, order: list[str] | None, count: int, token: str | None
        ) -> tuple[list[Run], str | None]:
            body: dict[str, Any] = {"experiment_ids": [filled.experiment_id], "max_results": count}
            body |= {"filter": server_filter} if server_filter else {}
            body |= {"order_by": order} if order else {}
            body |= {"page_token": token} if token else {}
            answer = _post(http, "runs/search", body)
            return runs_from_json(answer.get("runs", [])), answer.get("next_page_token") or None

        found: list[Run] = []
        token: str | None = None
        while True:
            page = searching.search_runs_page(fetch, split, order_by, 2, token)
            found.extend(page)
            token = page.token
            if token is None:
                break
    node = parse_filter(filter_string)
    expected = sort_runs([r for r in filled.runs if matches(node, r)], parse_order_by(order_by))
    assert [run.info.run_id for run in found] == [run.info.run_id for run in expected]
