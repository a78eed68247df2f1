"""The contract suite's tests in tuitrack/testing/summaries.py, on a real `mlflow server`."""

from tuitrack.testing.summaries import *  # noqa: F403
