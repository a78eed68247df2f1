"""The experiment a run goes to when the script chose none (no set_experiment, no
experiment_id), and why that one.

In order: TUITRACK_EXPERIMENT_ID, TUITRACK_EXPERIMENT_NAME, then MLflow's variables with
MLflow's meaning (MLFLOW_EXPERIMENT_NAME, created if missing and checked against
MLFLOW_EXPERIMENT_ID when both are set; else MLFLOW_EXPERIMENT_ID). Without any: code that
imports tuitrack under MLflow's name (`sys.modules["mlflow"] = tuitrack`) gets MLflow's
experiment "0" (Default), since such code may count on it; code that imports tuitrack gets
an experiment named after the script's git repository, else the working directory.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from tuitrack.core.default_experiment import DEFAULT_EXPERIMENT_ID
from tuitrack.entities import Experiment
from tuitrack.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tuitrack.sdk import context
from tuitrack.sdk.client import TrackingClient
from tuitrack.sdk.settings import EXPERIMENT_ID_ENV, EXPERIMENT_NAME_ENV

MLFLOW_EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"
MLFLOW_EXPERIMENT_NAME_ENV = "MLFLOW_EXPERIMENT_NAME"


@dataclass(frozen=True)
class Choice:
    experiment: Experiment
    reason: str
    as_mlflow: bool = False  # MLflow's silent default, not tuitrack's announced one


def _variable(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def get_or_create(client: TrackingClient, name: str) -> Experiment:
    """The experiment named `name`, created when missing (also when another process
    creates it at the same moment)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        with contextlib.suppress(AlreadyExistsError):
            client.create_experiment(name)
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise NotFoundError(f"experiment {name!r} vanished right after it was created")
    return experiment


def _by_id(client: TrackingClient, variable: str, experiment_id: str) -> Experiment:
    try:
        return client.get_experiment(experiment_id)
    except NotFoundError:
        raise NotFoundError(
            f"{variable}={experiment_id!r} names no experiment in {client.tracking_uri}"
        ) from None


def _from_mlflow_name(client: TrackingClient, name: str) -> Experiment:
    experiment = get_or_create(client, name)
    wanted_id = _variable(MLFLOW_EXPERIMENT_ID_ENV)
    if wanted_id is not None and wanted_id != experiment.experiment_id:
        raise InvalidValueError(
            f"{MLFLOW_EXPERIMENT_ID_ENV}={wanted_id!r} does not match experiment "
            f"{name!r} ({MLFLOW_EXPERIMENT_NAME_ENV}), whose id is {experiment.experiment_id}"
        )
    return experiment


def _from_environment(client: TrackingClient) -> Choice | None:
    lookups: list[tuple[str, Callable[[str], Experiment]]] = [
        (EXPERIMENT_ID_ENV, lambda value: _by_id(client, EXPERIMENT_ID_ENV, value)),
        (EXPERIMENT_NAME_ENV, lambda value: get_or_create(client, value)),
        (MLFLOW_EXPERIMENT_NAME_ENV, lambda value: _from_mlflow_name(client, value)),
        (MLFLOW_EXPERIMENT_ID_ENV, lambda value: _by_id(client, MLFLOW_EXPERIMENT_ID_ENV, value)),
    ]
    for variable, lookup in lookups:
        value = _variable(variable)
        if value is not None:
            return Choice(lookup(value), f"from {variable}")
    return None


def imported_as_mlflow() -> bool:
    """Whether this process runs MLflow code on tuitrack: `mlflow` is tuitrack itself."""
    return sys.modules.get("mlflow") is sys.modules.get("tuitrack")


def _mlflow_default(client: TrackingClient) -> Experiment:
    try:
        return client.get_experiment(DEFAULT_EXPERIMENT_ID)
    except NotFoundError:  # a store from before experiment 0 existed, or not tuitrack's
        return get_or_create(client, Experiment.DEFAULT_EXPERIMENT_NAME)


def choose(client: TrackingClient) -> Choice:
    """Where a run goes when the script named no experiment."""
    chosen = _from_environment(client)
    if chosen is not None:
        return chosen
    if imported_as_mlflow():
        return Choice(_mlflow_default(client), "MLflow's default experiment", as_mlflow=True)
    name, reason = context.default_experiment_name()
    return Choice(get_or_create(client, name), reason)
