"""Bad input gets the documented error with a message naming the value and what is allowed:
NotFoundError for ids no store could have issued, InvalidValueError for values; never a raw
Python or driver error, and never StoreUnavailableError (which means the store is down)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tuitrack
from tests.contract import conftest as contract_fixtures
from tests.mlflow.fixtures import copy_fixture
from tuitrack.errors import InvalidValueError, NotFoundError, TuitrackError
from tuitrack.sdk.client import TrackingClient
from tuitrack.sdk.state import STATE

HUGE_ID = "1" * 30
NOT_RUN_ID = "run ids are strings"
NOT_EXPERIMENT_ID = "whole numbers from 0 to 2147483647"


class Target:
    def __init__(self, client: TrackingClient) -> None:
        self.client = client
        self.experiment_id = client.create_experiment("bad-input")
        self.run_id = client.create_run(self.experiment_id).info.run_id


Case = Callable[[Target], object]
CLIENT_CASES: dict[str, tuple[Case, type[TuitrackError], str]] = {
    "30-digit experiment id": (
        lambda t: t.client.get_experiment(HUGE_ID),
        NotFoundError,
        NOT_EXPERIMENT_ID,
    ),
    "run in a 30-digit experiment": (
        lambda t: t.client.create_run(HUGE_ID),
        NotFoundError,
        NOT_EXPERIMENT_ID,
    ),
    "tag of a 30-digit experiment": (
        lambda t: t.client.set_experiment_tag(HUGE_ID, "k", "v"),
        NotFoundError,
        NOT_EXPERIMENT_ID,
    ),
    "run_id=123": (lambda t: t.client.get_run(123), NotFoundError, NOT_RUN_ID),  # type: ignore[arg-type]
    "heartbeat of run_id=123": (
        lambda t: t.client.record_heartbeat(123),  # type: ignore[arg-type]
        NotFoundError,
        NOT_RUN_ID,
    ),
    "tag on run_id=123": (
        lambda t: t.client.set_tag(123, "k", "v"),  # type: ignore[arg-type]
        NotFoundError,
        NOT_RUN_ID,
    ),
    "5,000-character run id": (
        lambda t: t.client.log_metric("r" * 5000, "loss", 1.0),
        NotFoundError,
        NOT_RUN_ID,
    ),
    "NUL in a run id": (lambda t: t.client.get_run("ab\0"), NotFoundError, NOT_RUN_ID),
    "start time beyond 64 bits": (
        lambda t: t.client.create_run(t.experiment_id, start_time=2**70),
        InvalidValueError,
        "64-bit integer range",
    ),
    "end time beyond 64 bits": (
        lambda t: t.client.set_terminated(t.run_id, end_time=2**70),
        InvalidValueError,
        "64-bit integer range",
    ),
    "start time that is text": (
        lambda t: t.client.create_run(t.experiment_id, start_time="soon"),  # type: ignore[arg-type]
        InvalidValueError,
        "must be an integer",
    ),
    "step beyond 64 bits": (
        lambda t: t.client.log_metric(t.run_id, "loss", 1.0, step=-(2**70)),
        InvalidValueError,
        "64-bit integer range",
    ),
    "metric value beyond a float": (
        lambda t: t.client.log_metric(t.run_id, "loss", 10**400),
        InvalidValueError,
        "64-bit float",
    ),
    "key '.'": (lambda t: t.client.set_tag(t.run_id, ".", "v"), InvalidValueError, "'.' or '..'"),
    "key ' '": (lambda t: t.client.set_tag(t.run_id, " ", "v"), InvalidValueError, "blank"),
    "key 'a/./b'": (
        lambda t: t.client.log_param(t.run_id, "a/./b", 1),
        InvalidValueError,
        "'.' or '..'",
    ),
    "NUL in a tag value": (
        lambda t: t.client.set_tag(t.run_id, "note", "a\0b"),
        InvalidValueError,
        "NUL",
    ),
    "NUL in a run name": (
        lambda t: t.client.create_run(t.experiment_id, run_name="a\0b"),
        InvalidValueError,
        "NUL",
    ),
    "lone surrogate in an experiment name": (
        lambda t: t.client.create_experiment("bad \ud800"),
        InvalidValueError,
        "surrogate",
    ),
    "param of 5,000 digits": (
        lambda t: t.client.log_param(t.run_id, "seed", 10**5000),
        InvalidValueError,
        "cannot be written as text",
    ),
    "5,000-character artifact location": (
        lambda t: t.client.create_experiment("long", artifact_location="/tmp/" + "x" * 5000),
        InvalidValueError,
        "at most 957",
    ),
    "NUL in an artifact path": (
        lambda t: t.client.log_text(t.run_id, "x", "a\0b.txt"),
        InvalidValueError,
        "NUL",
    ),
    "5,000-character artifact name": (
        lambda t: t.client.log_text(t.run_id, "x", "a" * 5000 + ".txt"),
        InvalidValueError,
        "at most 255",
    ),
    "6,000-byte artifact path": (
        lambda t: t.client.log_text(t.run_id, "x", "/".join(["d" * 200] * 30)),
        InvalidValueError,
        "at most 1024",
    ),
    "newline in an artifact path": (
        lambda t: t.client.list_artifacts(t.run_id, "a\nb"),
        InvalidValueError,
        "control character",
    ),
}


database_uri = contract_fixtures.database_uri  # each database, created once


@pytest.fixture(scope="module")
def target(database_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    client = TrackingClient(database_uri, artifact_uri=str(tmp_path_factory.mktemp("artifacts")))
    yield Target(client)
    client.close()


@pytest.mark.parametrize("case", list(CLIENT_CASES))
def test_client_refuses_bad_input_clearly(target: Target, case: str) -> None:
    call, error, message = CLIENT_CASES[case]
    with pytest.raises(error, match=re.escape(message)):
        call(target)


def test_unknown_ids_match_nothing_in_searches(target: Target) -> None:
    assert list(target.client.search_runs([HUGE_ID, "-1", "\uff11"])) == []
    assert target.client.store.last_activity_times([123, "r" * 5000]) == {}  # type: ignore[list-item]


def test_a_huge_points_budget_reads_every_point(target: Target) -> None:
    """A budget beyond any series is every point, not a driver's out-of-range error."""
    for step in range(7):
        target.client.log_metric(target.run_id, "budget", float(step), step=step)
    points = target.client.get_metric_history(target.run_id, "budget", max_points=10**30)
    assert [point.step for point in points] == list(range(7))


