"""Run every behaviour case of tests/compat/parity_cases.py with one library, print answers.

    python -m tests.compat.parity (mlflow|tuitrack)

With `tuitrack`, `sys.modules["mlflow"] = tuitrack` comes first, so the cases' plain
`import mlflow` gets tuitrack. The tracking store is whatever MLFLOW_TRACKING_URI names. The
output is one JSON object: case name -> {"value": ...} or {"error": ...}. Each case runs
with an experiment of its own already set, and any run it leaves active is ended after it.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from typing import Any


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as strings, so answers compare equal after JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def run_cases(library: str) -> dict[str, Any]:
    if library == "tuitrack":
        sys.modules["mlflow"] = importlib.import_module("tuitrack")
    import mlflow

    from tests.compat.parity_cases import CASES, CURRENT_EXPERIMENT, error_answer

    answers: dict[str, Any] = {}
    for name, case in CASES.items():
        CURRENT_EXPERIMENT["id"] = str(mlflow.set_experiment(f"case-{name}").experiment_id)
        try:
            answers[name] = {"value": json_safe(case())}
        except Exception as error:  # the answer to compare is the error itself
            answers[name] = {"error": error_answer(error)}
        while mlflow.active_run() is not None:
            mlflow.end_run()
    return answers


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("mlflow", "tuitrack"):
        sys.exit("usage: python -m tests.compat.parity (mlflow|tuitrack)")
    print(json.dumps(run_cases(sys.argv[1]), sort_keys=True))
