"""The contract suite's tests in tuitrack/testing/runs.py, on a real `mlflow server`."""

from tuitrack.testing.runs import *  # noqa: F403