@pytest.fixture
def fluent_on(database_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TUITRACK_CAPTURE_ENV", "0")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    tuitrack.set_tracking_uri(database_uri)
    tuitrack.set_artifact_uri(str(tmp_path / "artifacts"))
    tuitrack.set_experiment("bad-input-fluent")
    yield
    STATE.reset()


@pytest.mark.usefixtures("fluent_on")
def test_fluent_api_refuses_bad_input_clearly() -> None:
    with pytest.raises(NotFoundError, match=NOT_EXPERIMENT_ID):
        tuitrack.start_run(experiment_id=HUGE_ID)
    with pytest.raises(NotFoundError, match=NOT_RUN_ID):
        tuitrack.start_run(run_id=123)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=NOT_RUN_ID):
        tuitrack.log_metric("loss", 1.0, run_id="r" * 5000)
    with tuitrack.start_run():
        with pytest.raises(InvalidValueError, match="cannot be written as text"):
            tuitrack.log_param("seed", 10**5000)
        with pytest.raises(InvalidValueError, match="must not be blank"):
            tuitrack.set_tag(" ", "v")
        with pytest.raises(InvalidValueError, match=re.escape("'.' or '..'")):
            tuitrack.log_metric(".", 1.0)
        with pytest.raises(InvalidValueError, match="NUL"):
            tuitrack.set_tag("note", "a\0b")
        with pytest.raises(InvalidValueError, match="NUL"):
            tuitrack.log_text("x", "a\0b.txt")
        with pytest.raises(InvalidValueError, match="at most 255"):
            tuitrack.log_dict({}, "a" * 5000 + ".json")


@pytest.mark.parametrize("name", ["mlflow3_sqlite", "mlflow2_mlruns"])
def test_mlflow_stores_refuse_bad_ids_clearly(name: str, tmp_path: Path) -> None:
    data = copy_fixture(name, tmp_path / name)
    with TrackingClient(data.uri, artifact_uri=str(tmp_path / "unused")) as client:
        with pytest.raises(NotFoundError):
            client.get_experiment(HUGE_ID)
        assert list(client.search_runs([HUGE_ID])) == []
        for run_id in (123, "r" * 5000, "ab\0"):
            with pytest.raises(NotFoundError):
                client.get_run(run_id)  # type: ignore[arg-type]
            with pytest.raises(NotFoundError):
                client.set_tag(run_id, "k", "v")  # type: ignore[arg-type]
        live = next(r for r in data.answers["runs"] if r["lifecycle_stage"] == "active")
        with pytest.raises(InvalidValueError, match="NUL"):
            client.set_tag(live["run_id"], "k", "a\0")
