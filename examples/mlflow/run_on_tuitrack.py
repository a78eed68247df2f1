"""Run an unmodified MLflow script on tuitrack: `mlflow` becomes tuitrack for that script.

    python examples/mlflow/run_on_tuitrack.py examples/mlflow/quickstart.py [args...]

The runs go where MLFLOW_TRACKING_URI (or TUITRACK_TRACKING_URI) points, else to
tuitrack's default store; browse them with `tuitrack`.
"""

import runpy
import sys

import tuitrack

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: run_on_tuitrack.py SCRIPT [ARGS...]")
    sys.modules["mlflow"] = tuitrack
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
