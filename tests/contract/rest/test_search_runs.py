"""The contract suite's tests in tuitrack/testing/search_runs.py, on a real `mlflow server`."""

from tuitrack.testing.search_runs import *  # noqa: F403
