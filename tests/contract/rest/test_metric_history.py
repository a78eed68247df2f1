"""The contract suite's tests in tuitrack/testing/metric_history.py, on a real `mlflow server`."""

from tuitrack.testing.metric_history import *  # noqa: F403
