"""One training script for test_mlruns_writes.py, run with MLflow's fluent API and with
tuitrack's (the module is passed in): `python -m tests.mlflow.mlruns_training URI`
logs it with real MLflow in a process of its own (MLflow's set_tracking_uri sets an
environment variable, which must not leak into the test process)."""

from __future__ import annotations

import math
import sys
from typing import Any

LOSSES = [0.5, math.nan, math.inf, -math.inf, 0.25]


def train(api: Any, tracking_uri: str) -> str:
    """Log an outer run (ended FAILED) with a nested one; return the outer run's id."""
    api.set_tracking_uri(tracking_uri)
    api.set_experiment("compat")
    outer = api.start_run(run_name="outer")
    api.log_param("lr", 0.1)
    api.log_params({"layers": 3, "optimizer": "adam"})
    for step, value in enumerate(LOSSES):
        api.log_metric("loss", value, step=step)
    api.log_metric("loss", 0.125, step=2)  # a second point at one step
    api.log_metrics({"acc": 0.9, "f1": 0.8}, step=7)
    api.set_tag("team", "vision")
    api.set_tags({"stage": "dev", "ключ": "значение", "nested/key": "v"})
    api.log_text("hello", "notes/readme.txt")
    with api.start_run(run_name="inner", nested=True):
        api.log_metric("inner_loss", 1.5, step=2)
        api.log_param("depth", "4")
    api.end_run(status="FAILED")
    return str(outer.info.run_id)


if __name__ == "__main__":
    import mlflow

    print(train(mlflow, sys.argv[1]))
