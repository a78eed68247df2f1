"""The contract suite's tests in tuitrack/testing/log_batch.py, on a real `mlflow server`."""

from tuitrack.testing.log_batch import *  # noqa: F403
